package io.kim.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A test client of the admin HTTP API: real requests over 127.0.0.1, every one bounded by a timeout, with the admin
 * key ({@link TestEnv#ADMIN_KEY} unless told otherwise) in every request.
 */
public final class AdminClient {

    public static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final URI base;
    private final String key;

    /** A client with {@link TestEnv#ADMIN_KEY}. */
    public AdminClient(InetSocketAddress address) {
        this(address, TestEnv.ADMIN_KEY);
    }

    /** A client sending {@code key} as the bearer key; {@code null}: no {@code Authorization} header. */
    public AdminClient(InetSocketAddress address, String key) {
        this.base = URI.create("http://127.0.0.1:" + address.getPort());
        this.key = key;
    }

    public HttpResponse<String> get(String pathAndQuery) {
        return send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).GET());
    }

    /** POSTs {@code json} as {@code application/json}. */
    public HttpResponse<String> post(String path, String json) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** Sends {@code request} with the key and the timeout. */
    public HttpResponse<String> send(HttpRequest.Builder request, String... headers) {
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return send(request);
    }

    public HttpResponse<String> send(String method, String path, String contentType, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        if (key != null) {
            request.setHeader("Authorization", "Bearer " + key);
        }
        try {
            return http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Creates a user with {@code password}; asserts 201. */
    public JsonNode createUser(String userId, String password) {
        HttpResponse<String> res = post("/users", "{\"userId\":\"" + userId + "\",\"password\":\"" + password + "\"}");
        assertEquals(201, res.statusCode(), res.body());
        return json(res);
    }

    /** Logs in with a password; asserts 200 and returns the token. */
    public String login(String userId, String password, String deviceId, String deviceType) {
        HttpResponse<String> res = post("/login", "{\"userId\":\"" + userId + "\",\"password\":\"" + password
                + "\",\"deviceId\":\"" + deviceId + "\",\"deviceType\":\"" + deviceType + "\"}");
        assertEquals(200, res.statusCode(), res.body());
        return json(res).get("token").asText();
    }

    public static JsonNode json(HttpResponse<String> res) {
        assertTrue(res.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                res.headers().toString());
        try {
            return JSON.readTree(res.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Asserts an error answer: the status, a JSON body {@code {"error": "...", "status": N}} whose message contains
     * {@code messagePart}, and no stack trace. Returns the message.
     */
    public static String assertError(HttpResponse<String> res, int status, String messagePart) {
        assertEquals(status, res.statusCode(), res.body());
        JsonNode body = json(res);
        assertEquals(status, body.path("status").asInt(), res.body());
        String error = body.path("error").asText();
        assertFalse(error.isBlank(), res.body());
        assertTrue(error.contains(messagePart), "expected '" + messagePart + "' in " + res.body());
        assertFalse(res.body().contains("Exception") || res.body().contains("\tat "), res.body());
        assertEquals(2, body.size(), "only error and status: " + res.body());
        return error;
    }
}
