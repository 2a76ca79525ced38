package io.kim.examples.admin;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.util.List;
import java.util.Map;

/**
 * One HTTP request as the API's handlers see it: the body is copied out of Netty's buffer, so a handler may read
 * it on any thread.
 *
 * @param method     the method
 * @param path       the path, undecoded (as sent)
 * @param pathParams the decoded values of the route's {@code {placeholders}}, in order
 * @param query      the decoded query parameters
 * @param headers    the request headers
 * @param body       the body; empty if none
 * @param remote     the peer's address for logs, {@code ip:port}
 * @param ip         the peer's IP address alone
 */
record Request(HttpMethod method, String path, List<String> pathParams, Map<String, List<String>> query,
        HttpHeaders headers, byte[] body, String remote, String ip) {

    /** The first value of query parameter {@code name}, or {@code dflt}. */
    String query(String name, String dflt) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? dflt : v.get(0);
    }

    Request withPathParams(List<String> params) {
        return new Request(method, path, List.copyOf(params), query, headers, body, remote, ip);
    }
}
