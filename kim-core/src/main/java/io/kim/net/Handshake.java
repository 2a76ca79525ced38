package io.kim.net;

import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * What an {@link Acceptor} sees of a new connection: where it comes from and its first binary frame.
 *
 * @param transport     the transport name ({@code "tcp"}, {@code "ws"}, ...)
 * @param remoteAddress the peer's address
 * @param payload       the payload of the first {@link OpCode#BINARY} frame (typically a login packet)
 * @param executor      the connection's event loop (the channel's {@link Channel#executor()} once accepted):
 *                      where an acceptor runs the continuations of its asynchronous work
 */
public record Handshake(String transport, SocketAddress remoteAddress, byte[] payload, Executor executor) {
    public Handshake {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(remoteAddress, "remoteAddress");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(executor, "executor");
    }
}
