/**
 * The IM server behind {@link io.kim.server.ImServer}, split by concern: {@code dispatch} (one handler per
 * command, validation, failure to status, in-flight bound), {@code session} (login, login lock, kick, logout,
 * cleanup), {@code chat} (SEND and fan-out), {@code sync} (SYNC, ACK), {@code group} (the group commands); here
 * the wiring ({@link io.kim.server.internal.ImNode}), ids, delivery with its ownership check, and the stage
 * helpers that run every continuation on the channel's event loop. Internal: may change at any time.
 */
package io.kim.server.internal;
