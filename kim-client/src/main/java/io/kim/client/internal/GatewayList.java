package io.kim.client.internal;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Asks a gateway router ({@code GET} its URL) for the nodes to connect to, in order. The answer is the router's
 * JSON, {@code {"gateways":[{"tcp":"host:port","ws":"ws://host:port/path",...},...]}}; the client takes the
 * {@code tcp} address for the TCP transport and the host and port of the {@code ws} URL for WebSocket, in the
 * order given, skipping empty ones. The request runs on the JDK HTTP client's threads, never the client's loop.
 */
final class GatewayList {

    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
            .build();

    private GatewayList() {
    }

    /** The router's list for {@code transport} ({@code "tcp"} or {@code "ws"}); fails on a non-200 answer. */
    static CompletableFuture<List<InetSocketAddress>> fetch(URI router, String transport, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(router).timeout(timeout).header("Accept", "application/json")
                .GET().build();
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
            if (response.statusCode() != 200) {
                throw new IllegalStateException("router " + router + " answered " + response.statusCode() + ": "
                        + response.body());
            }
            return parse(response.body(), transport);
        });
    }

    /** The addresses of the {@code transport} field of every gateway in {@code json}, in order. */
    static List<InetSocketAddress> parse(String json, String transport) {
        int from = json.indexOf("\"gateways\"");
        if (from < 0) {
            throw new IllegalArgumentException("router answer without \"gateways\": " + json);
        }
        String field = "\"" + ("ws".equals(transport) ? "ws" : "tcp") + "\":\"";
        List<InetSocketAddress> out = new ArrayList<>();
        for (int at = json.indexOf(field, from); at >= 0; at = json.indexOf(field, at + 1)) {
            int start = at + field.length();
            int end = json.indexOf('"', start);
            if (end < 0) {
                break;
            }
            String value = json.substring(start, end);
            if (!value.isEmpty()) {
                out.add(address(value, transport));
            }
        }
        return List.copyOf(out);
    }

    private static InetSocketAddress address(String value, String transport) {
        if ("ws".equals(transport)) {
            URI uri = URI.create(value);
            int port = uri.getPort() >= 0 ? uri.getPort() : "wss".equals(uri.getScheme()) ? 443 : 80;
            return new InetSocketAddress(uri.getHost(), port);
        }
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("gateway address: \"" + value + "\" (expected: host:port)");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(host, Integer.parseInt(value.substring(colon + 1)));
    }
}
