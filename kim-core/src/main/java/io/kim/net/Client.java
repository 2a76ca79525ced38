package io.kim.net;

import io.kim.net.internal.Args;
import io.kim.net.internal.ClientConnectionHandler;
import io.kim.net.internal.NettyIo;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client connection over a {@link Transport}: it dials, lets the {@link Dialer} do the handshake, then sends
 * binary payloads ({@link #push}) and hands the server's payloads to its {@link MessageListener}. It pings the
 * server every heartbeat interval and closes if nothing was read for the read-wait.
 *
 * <p>A client connects once; to reconnect, build another (the IM client SDK does this for you, with backoff and
 * resync). Thread-safe; listener callbacks run on the connection's event loop and must not block.
 */
public final class Client implements Channel {

    private final String id;
    private final Transport transport;
    private final Dialer dialer;
    private final MessageListener messageListener;
    private final StateListener stateListener;
    private final Duration connectTimeout;
    private final Duration handshakeTimeout;
    private final Duration heartbeat;
    private final Duration readWait;
    private final int maxFrameLength;
    private final int writeBufferHighWaterMark;
    private final EventLoopGroup sharedGroup;
    private final ClientTls tls;

    private final AtomicBoolean connecting = new AtomicBoolean();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private volatile io.netty.channel.Channel ch;
    private volatile ClientConnectionHandler handler;
    private EventLoopGroup ownGroup;

    private Client(Builder b) {
        this.id = b.id != null ? b.id : UUID.randomUUID().toString();
        this.transport = b.transport;
        this.dialer = b.dialer;
        this.messageListener = b.messageListener;
        this.stateListener = b.stateListener;
        this.connectTimeout = b.connectTimeout;
        this.handshakeTimeout = b.handshakeTimeout;
        this.heartbeat = b.heartbeat;
        this.readWait = b.readWait;
        this.maxFrameLength = b.maxFrameLength;
        this.writeBufferHighWaterMark = b.writeBufferHighWaterMark;
        this.sharedGroup = b.group;
        this.tls = b.tls;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A new event loop group for {@link Builder#eventLoopGroup} (native epoll when available, NIO otherwise), to
     * run many clients on a few threads. The caller shuts it down.
     *
     * @param threads the number of threads; 0 means twice the number of CPUs
     */
    public static EventLoopGroup newEventLoopGroup(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads: " + threads + " (expected: >= 0)");
        }
        return NettyIo.newGroup(threads, "kim-client");
    }

    /**
     * Connects to {@code address} and runs the {@link Dialer}.
     *
     * @return completes when the handshake is done; fails if the connection cannot be made within the connect
     *         timeout, the handshake fails or does not finish within the handshake timeout, or the connection closes
     *         first (the client is then closed)
     * @throws IllegalStateException if called more than once
     */
    public CompletableFuture<Void> connect(InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (!connecting.compareAndSet(false, true)) {
            throw new IllegalStateException("connect() may be called once per client");
        }
        EventLoopGroup group = sharedGroup;
        if (group == null) {
            ownGroup = group = NettyIo.newGroup(1, "kim-client");
        }
        CompletableFuture<Void> ready = new CompletableFuture<>();
        ClientConnectionHandler h = new ClientConnectionHandler(this, dialer, messageListener, stateListener,
                address, handshakeTimeout, ready, () -> closeFuture.complete(null));
        handler = h;
        TransportOptions options = new TransportOptions(maxFrameLength);
        ChannelFuture cf = new Bootstrap()
                .group(group)
                .channel(NettyIo.socketChannelType(group))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(writeBufferHighWaterMark / 2, writeBufferHighWaterMark))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel sc) {
                        if (tls != null) {
                            sc.pipeline().addLast("tls", tls.newHandler(sc.alloc(), address));
                        }
                        transport.configureClient(sc.pipeline(), address, options);
                        // above the codec, so that the codec sees the flushes that reach the socket
                        sc.pipeline().addLast("flush", new FlushConsolidationHandler(256, true));
                        if (!heartbeat.isZero() || !readWait.isZero()) {
                            sc.pipeline().addLast("idle", new IdleStateHandler(readWait.toNanos(),
                                    heartbeat.toNanos(), 0, TimeUnit.NANOSECONDS));
                        }
                        sc.pipeline().addLast("kim", h);
                    }
                })
                .connect(address);
        ch = cf.channel();
        closeFuture.whenComplete((v, e) -> {
            if (ownGroup != null) {
                ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
        });
        cf.addListener(f -> {
            if (!f.isSuccess()) {
                ready.completeExceptionally(f.cause());
                closeFuture.complete(null);
            }
        });
        ready.whenComplete((v, e) -> {
            if (e != null) {
                cf.channel().close();
            }
        });
        return ready;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String transport() {
        return transport.name();
    }

    @Override
    public SocketAddress remoteAddress() {
        io.netty.channel.Channel c = ch;
        return c == null ? null : c.remoteAddress();
    }

    /** {@code true} once the handshake is done and until the connection closes. */
    @Override
    public boolean isActive() {
        ClientConnectionHandler h = handler;
        io.netty.channel.Channel c = ch;
        return c != null && c.isActive() && h != null && h.handshaken();
    }

    /** Always {@code null}: clients carry no attachment. */
    @Override
    public Object attachment() {
        return null;
    }

    /**
     * Sends {@code payload} as one binary frame (batched with other writes); see {@link Agent#push}.
     *
     * @return {@code false} if not connected or already closed
     */
    @Override
    public boolean push(byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        io.netty.channel.Channel c = ch;
        if (c == null || !isActive()) {
            return false;
        }
        io.kim.net.internal.Outbox.writeAndFlush(c, Frame.binary(payload));
        return true;
    }

    /** Same as {@link #push}. */
    public boolean send(byte[] payload) {
        return push(payload);
    }

    /**
     * Why the server closed this connection, as the close frame it sent said; {@code null} while open, or if the
     * connection ended without a close frame.
     */
    public CloseStatus closeStatus() {
        ClientConnectionHandler h = handler;
        return h == null ? null : h.peerCloseStatus();
    }

    @Override
    public void close(CloseStatus status) {
        Objects.requireNonNull(status, "status");
        io.netty.channel.Channel c = ch;
        if (c == null) {
            closeFuture.complete(null);
            return;
        }
        if (!c.isOpen()) {
            return;
        }
        try {
            c.eventLoop().execute(() -> {
                if (c.isActive()) {
                    c.writeAndFlush(Frame.close(status));
                }
                c.close();
            });
        } catch (RejectedExecutionException e) {
            c.close(); // the event loop is shutting down: nothing more can be written
        }
    }

    /** Closes with {@link CloseStatus#NORMAL}. */
    public void close() {
        close(CloseStatus.NORMAL);
    }

    @Override
    public CompletionStage<Void> closeFuture() {
        return closeFuture.minimalCompletionStage();
    }

    /**
     * The connection's event loop.
     *
     * @throws IllegalStateException before {@link #connect} was called
     */
    @Override
    public java.util.concurrent.Executor executor() {
        io.netty.channel.Channel c = ch;
        if (c == null) {
            throw new IllegalStateException("not connected");
        }
        return c.eventLoop();
    }

    @Override
    public void pauseReading() {
        io.netty.channel.Channel c = ch;
        if (c != null) {
            c.config().setAutoRead(false);
        }
    }

    @Override
    public void resumeReading() {
        io.netty.channel.Channel c = ch;
        if (c != null) {
            c.config().setAutoRead(true);
        }
    }

    @Override
    public String toString() {
        return "Client[" + id + ", " + transport.name() + ", " + remoteAddress() + "]";
    }

    /** Configures a {@link Client}. Not thread-safe; {@link #build()} copies the settings. */
    public static final class Builder {
        private String id;
        private Transport transport;
        private Dialer dialer = Dialer.none();
        private MessageListener messageListener = (c, p) -> { };
        private StateListener stateListener = c -> { };
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration heartbeat = Duration.ofSeconds(30);
        private Duration readWait = Duration.ofSeconds(90);
        private int maxFrameLength = 1 << 20;
        private int writeBufferHighWaterMark = 4 << 20;
        private EventLoopGroup group;
        private ClientTls tls;

        private Builder() {
        }

        /** This client's id ({@link #id()}). Default: a random UUID. */
        public Builder id(String id) {
            this.id = Objects.requireNonNull(id, "id");
            return this;
        }

        /** The transport to dial with. Required. */
        public Builder transport(Transport transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /** The handshake. Default: {@link Dialer#none()}. */
        public Builder dialer(Dialer dialer) {
            this.dialer = Objects.requireNonNull(dialer, "dialer");
            return this;
        }

        /** Receives the server's payloads after the handshake. Default: drops them. */
        public Builder messageListener(MessageListener listener) {
            this.messageListener = Objects.requireNonNull(listener, "messageListener");
            return this;
        }

        /** Told once when a handshaken connection closes. Default: does nothing. */
        public Builder stateListener(StateListener listener) {
            this.stateListener = Objects.requireNonNull(listener, "stateListener");
            return this;
        }

        /** How long to wait for the TCP connection. Default 5 seconds. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Args.positive(timeout, "connectTimeout");
            return this;
        }

        /** How long the transport upgrade plus the {@link Dialer} may take. Default 10 seconds. */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = Args.positive(timeout, "handshakeTimeout");
            return this;
        }

        /** Send a ping when nothing was written for this long. Default 30 seconds; zero disables. */
        public Builder heartbeat(Duration interval) {
            this.heartbeat = Args.nonNegative(interval, "heartbeat");
            return this;
        }

        /** Close when nothing was read for this long. Default 90 seconds; zero disables. */
        public Builder readWait(Duration readWait) {
            this.readWait = Args.nonNegative(readWait, "readWait");
            return this;
        }

        /** The largest frame payload accepted or sent, in bytes. Default 1 MiB. */
        public Builder maxFrameLength(int maxFrameLength) {
            this.maxFrameLength = Args.atLeast(maxFrameLength, 1, "maxFrameLength");
            return this;
        }

        /** Unsent bytes above which {@link #push} keeps queueing but the channel reports unwritable. Default 4 MiB. */
        public Builder writeBufferHighWaterMark(int bytes) {
            this.writeBufferHighWaterMark = Args.atLeast(bytes, 2, "writeBufferHighWaterMark");
            return this;
        }

        /**
         * Speak TLS to the server (TCP inside TLS, or WebSocket over HTTPS, {@code wss}), trusting and verifying as
         * {@code tls} says; a server whose certificate is not trusted or does not name the host fails
         * {@link #connect} with an {@link javax.net.ssl.SSLException}. Default: {@code null}, no TLS.
         */
        public Builder tls(ClientTls tls) {
            this.tls = tls;
            return this;
        }

        /**
         * An event loop group to run on, shared with other clients; the caller keeps ownership and shuts it down.
         * Default: each client creates a one-thread group and shuts it down when it closes.
         */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.group = Objects.requireNonNull(group, "group");
            return this;
        }

        /**
         * Builds the client (not yet connected).
         *
         * @throws IllegalStateException if no transport was set
         */
        public Client build() {
            if (transport == null) {
                throw new IllegalStateException("transport not set");
            }
            return new Client(this);
        }

    }
}
