package io.kim.net.internal;

import io.kim.net.Client;
import io.kim.net.CloseStatus;
import io.kim.net.DialContext;
import io.kim.net.Dialer;
import io.kim.net.Frame;
import io.kim.net.MessageListener;
import io.kim.net.OpCode;
import io.kim.net.StateListener;
import io.kim.net.TransportEvent;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The client-side connection state machine behind {@link Client}. Runs on the connection's event loop. */
public final class ClientConnectionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ClientConnectionHandler.class);
    private static final int MAX_UNCLAIMED_FRAMES = 64;

    private final Client client;
    private final Dialer dialer;
    private final MessageListener messageListener;
    private final StateListener stateListener;
    private final InetSocketAddress remote;
    private final Duration handshakeTimeout;
    private final CompletableFuture<Void> ready;
    private final Runnable onClosed;

    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private volatile boolean handshaken;
    private volatile CloseStatus peerCloseStatus;
    private final ArrayDeque<byte[]> unclaimed = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<byte[]>> waiting = new ArrayDeque<>();

    public ClientConnectionHandler(Client client, Dialer dialer, MessageListener messageListener,
            StateListener stateListener, InetSocketAddress remote, Duration handshakeTimeout,
            CompletableFuture<Void> ready, Runnable onClosed) {
        this.client = client;
        this.dialer = dialer;
        this.messageListener = messageListener;
        this.stateListener = stateListener;
        this.remote = remote;
        this.handshakeTimeout = handshakeTimeout;
        this.ready = ready;
        this.onClosed = onClosed;
    }

    public boolean handshaken() {
        return handshaken;
    }

    public CloseStatus peerCloseStatus() {
        return peerCloseStatus;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        timer = ctx.executor().schedule(() -> {
            if (!handshaken) {
                ready.completeExceptionally(new TimeoutException("handshake with " + remote
                        + " did not finish within " + handshakeTimeout));
                ctx.close();
            }
        }, handshakeTimeout.toNanos(), TimeUnit.NANOSECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == TransportEvent.READY) {
            startHandshake(ctx);
        } else if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.WRITER_IDLE) {
                ctx.writeAndFlush(Frame.ping(), ctx.voidPromise());
            } else if (idle.state() == IdleState.READER_IDLE) {
                log.debug("{} nothing read within the read-wait: closing", ctx.channel());
                ctx.writeAndFlush(Frame.close(CloseStatus.IDLE_TIMEOUT), ctx.voidPromise());
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private void startHandshake(ChannelHandlerContext ctx) {
        CompletionStage<Void> stage;
        try {
            stage = dialer.handshake(new Context());
        } catch (RuntimeException e) {
            ready.completeExceptionally(e);
            ctx.close();
            return;
        }
        stage.whenComplete((v, e) -> ctx.executor().execute(() -> {
            if (e != null) {
                ready.completeExceptionally(e);
                ctx.close();
                return;
            }
            if (!ctx.channel().isActive()) {
                return;
            }
            if (timer != null) {
                timer.cancel(false);
            }
            handshaken = true;
            byte[] next;
            while ((next = unclaimed.poll()) != null) {
                deliver(next);
            }
            ready.complete(null);
        }));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Frame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        switch (frame.opCode()) {
            case PING -> ctx.writeAndFlush(new Frame(OpCode.PONG, frame.payload()), ctx.voidPromise());
            case CLOSE -> {
                peerCloseStatus = CloseStatus.decode(frame.payload());
                log.debug("{} closed by server: {}", ctx.channel(), peerCloseStatus);
                ctx.close();
            }
            case BINARY -> onBinary(frame.payload());
            default -> { }
        }
    }

    private void onBinary(byte[] payload) {
        if (handshaken) {
            deliver(payload);
            return;
        }
        CompletableFuture<byte[]> w = waiting.poll();
        if (w != null) {
            w.complete(payload);
        } else if (unclaimed.size() < MAX_UNCLAIMED_FRAMES) {
            unclaimed.add(payload);
        } else {
            ready.completeExceptionally(new IOException("server sent more than " + MAX_UNCLAIMED_FRAMES
                    + " frames during the handshake"));
            ctx.close();
        }
    }

    private void deliver(byte[] payload) {
        try {
            messageListener.receive(client, payload);
        } catch (RuntimeException e) {
            log.warn("{} message listener failed", client, e);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() instanceof IOException io) {
            cause = io; // a failed TLS handshake, reported by the SslHandler inside a DecoderException
        }
        if (cause instanceof IOException) {
            log.debug("{} I/O error: {}", ctx.channel(), cause.toString());
        } else {
            log.warn("{} closing after error", ctx.channel(), cause);
        }
        ready.completeExceptionally(cause);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
        ClosedChannelException closed = new ClosedChannelException();
        CompletableFuture<byte[]> w;
        while ((w = waiting.poll()) != null) {
            w.completeExceptionally(closed);
        }
        unclaimed.clear();
        if (!ready.isDone()) {
            CloseStatus s = peerCloseStatus;
            ready.completeExceptionally(s == null ? closed
                    : new IOException("server closed the connection: " + s));
        }
        if (handshaken) {
            try {
                stateListener.disconnected(client);
            } catch (RuntimeException e) {
                log.warn("{} state listener failed", client, e);
            }
        }
        onClosed.run();
        ctx.fireChannelInactive();
    }

    private final class Context implements DialContext {
        @Override
        public InetSocketAddress remoteAddress() {
            return remote;
        }

        @Override
        public void send(byte[] payload) {
            ctx.channel().writeAndFlush(Frame.binary(payload), ctx.channel().voidPromise());
        }

        @Override
        public CompletionStage<byte[]> receive() {
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            ctx.executor().execute(() -> {
                byte[] next = unclaimed.poll();
                if (next != null) {
                    f.complete(next);
                } else if (!ctx.channel().isActive()) {
                    f.completeExceptionally(new ClosedChannelException());
                } else {
                    waiting.add(f);
                }
            });
            return f;
        }
    }
}
