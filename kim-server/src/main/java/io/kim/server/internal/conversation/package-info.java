/**
 * Conversations: the CONVERSATIONS list and READ with its read receipts. Internal: may change at any time.
 */
package io.kim.server.internal.conversation;
