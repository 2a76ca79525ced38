package io.kim.examples.admin;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * Maps {@code method + path} to a handler. Paths are patterns of literal segments and {@code {name}} placeholders
 * (one whole segment each, percent-decoded). A path no pattern matches is 404; a matched path without a handler for
 * the method is 405 with an {@code Allow} header. Immutable once built; thread-safe.
 */
final class Router {

    /** Answers one request. May complete on any thread; a failed stage becomes an error response. */
    @FunctionalInterface
    interface Handler {
        CompletionStage<Response> handle(Request request);
    }

    /** A route chosen for a request: the pattern (for metrics) and the answer. */
    record Routed(String pattern, CompletionStage<Response> response) {
    }

    private record Route(String pattern, String[] segments, Map<HttpMethod, Handler> handlers) {
    }

    private final List<Route> routes = new ArrayList<>();

    /** Adds a handler; patterns start with '/'. */
    Router add(HttpMethod method, String pattern, Handler handler) {
        for (Route r : routes) {
            if (r.pattern.equals(pattern)) {
                r.handlers.put(method, handler);
                return this;
            }
        }
        Map<HttpMethod, Handler> handlers = new LinkedHashMap<>();
        handlers.put(method, handler);
        routes.add(new Route(pattern, split(pattern), handlers));
        return this;
    }

    /**
     * Finds the handler and calls it. A handler that throws is treated like one that returned a failed stage.
     *
     * @throws ApiException 404, 405 or 400 (bad percent-encoding) when no handler applies
     */
    Routed route(Request request) {
        String[] segments = split(request.path());
        for (Route r : routes) {
            List<String> params = match(r.segments, segments);
            if (params == null) {
                continue;
            }
            Handler h = r.handlers.get(request.method());
            if (h == null) {
                String allow = r.handlers.keySet().stream().map(HttpMethod::name).collect(Collectors.joining(", "));
                return new Routed(r.pattern, CompletableFuture.completedFuture(Response.error(
                        HttpResponseStatus.METHOD_NOT_ALLOWED,
                        "method " + request.method() + " not allowed on " + r.pattern + " (expected: " + allow + ")")
                        .withHeader("Allow", allow)));
            }
            CompletionStage<Response> response;
            try {
                response = h.handle(request.withPathParams(params));
            } catch (RuntimeException e) {
                response = CompletableFuture.failedFuture(e);
            }
            return new Routed(r.pattern, response);
        }
        return new Routed("unmatched", CompletableFuture.completedFuture(
                Response.error(HttpResponseStatus.NOT_FOUND, "no such resource: " + shorten(request.path()))));
    }

    /** The decoded placeholder values if {@code path} matches {@code pattern}, else {@code null}. */
    private static List<String> match(String[] pattern, String[] path) {
        if (pattern.length != path.length) {
            return null;
        }
        List<String> params = new ArrayList<>();
        for (int i = 0; i < pattern.length; i++) {
            String p = pattern[i];
            if (p.startsWith("{")) {
                if (path[i].isEmpty()) {
                    return null;
                }
                try {
                    // A '+' in a path is a plus, not a space as in a query.
                    params.add(QueryStringDecoder.decodeComponent(path[i].replace("+", "%2B"),
                            StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw ApiException.badRequest("path: bad percent-encoding in segment " + (i + 1));
                }
            } else if (!p.equals(path[i])) {
                return null;
            }
        }
        return params;
    }

    private static String[] split(String path) {
        // "/users/a" -> ["users", "a"]; "/users/" -> ["users", ""], which matches nothing with a placeholder.
        return path.substring(1).split("/", -1);
    }

    private static String shorten(String path) {
        return path.length() > 100 ? path.substring(0, 100) + "..." : path;
    }
}
