/** Inbox sync and acknowledgements: the SYNC and ACK commands. Internal: may change at any time. */
package io.kim.server.internal.sync;
