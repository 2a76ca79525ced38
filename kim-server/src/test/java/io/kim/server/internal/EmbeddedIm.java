package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.kim.net.CloseStatus;
import io.kim.net.Frame;
import io.kim.net.OpCode;
import io.kim.net.ServerObserver;
import io.kim.net.ConnectionLimits;
import io.kim.net.internal.AddressMatcher;
import io.kim.net.internal.ConnectionGate;
import io.kim.net.internal.ServerConnectionHandler;
import io.kim.protocol.Command;
import io.kim.protocol.Flag;
import io.kim.protocol.LoginRequest;
import io.kim.protocol.Packet;
import io.kim.protocol.internal.Packets;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One connection to an {@link ImNode} over an {@link EmbeddedChannel}: the server's connection handler (and, if
 * asked, its idle handler) without a socket or a codec, so frames go in and out as {@link Frame}s and time can be
 * frozen and moved. Tokens are {@code tenant:user:device:type}.
 */
final class EmbeddedIm implements AutoCloseable {

    final EmbeddedChannel channel;
    private int sequence = 1;

    EmbeddedIm(ImNode node, Duration loginTimeout, Duration readWait) {
        ServerConnectionHandler.Settings settings = new ServerConnectionHandler.Settings("embedded", node.acceptor(),
                node.messageListener(), node.stateListener(), node.channels(), loginTimeout, ServerObserver.NONE,
                new ConnectionGate(ConnectionLimits.none(), System::nanoTime), AddressMatcher.NONE);
        List<ChannelHandler> handlers = new ArrayList<>();
        if (!readWait.isZero()) {
            handlers.add(new IdleStateHandler(readWait.toNanos(), 0, 0, TimeUnit.NANOSECONDS));
        }
        handlers.add(new ServerConnectionHandler(settings));
        channel = new EmbeddedChannel();
        channel.freezeTime(); // before the handlers see the channel, so that their timers run on frozen time
        channel.pipeline().addLast(handlers.toArray(new ChannelHandler[0]));
        channel.pipeline().fireChannelActive();
    }

    /** A node whose authenticator reads {@code tenant:user:device:type} tokens. */
    static ImNode.Builder node() {
        return ImNode.builder().nodeId("n1").authenticator(token -> {
            String[] p = token.split(":");
            if (p.length != 4) {
                return java.util.concurrent.CompletableFuture.failedFuture(
                        new io.kim.spi.AuthenticationException(io.kim.spi.AuthenticationException.Reason.INVALID,
                                "bad token"));
            }
            return java.util.concurrent.CompletableFuture.completedFuture(
                    new io.kim.spi.Identity(p[0], p[1], p[2], p[3]));
        });
    }

    /** Sends a LOGIN and returns its response. */
    Packet login(String token) {
        write(Packets.request(Command.LOGIN, 1, LoginRequest.newBuilder().setToken(token).build()));
        return nextPacket();
    }

    void write(byte[] payload) {
        channel.writeInbound(Frame.binary(payload));
        channel.runPendingTasks();
    }

    /** Sends a request; returns its sequence. */
    int request(Command command, MessageLite body) {
        int seq = ++sequence;
        write(Packets.request(command, seq, body));
        return seq;
    }

    /** Every frame written so far. */
    List<Frame> frames() {
        channel.runPendingTasks();
        List<Frame> out = new ArrayList<>();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            out.add((Frame) o);
        }
        return out;
    }

    /** The next packet written (fails if none). */
    Packet nextPacket() {
        channel.runPendingTasks();
        Frame f = channel.readOutbound();
        assertNotNull(f, "a frame");
        assertEquals(OpCode.BINARY, f.opCode(), "a binary frame, got " + f);
        return parse(f);
    }

    /** The close status of the next close frame written, or {@code null} if none. */
    CloseStatus closeStatus() {
        for (Frame f : frames()) {
            if (f.opCode() == OpCode.CLOSE) {
                return CloseStatus.decode(f.payload());
            }
        }
        return null;
    }

    void advance(Duration d) {
        channel.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        channel.runScheduledPendingTasks();
        channel.runPendingTasks();
    }

    static Packet parse(Frame f) {
        try {
            return Packet.parseFrom(f.joined());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("not a packet: " + f, e);
        }
    }

    static boolean isResponse(Packet p) {
        return p.getHeader().getFlag() == Flag.RESPONSE;
    }

    /** Sends a text SEND and returns the status of its answer (pushes before it are skipped). */
    io.kim.protocol.Status sendText(io.kim.protocol.TargetType type, String target, String clientMessageId) {
        int seq = request(Command.SEND, io.kim.protocol.SendRequest.newBuilder().setChatType(type).setTarget(target)
                .setClientMessageId(clientMessageId).setContentType("text/plain")
                .setBody(com.google.protobuf.ByteString.copyFromUtf8("hi")).build());
        for (Packet p = nextPacket(); ; p = nextPacket()) {
            if (isResponse(p) && p.getHeader().getSequence() == seq) {
                return p.getHeader().getStatus();
            }
        }
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
    }
}
