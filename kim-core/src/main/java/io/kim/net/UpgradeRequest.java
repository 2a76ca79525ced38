package io.kim.net;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an HTTP-based {@link Transport} (WebSocket) read from a connection's upgrade request. The transport fires it
 * as a user event before {@link TransportEvent#READY}; the server hands it on in the {@link Handshake} and reads the
 * client's address from {@code X-Forwarded-For} when the peer is a trusted proxy.
 *
 * @param path    the request's raw path
 * @param query   the raw query string, without {@code ?}; {@code ""} if none
 * @param headers every header, names in lower case, values in the order received
 */
public record UpgradeRequest(String path, String query, Map<String, List<String>> headers) {
    public UpgradeRequest {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(query, "query");
        headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
    }
}
