package io.kim.net.internal;

import io.kim.net.Channel;
import io.kim.net.CloseStatus;
import io.kim.net.Frame;
import io.netty.util.AttributeKey;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** A {@link Channel} over a Netty channel whose pipeline carries {@link Frame}s. */
public final class NettyChannel implements Channel {

    private static final AttributeKey<Boolean> READING_STOPPED = AttributeKey.valueOf(NettyChannel.class,
            "readingStopped");

    private final String id;
    private final String transport;
    private final io.netty.channel.Channel ch;
    private final Object attachment;
    /** Made by the first {@link #closeFuture()} call: most channels never need one, and it costs memory. */
    private volatile CompletableFuture<Void> closeFuture;

    public NettyChannel(String id, String transport, io.netty.channel.Channel ch, Object attachment) {
        this.id = id;
        this.transport = transport;
        this.ch = ch;
        this.attachment = attachment;
    }

    /** The Netty channel underneath. */
    public io.netty.channel.Channel netty() {
        return ch;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String transport() {
        return transport;
    }

    @Override
    public SocketAddress remoteAddress() {
        return ch.remoteAddress();
    }

    @Override
    public boolean isActive() {
        return ch.isActive();
    }

    @Override
    public Object attachment() {
        return attachment;
    }

    /** Writes through the {@link Outbox}: at once on the channel's loop, gathered from another loop. */
    @Override
    public boolean push(byte[] payload) {
        return write(new Frame(io.kim.net.OpCode.BINARY, payload));
    }

    @Override
    public boolean push(byte[] prefix, byte[] shared) {
        return write(new Frame(io.kim.net.OpCode.BINARY, prefix, shared));
    }

    private boolean write(Frame frame) {
        if (!ch.isActive()) {
            return false;
        }
        Outbox.writeAndFlush(ch, frame);
        return true;
    }

    @Override
    public void close(CloseStatus status) {
        Outbox.close(ch, status);
    }

    @Override
    public CompletionStage<Void> closeFuture() {
        CompletableFuture<Void> f = closeFuture;
        if (f == null) {
            synchronized (this) {
                f = closeFuture;
                if (f == null) {
                    CompletableFuture<Void> created = new CompletableFuture<>();
                    ch.closeFuture().addListener(x -> created.complete(null)); // at once if closed already
                    closeFuture = f = created;
                }
            }
        }
        return f.minimalCompletionStage();
    }

    @Override
    public Executor executor() {
        return ch.eventLoop();
    }

    @Override
    public void pauseReading() {
        ch.config().setAutoRead(false);
    }

    /** Does nothing once the server {@linkplain #stopReading stopped reading} from the channel for good. */
    @Override
    public void resumeReading() {
        resumeReading(ch);
    }

    /** Reads from {@code ch} again, unless the server {@linkplain #stopReading stopped reading} from it for good. */
    public static void resumeReading(io.netty.channel.Channel ch) {
        if (!ch.hasAttr(READING_STOPPED)) {
            ch.config().setAutoRead(true);
        }
    }

    /**
     * Stops reading from {@code ch} for good (a shutdown under way): {@link #resumeReading} does nothing from now
     * on. On the channel's event loop.
     */
    public static void stopReading(io.netty.channel.Channel ch) {
        ch.attr(READING_STOPPED).set(Boolean.TRUE);
        ch.config().setAutoRead(false);
    }

    @Override
    public String toString() {
        return "Channel[" + id + ", " + transport + ", " + ch.remoteAddress() + "]";
    }
}
