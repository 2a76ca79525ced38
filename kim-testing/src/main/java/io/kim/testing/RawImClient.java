package io.kim.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.kim.protocol.internal.Packets;
import io.kim.net.Client;
import io.kim.net.Dialer;
import io.kim.net.Transport;
import io.kim.protocol.TargetType;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.Header;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.LoginResponse;
import io.kim.protocol.MessagePush;
import io.kim.protocol.Packet;
import io.kim.protocol.SendRequest;
import io.kim.protocol.Status;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A protocol-level client for tests and load generators: logs in with a token, sends requests and waits for their
 * responses, and queues pushes; {@link #loginDialer} is its login on its own, for a caller that drives a
 * {@link Client} itself. It needs no test framework: a wrong answer or one that does not come within 30 seconds
 * throws an {@link AssertionError}, which every test framework reports as a failure. Thread-safe enough for tests:
 * one thread drives it.
 */
public final class RawImClient implements AutoCloseable {

    private static final long WAIT_SECONDS = 30;

    private final Client client;
    private final BlockingQueue<Packet> responses = new LinkedBlockingQueue<>();
    private final BlockingQueue<Packet> pushes = new LinkedBlockingQueue<>();
    private final AtomicInteger sequence = new AtomicInteger(1);
    private volatile Packet loginReply;

    private RawImClient(Transport transport, EventLoopGroup group, String token) {
        this.client = Client.builder().transport(transport).eventLoopGroup(group)
                .dialer(loginDialer(token, reply -> loginReply = reply))
                .messageListener((ch, payload) -> {
                    Packet p = parse(payload);
                    (p.getHeader().getFlag() == Flag.PUSH ? pushes : responses).add(p);
                })
                .build();
    }

    /**
     * The login handshake with {@code token}: sends LOGIN (request sequence 1) and completes when the answer is
     * OK, after handing it to {@code onReply}; fails with an {@link IllegalStateException} naming the status
     * otherwise (the {@link Client} then closes the connection).
     */
    public static Dialer loginDialer(String token, Consumer<Packet> onReply) {
        byte[] login = Packets.request(Command.LOGIN, 1, LoginRequest.newBuilder().setToken(token).build());
        return ctx -> {
            ctx.send(login);
            return ctx.receive().thenAccept(payload -> {
                Packet reply = parse(payload);
                Header h = reply.getHeader();
                if (h.getStatus() != Status.OK) {
                    throw new IllegalStateException("login refused: " + h.getStatus() + " " + h.getStatusMessage());
                }
                onReply.accept(reply);
            });
        };
    }

    /**
     * Connects and logs in.
     *
     * @throws ExecutionException if the login is not OK (the cause says why) or the connection fails
     */
    public static RawImClient login(Transport transport, EventLoopGroup group, InetSocketAddress server, String token)
            throws Exception {
        RawImClient c = new RawImClient(transport, group, token);
        c.client.connect(server).get(WAIT_SECONDS, TimeUnit.SECONDS);
        return c;
    }

    /** The login response. */
    public LoginResponse loginResponse() throws InvalidProtocolBufferException {
        return LoginResponse.parseFrom(loginReply.getBody());
    }

    /** Sends a request and returns its response. */
    public Packet request(Command command, MessageLite body) throws InterruptedException {
        int seq = sequence.incrementAndGet();
        if (!client.push(Packets.request(command, seq, body))) {
            throw new AssertionError("connection closed: cannot send " + command);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (true) {
            Packet p = responses.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (p == null) {
                throw new AssertionError("no response to " + command + " #" + seq);
            }
            if (p.getHeader().getSequence() == seq) {
                return p;
            }
        }
    }

    /**
     * Sends a request without waiting for its response (read it with {@link #pollResponse}).
     *
     * @return its sequence
     */
    public int sendRequest(Command command, MessageLite body) {
        int seq = sequence.incrementAndGet();
        client.push(Packets.request(command, seq, body));
        return seq;
    }

    /** A response already received or arriving within {@code millis}, or {@code null}. */
    public Packet pollResponse(long millis) throws InterruptedException {
        return responses.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** The close frame the server sent, or {@code null} while open or if it sent none. */
    public io.kim.net.CloseStatus closeStatus() {
        return client.closeStatus();
    }

    /** Sends a request and returns its response; throws an {@link AssertionError} unless it has {@code status}. */
    public Packet expect(Status status, Command command, MessageLite body) throws InterruptedException {
        Packet p = request(command, body);
        if (p.getHeader().getStatus() != status) {
            throw new AssertionError(command + ": expected " + status + ", got " + p.getHeader().getStatus() + " "
                    + p.getHeader().getStatusMessage());
        }
        return p;
    }

    /** A text SEND request. */
    public static SendRequest text(TargetType type, String target, String clientMessageId, String text) {
        return SendRequest.newBuilder().setChatType(type).setTarget(target).setClientMessageId(clientMessageId)
                .setContentType("text/plain").setBody(ByteString.copyFromUtf8(text)).build();
    }

    /** The next push of {@code command}, waiting up to 30 s. */
    public Packet nextPush(Command command) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (true) {
            Packet p = pushes.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (p == null) {
                throw new AssertionError("no " + command + " push");
            }
            if (p.getHeader().getCommand() == command) {
                return p;
            }
        }
    }

    /** The next MESSAGE push's body. */
    public MessagePush nextMessage() throws Exception {
        return MessagePush.parseFrom(nextPush(Command.MESSAGE).getBody());
    }

    /** A push already received or arriving within {@code millis}, or {@code null}. */
    public Packet pollPush(long millis) throws InterruptedException {
        return pushes.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** A push of {@code command} already received or arriving within {@code millis}, or {@code null}. */
    public Packet pollPush(Command command, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            Packet p = pushes.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (p == null || p.getHeader().getCommand() == command) {
                return p;
            }
        }
    }

    /** The connection's close future. */
    public CompletableFuture<Void> closeFuture() {
        return client.closeFuture().toCompletableFuture();
    }

    @Override
    public void close() {
        client.close();
    }

    private static Packet parse(byte[] payload) {
        try {
            return Packet.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("server sent a non-packet", e);
        }
    }
}
