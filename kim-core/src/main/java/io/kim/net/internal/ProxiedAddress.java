package io.kim.net.internal;

import java.net.InetSocketAddress;

/**
 * A user event: the client address a proxy reported in a PROXY protocol header. The server believes it only when
 * the socket's peer is a trusted proxy.
 *
 * @param source the client's address and port as the proxy saw them
 */
public record ProxiedAddress(InetSocketAddress source) {
}
