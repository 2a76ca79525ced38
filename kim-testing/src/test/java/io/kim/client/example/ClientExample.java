package io.kim.client.example;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.kim.client.GroupEvent;
import io.kim.client.GroupInfo;
import io.kim.client.ImClient;
import io.kim.client.ImClientListener;
import io.kim.client.ImStatusException;
import io.kim.client.LoginInfo;
import io.kim.client.ReceivedMessage;
import io.kim.client.SendResult;
import io.kim.net.Transports;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

public final class ClientExample {

    public static void main(String[] args) throws Exception {
        String token = args[0];                                   // from your authentication service
        AtomicLong stored = new AtomicLong();                     // stands in for your local database
        ExecutorService app = Executors.newSingleThreadExecutor(); // slow work goes here, not on the listener

        ImClient client = ImClient.builder()
                .addresses(List.of(new InetSocketAddress("im1.example.com", 8000),
                        new InetSocketAddress("im2.example.com", 8000)))
                .transport(Transports.get("tcp"))                 // or new TcpTransport(), new WebSocketTransport()
                .token(() -> token)                               // asked before every login: may refresh
                .lastSequence(stored.get())                       // resume after what the database has
                .requestTimeout(Duration.ofSeconds(5))
                .sendTimeout(Duration.ofSeconds(30))
                .reconnectBackoff(Duration.ofMillis(200), Duration.ofSeconds(10))
                .listener(new ImClientListener() {
                    @Override
                    public void onMessage(long sequence, ReceivedMessage m) {
                        String text = new String(m.body(), UTF_8);
                        app.execute(() -> {                       // in order: a single-thread executor
                            System.out.printf("#%d %s -> %s: %s%n", sequence, m.senderId(), m.target(), text);
                            stored.set(sequence);
                        });
                    }

                    @Override
                    public void onStateChanged(ImClient.State state) {
                        System.out.println("state: " + state);
                    }

                    @Override
                    public void onGroupEvent(GroupEvent event) {
                        System.out.println(event.userId() + " " + event.kind() + " " + event.groupId());
                    }

                    @Override
                    public void onKicked(String reason) {
                        System.out.println("signed in elsewhere: " + reason);
                    }
                })
                .build();
        try {
            LoginInfo me = client.connect().get(1, TimeUnit.MINUTES); // blocking is fine: not the client's thread
            System.out.println("logged in as " + me.userId());

            SendResult ack = client.send("bob", "text/plain", "hi bob".getBytes(UTF_8)).get(1, TimeUnit.MINUTES);
            System.out.println("stored as " + ack.messageId() + " at #" + ack.sequence());

            GroupInfo team = client.createGroup(null, "Team", List.of("bob", "carol")).get(1, TimeUnit.MINUTES);
            client.sendToGroup(team.groupId(), "text/plain", "hello team".getBytes(UTF_8)).get(1, TimeUnit.MINUTES);
            System.out.println("members: " + client.groupMembers(team.groupId()).get(1, TimeUnit.MINUTES));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ImStatusException refused) {
                System.out.println("refused: " + refused.status() + " " + refused.detail());
            } else {
                throw e;
            }
        } finally {
            client.close();
            client.closeFuture().get(5, TimeUnit.SECONDS);
            app.shutdown();
        }
    }
}
