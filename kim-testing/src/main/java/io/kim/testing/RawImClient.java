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
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
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
    /** What happened, in order: "MESSAGE", "KICK", "RESPONSE SEND OK", ..., and "CLOSED 4003" at the end. */
    private final List<String> events = new CopyOnWriteArrayList<>();
    private volatile Packet firstReply;
    private volatile CompletableFuture<Void> connected;

    private RawImClient(Transport transport, EventLoopGroup group, byte[] handshake) {
        this.client = Client.builder().transport(transport).eventLoopGroup(group)
                .dialer(handshakeDialer(handshake, reply -> firstReply = reply))
                .messageListener((ch, payload) -> {
                    Packet p = parse(payload);
                    Header h = p.getHeader();
                    events.add(h.getFlag() == Flag.PUSH ? h.getCommand().name()
                            : h.getFlag() + " " + h.getCommand() + " " + h.getStatus());
                    (h.getFlag() == Flag.PUSH ? pushes : responses).add(p);
                })
                .build();
        client.closeFuture().whenComplete((v, e) -> {
            io.kim.net.CloseStatus s = client.closeStatus();
            events.add("CLOSED " + (s == null ? "-" : s.code()));
        });
    }

    /**
     * The login handshake with {@code token}: sends LOGIN (request sequence 1) and completes when the answer is
     * OK, after handing it to {@code onReply}; fails with an {@link IllegalStateException} naming the status
     * otherwise (the {@link Client} then closes the connection).
     */
    public static Dialer loginDialer(String token, Consumer<Packet> onReply) {
        return handshakeDialer(loginPacket(token), onReply);
    }

    /** A LOGIN request with {@code token}, request sequence 1. */
    public static byte[] loginPacket(String token) {
        return Packets.request(Command.LOGIN, 1, LoginRequest.newBuilder().setToken(token).build());
    }

    private static Dialer handshakeDialer(byte[] first, Consumer<Packet> onReply) {
        return ctx -> {
            ctx.send(first);
            return ctx.receive().thenAccept(payload -> {
                Packet reply = parse(payload);
                Header h = reply.getHeader();
                onReply.accept(reply);
                if (h.getStatus() != Status.OK) {
                    throw new IllegalStateException("login refused: " + h.getStatus() + " " + h.getStatusMessage());
                }
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
        RawImClient c = connect(transport, group, server, loginPacket(token));
        c.connected.get(WAIT_SECONDS, TimeUnit.SECONDS);
        return c;
    }

    /**
     * Connects and sends {@code handshake} as the first packet, whatever it is (a LOGIN with a bad token, a request
     * before login): returns at once; {@link #connected()} completes when the server answered it OK and fails
     * otherwise, and {@link #firstReply()} holds the answer either way.
     */
    public static RawImClient connect(Transport transport, EventLoopGroup group, InetSocketAddress server,
            byte[] handshake) {
        RawImClient c = new RawImClient(transport, group, handshake);
        c.connected = c.client.connect(server).toCompletableFuture();
        return c;
    }

    /** Completes when the handshake was answered OK; fails if it was refused or the connection failed. */
    public CompletableFuture<Void> connected() {
        return connected;
    }

    /** The server's answer to the handshake packet (a refusal too), or {@code null} before it came. */
    public Packet firstReply() {
        return firstReply;
    }

    /** The login response. */
    public LoginResponse loginResponse() throws InvalidProtocolBufferException {
        return LoginResponse.parseFrom(firstReply.getBody());
    }

    /** Sends a request and returns its response (other responses that come first are dropped). */
    public Packet request(Command command, MessageLite body) throws InterruptedException {
        int seq = nextSequence();
        write(Packets.request(command, seq, body));
        return response(seq);
    }

    /** The request sequence for the next request (each call returns a new one). */
    public int nextSequence() {
        return sequence.incrementAndGet();
    }

    /** Writes {@code payload} as one frame, whatever it holds; throws an {@link AssertionError} when closed. */
    public void write(byte[] payload) {
        if (!client.push(payload)) {
            throw new AssertionError("connection closed: cannot write " + payload.length + " bytes");
        }
    }

    /**
     * The next response with request sequence {@code seq}, waiting up to 30 s; responses to other requests that
     * come first are dropped.
     */
    public Packet response(int seq) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (true) {
            Packet p = responses.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (p == null) {
                throw new AssertionError("no response to request #" + seq + "; events: " + events);
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
        int seq = nextSequence();
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
                throw new AssertionError("no " + command + " push; events: " + events);
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

    /** Whether the connection is open. */
    public boolean isActive() {
        return client.isActive();
    }

    /** What happened, in order: "MESSAGE", "KICK", "RESPONSE SEND OK", ..., and "CLOSED 4003" once closed. */
    public List<String> events() {
        return List.copyOf(events);
    }

    /** Waits up to 30 s for the connection to close, and for the close to be recorded in {@link #events()}. */
    public void awaitClosed() throws Exception {
        closeFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (events.isEmpty() || !events.get(events.size() - 1).startsWith("CLOSED")) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the close was not recorded: " + events);
            }
            Thread.sleep(1);
        }
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
