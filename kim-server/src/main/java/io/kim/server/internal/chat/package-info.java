/** Chat: the SEND command, its checks and the fan-out of a stored message. Internal: may change at any time. */
package io.kim.server.internal.chat;
