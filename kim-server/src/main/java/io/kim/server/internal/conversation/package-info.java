/**
 * Conversations and what changes them: CONVERSATIONS, READ with its read receipts, READERS, RECALL and EDIT with
 * their notices. Internal: may change at any time.
 */
package io.kim.server.internal.conversation;
