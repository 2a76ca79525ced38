package io.kim.net.internal;

import io.kim.net.Channel;
import io.kim.net.CloseStatus;
import io.kim.net.Frame;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A {@link Channel} over a Netty channel whose pipeline carries {@link Frame}s. */
public final class NettyChannel implements Channel {

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

    @Override
    public boolean push(byte[] payload) {
        return write(ch, payload);
    }

    @Override
    public boolean push(byte[] prefix, byte[] shared) {
        if (!ch.isActive()) {
            return false;
        }
        ch.writeAndFlush(new Frame(io.kim.net.OpCode.BINARY, prefix, shared), ch.voidPromise());
        return true;
    }

    @Override
    public void close(CloseStatus status) {
        close(ch, status);
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
    public String toString() {
        return "Channel[" + id + ", " + transport + ", " + ch.remoteAddress() + "]";
    }

    /**
     * Writes one binary frame and asks for a flush; the pipeline's flush consolidation turns many such calls into
     * one system call. Safe from any thread.
     */
    static boolean write(io.netty.channel.Channel ch, byte[] payload) {
        if (!ch.isActive()) {
            return false;
        }
        ch.writeAndFlush(Frame.binary(payload), ch.voidPromise());
        return true;
    }

    /** Writes a close frame behind everything already queued, then closes. Safe from any thread; idempotent. */
    static void close(io.netty.channel.Channel ch, CloseStatus status) {
        if (ch.eventLoop().inEventLoop()) {
            if (ch.isActive()) {
                ch.writeAndFlush(Frame.close(status), ch.voidPromise());
            }
            ch.close();
        } else if (ch.isOpen()) {
            try {
                ch.eventLoop().execute(() -> close(ch, status));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                ch.close();
            }
        }
    }
}
