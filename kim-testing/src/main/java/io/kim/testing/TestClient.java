package io.kim.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.kim.client.ImClient;
import io.kim.client.ImClientListener;
import io.kim.client.LoginInfo;
import io.kim.client.ReceivedMessage;
import io.kim.client.SendResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * An {@link ImClient} handed out by {@link KimServerExtension}, with a listener that records what it is told:
 * the inbox entries in the order the client delivered them, its states and kicks. Thread-safe. Every waiting
 * method fails with an {@link AssertionError} after 30 seconds.
 */
public final class TestClient implements AutoCloseable {

    /** One inbox entry the client delivered. */
    public record Received(long sequence, ReceivedMessage message) {
        /** The body as UTF-8 text. */
        public String text() {
            return new String(message.body(), UTF_8);
        }
    }

    private final List<Received> received = new ArrayList<>();
    private final List<ImClient.State> states = new CopyOnWriteArrayList<>();
    private final List<String> kicks = new CopyOnWriteArrayList<>();
    private final ImClient client;

    TestClient(KimServerExtension kim, String token, Consumer<ImClient.Builder> customizer) {
        ImClient.Builder b = ImClient.builder()
                .address(kim.address())
                .transport(kim.transport())
                .token(token)
                .eventLoopGroup(kim.clientLoops())
                .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(500))
                .listener(new ImClientListener() {
                    @Override
                    public void onMessage(long sequence, ReceivedMessage message) {
                        synchronized (received) {
                            received.add(new Received(sequence, message));
                            received.notifyAll();
                        }
                    }

                    @Override
                    public void onStateChanged(ImClient.State state) {
                        states.add(state);
                    }

                    @Override
                    public void onKicked(String reason) {
                        kicks.add(reason);
                    }
                });
        customizer.accept(b); // a listener set here replaces the recording one
        this.client = b.build();
    }

    TestClient connected() throws Exception {
        connect();
        return this;
    }

    /** The SDK client itself, for everything this class does not wrap. */
    public ImClient im() {
        return client;
    }

    /** Connects and logs in (once; later calls return the same login). */
    public LoginInfo connect() throws Exception {
        return await("the login", client.connect());
    }

    /** Sends {@code text} as {@code text/plain} to {@code toUser} and waits for the acknowledgement. */
    public SendResult send(String toUser, String text) throws Exception {
        return await("the acknowledgement", client.send(toUser, "text/plain", text.getBytes(UTF_8)));
    }

    /** Sends {@code text} as {@code text/plain} to the group and waits for the acknowledgement. */
    public SendResult sendToGroup(String groupId, String text) throws Exception {
        return await("the acknowledgement", client.sendToGroup(groupId, "text/plain", text.getBytes(UTF_8)));
    }

    /** Everything delivered so far, in delivery order (which is sequence order). */
    public List<Received> messages() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** Waits until at least {@code n} entries were delivered; returns all delivered so far. */
    public List<Received> awaitMessages(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(KimServerExtension.WAIT_SECONDS);
        synchronized (received) {
            while (received.size() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("waited for " + n + " messages, have " + received.size() + ": "
                            + texts(received));
                }
                TimeUnit.NANOSECONDS.timedWait(received, left);
            }
            return List.copyOf(received);
        }
    }

    /** The states the client went through, in order. */
    public List<ImClient.State> states() {
        return List.copyOf(states);
    }

    /** The reasons of the kicks the client got. */
    public List<String> kicks() {
        return List.copyOf(kicks);
    }

    /** Closes the client and waits until it is closed. */
    @Override
    public void close() throws Exception {
        client.close();
        await("the close", client.closeFuture());
    }

    @Override
    public String toString() {
        return "TestClient[" + client + "]";
    }

    private static List<String> texts(List<Received> entries) {
        return entries.stream().map(Received::text).toList();
    }

    static <T> T await(String what, CompletableFuture<T> f) throws Exception {
        try {
            return f.get(KimServerExtension.WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no " + what + " within " + KimServerExtension.WAIT_SECONDS + " s", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }
}
