package io.kim.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kim.client.ImClient;
import io.kim.client.ImClientListener;
import io.kim.client.ReceivedMessage;
import io.kim.net.Transports;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A command-line chat client for the example server. It asks for the user's password (or reads
 * {@code KIM_PASSWORD}), creates the user through the admin API if it does not exist yet ({@code POST /users}, with
 * the admin key from {@code KIM_ADMIN_KEY} or the server's {@code <KIM_DATA_DIR>/admin-key}; skipped without one),
 * logs in with the password ({@code POST /login}) for a token, logs in over TCP (or WebSocket) with that token,
 * prints every message that arrives, and sends each line typed as {@code @user text}. {@code /quit} (or end of
 * input) leaves.
 *
 * <pre>
 * java -cp kim-examples/target/kim-server.jar io.kim.examples.ChatClientMain alice [host] [tcp|ws]
 * </pre>
 *
 * <p>The server's ports are the defaults (8000, 8001, 8080) unless {@code KIM_TCP_PORT}, {@code KIM_WS_PORT} and
 * {@code KIM_HTTP_PORT} name others, as for the server: to talk to another node of a cluster on one machine. With
 * {@code KIM_ROUTER_URL} ({@code http://127.0.0.1:8090/gateways}) the client asks a cluster's gateway router which
 * node to connect to (adding {@code tenant} and {@code user} to the query), and fails over to the next node when
 * its node goes away.
 */
public final class ChatClientMain {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LINE = Pattern.compile("@(\\S+)\\s+(.+)");

    private ChatClientMain() {
    }

    /** The port in environment variable {@code name}, or {@code dflt}; exits with a message on a bad value. */
    private static int portOf(String name, int dflt) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            int p = Integer.parseInt(v.trim());
            if (p > 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        System.err.println(name + ": " + v + " (expected: a port from 1 to 65535)");
        System.exit(2);
        return dflt;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ChatClientMain <user> [host (default 127.0.0.1)] [tcp|ws (default tcp)]");
            System.exit(2);
        }
        String user = args[0];
        String host = args.length > 1 ? args[1] : "127.0.0.1";
        String transport = args.length > 2 ? args[2] : "tcp";
        int port = transport.equals("ws") ? portOf("KIM_WS_PORT", 8001) : portOf("KIM_TCP_PORT", 8000);
        int httpPort = portOf("KIM_HTTP_PORT", 8080);

        char[] password = password(user);
        JsonNode login;
        try {
            login = fetchToken(URI.create("http://" + host + ":" + httpPort), adminKey(), user, password);
        } catch (IllegalStateException e) {
            System.err.println("* cannot log in: " + e.getMessage());
            System.exit(1);
            return;
        } catch (IOException e) {
            System.err.println("* cannot reach the admin API at http://" + host + ":" + httpPort + ": " + e);
            System.exit(1);
            return;
        } finally {
            Arrays.fill(password, '\0');
        }
        ImClient.Builder builder = ImClient.builder();
        String router = System.getenv("KIM_ROUTER_URL");
        if (router != null && !router.isBlank()) {
            // The router of a cluster picks the node, and the next one when that node goes away.
            builder.router(URI.create(router.trim() + (router.contains("?") ? "&" : "?") + "tenant="
                    + URLEncoder.encode(login.path("tenant").asText(), StandardCharsets.UTF_8) + "&user="
                    + URLEncoder.encode(user, StandardCharsets.UTF_8)));
        } else {
            builder.address(new InetSocketAddress(host, port));
        }
        ImClient client = builder
                .transport(Transports.get(transport))
                .token(login.path("token").asText())
                .listener(new ImClientListener() {
                    @Override
                    public void onMessage(long sequence, ReceivedMessage m) {
                        if (!m.senderId().equals(user) || !m.senderDevice().equals(user + "-cli")) {
                            System.out.println("[" + m.senderId() + " -> " + m.target() + "] "
                                    + new String(m.body(), StandardCharsets.UTF_8));
                        }
                    }

                    @Override
                    public void onStateChanged(ImClient.State state) {
                        System.out.println("* " + state.name().toLowerCase());
                    }

                    @Override
                    public void onKicked(String reason) {
                        System.out.println("* kicked: " + reason);
                    }
                })
                .build();
        client.connect().get(30, TimeUnit.SECONDS);
        System.out.println("* logged in as " + user + "; type '@bob hello' to send, /quit to leave");

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            line = line.strip();
            if (line.equals("/quit")) {
                break;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                if (!line.isEmpty()) {
                    System.out.println("* write '@user text'");
                }
                continue;
            }
            String to = m.group(1);
            client.send(to, "text/plain", m.group(2).getBytes(StandardCharsets.UTF_8))
                    .whenComplete((r, e) -> System.out.println(e == null ? "* sent to " + to + " (#" + r.sequence() + ")"
                            : "* not sent: " + e.getMessage()));
        }
        client.close();
    }

    private static char[] password(String user) {
        String env = System.getenv("KIM_PASSWORD");
        if (env != null && !env.isEmpty()) {
            return env.toCharArray();
        }
        Console console = System.console();
        if (console == null) {
            System.err.println("no terminal to ask for the password: set KIM_PASSWORD");
            System.exit(2);
        }
        char[] p = console.readPassword("password of %s (a new user is created with it): ", user);
        if (p == null || p.length == 0) {
            System.err.println("a password is required");
            System.exit(2);
        }
        return p;
    }

    /**
     * Creates {@code user} through the admin API at {@code admin} unless it exists (201 or 409 are both fine), then
     * logs in with {@code password} and returns the answer of {@code POST /login} (its {@code token} and
     * {@code tenant}, ...).
     *
     * @throws IllegalStateException if the server refuses (wrong password, bad request, ...)
     */
    static JsonNode fetchToken(URI admin, String adminKey, String user, char[] password) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String pw = new String(password);
        if (adminKey == null) {
            System.out.println("* no admin key (KIM_ADMIN_KEY, or data/admin-key): not creating user " + user);
        } else {
            HttpResponse<String> created = post(http, admin.resolve("/users"), adminKey,
                    Map.of("userId", user, "nickname", user, "password", pw));
            if (created.statusCode() == 201) {
                System.out.println("* created user " + user);
            } else if (created.statusCode() != 409) {
                throw new IllegalStateException("POST /users answered " + created.statusCode() + ": "
                        + created.body());
            }
        }
        HttpResponse<String> login = post(http, admin.resolve("/login"), null, Map.of("userId", user, "password", pw,
                "deviceId", user + "-cli", "deviceType", "cli"));
        if (login.statusCode() != 200) {
            throw new IllegalStateException("POST /login answered " + login.statusCode() + ": " + login.body());
        }
        return JSON.readTree(login.body());
    }

    private static HttpResponse<String> post(HttpClient http, URI uri, String adminKey, Map<String, String> body)
            throws Exception {
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (adminKey != null) {
            req.header("Authorization", "Bearer " + adminKey);
        }
        return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code KIM_ADMIN_KEY}, else the key in {@code <KIM_DATA_DIR>/admin-key} if readable, else {@code null}. */
    static String adminKey() {
        String key = System.getenv("KIM_ADMIN_KEY");
        if (key != null && !key.isBlank()) {
            return key.trim();
        }
        String dir = System.getenv("KIM_DATA_DIR");
        Path file = Path.of(dir == null || dir.isBlank() ? "data" : dir.trim(),
                KimServerMain.ADMIN_KEY_FILE);
        try {
            String k = Files.readString(file).strip();
            return k.isEmpty() ? null : k;
        } catch (IOException | SecurityException e) {
            return null;
        }
    }
}
