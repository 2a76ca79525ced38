package io.kim.net;

import java.net.SocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * What an {@link Acceptor} sees of a new connection: where it comes from, what its transport's upgrade request
 * said (WebSocket: the HTTP headers and the query string) and its first binary frame.
 *
 * @param transport     the transport name ({@code "tcp"}, {@code "ws"}, {@code "tls"}, {@code "wss"}, ...)
 * @param remoteAddress the socket's peer (a proxy, when the client connects through one)
 * @param clientAddress the client's address: the address a trusted proxy reported (PROXY protocol or
 *                      {@code X-Forwarded-For}, see {@link Server.Builder#trustedProxies}), else
 *                      {@code remoteAddress}
 * @param headers       the upgrade request's headers, names in lower case, values in the order received; empty for
 *                      transports without one (TCP)
 * @param query         the raw query string of the upgrade request (without {@code ?}), or {@code ""}
 * @param payload       the payload of the first {@link OpCode#BINARY} frame (typically a login packet)
 * @param executor      the connection's event loop (the channel's {@link Channel#executor()} once accepted):
 *                      where an acceptor runs the continuations of its asynchronous work
 */
public record Handshake(String transport, SocketAddress remoteAddress, SocketAddress clientAddress,
        Map<String, List<String>> headers, String query, byte[] payload,
        Executor executor) {

    public Handshake {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(remoteAddress, "remoteAddress");
        Objects.requireNonNull(clientAddress, "clientAddress");
        headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(executor, "executor");
    }

    /** A handshake without an upgrade request, whose client is its socket's peer. */
    public Handshake(String transport, SocketAddress remoteAddress, byte[] payload, Executor executor) {
        this(transport, remoteAddress, remoteAddress, Map.of(), "", payload, executor);
    }

    /** The first value of header {@code name} (any case), or {@code null} if the request had none. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
