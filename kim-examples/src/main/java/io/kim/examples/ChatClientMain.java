package io.kim.examples;

import io.kim.client.ImClient;
import io.kim.client.ImClientListener;
import io.kim.client.ReceivedMessage;
import io.kim.net.Transports;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A command-line chat client for the example server. It fetches a token for the user from the server's HTTP token
 * service, logs in over TCP (or WebSocket), prints every message that arrives, and sends each line typed as
 * {@code @user text}. {@code /quit} (or end of input) leaves.
 *
 * <pre>
 * java -cp kim-examples/target/kim-server.jar io.kim.examples.ChatClientMain alice [host] [tcp|ws]
 * </pre>
 */
public final class ChatClientMain {

    private static final Pattern TOKEN = Pattern.compile("\"token\":\"([^\"]+)\"");
    private static final Pattern LINE = Pattern.compile("@(\\S+)\\s+(.+)");

    private ChatClientMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ChatClientMain <user> [host (default 127.0.0.1)] [tcp|ws (default tcp)]");
            System.exit(2);
        }
        String user = args[0];
        String host = args.length > 1 ? args[1] : "127.0.0.1";
        String transport = args.length > 2 ? args[2] : "tcp";
        int port = transport.equals("ws") ? 8001 : 8000;

        String token = fetchToken(host, user);
        ImClient client = ImClient.builder()
                .address(new InetSocketAddress(host, port))
                .transport(Transports.get(transport))
                .token(token)
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

    static String fetchToken(String host, String user) throws Exception {
        HttpResponse<String> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://" + host + ":8080/token?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = TOKEN.matcher(res.body());
        if (res.statusCode() != 200 || !m.find()) {
            throw new IllegalStateException("token service answered " + res.statusCode() + ": " + res.body());
        }
        return m.group(1);
    }
}
