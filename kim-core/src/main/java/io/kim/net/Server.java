package io.kim.net;

import io.kim.net.internal.Args;
import io.kim.net.internal.AddressMatcher;
import io.kim.net.internal.ByteCounter;
import io.kim.net.internal.ConnectionGate;
import io.kim.net.internal.HandshakeBudget;
import io.kim.net.internal.NettyChannel;
import io.kim.net.internal.NettyIo;
import io.kim.net.internal.ServerConnectionHandler;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import io.netty.util.concurrent.EventExecutor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server that accepts connections on one or more {@link Transport}s and runs the shared connection lifecycle:
 * handshake through the {@link Acceptor} within the login timeout, binary payloads to the
 * {@link MessageListener}, heartbeats (a {@link OpCode#PING} is answered with a {@link OpCode#PONG}), a close after
 * the read-wait passes with nothing read, a close of peers that stop reading once their outbound buffer passes the
 * high-water mark, and a {@link StateListener} call for every accepted channel that goes away.
 *
 * <pre>{@code
 * Server server = Server.builder()
 *         .listen(Transports.get("tcp"), new InetSocketAddress(8000))
 *         .acceptor(handshake -> CompletableFuture.completedFuture(Acceptance.accept(newId(), null, null)))
 *         .messageListener((channel, payload) -> channel.push(payload))
 *         .build()
 *         .start();
 * }</pre>
 *
 * <p>Connections are limited by the {@link ConnectionLimits} (by default {@link ConnectionLimits#defaults()}):
 * until its login is accepted a connection may send only small frames and few bytes, and the server takes only so
 * many connections, in total and per client address, and only so fast from one address.
 *
 * <p>Thread-safe. Writes are never flushed one by one: frames written while a read is in progress are flushed
 * once when the read batch ends, and pushes from other threads are consolidated on the event loop. Uses native
 * epoll when it is available (the optional {@code io.netty:netty-transport-native-epoll} jar with the platform's
 * classifier, {@code linux-x86_64} or {@code linux-aarch_64}, is on the class path; set the system property
 * {@code kim.noEpoll=true} to force NIO) and NIO otherwise; io_uring with {@code -Dkim.ioUring=true} and the
 * optional {@code netty-transport-native-io_uring} jar.
 */
public final class Server implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Server.class);
    private static final AtomicInteger SEQ = new AtomicInteger();

    private record Listener(Transport transport, InetSocketAddress address, ServerTls tls) {
    }

    private final List<Listener> listeners;
    private final Acceptor acceptor;
    private final MessageListener messageListener;
    private final StateListener stateListener;
    private final ChannelMap channelMap;
    private final Duration readWait;
    private final Duration loginTimeout;
    private final int maxFrameLength;
    private final int writeBufferHighWaterMark;
    private final int ioThreads;
    private final ServerObserver observer;
    private final ConnectionLimits limits;
    private final AddressMatcher trustedProxies;
    private final ConnectionGate gate;
    private final Function<? super Channel, ? extends CompletionStage<?>> drain;

    private final Object lock = new Object();
    private final Map<String, io.netty.channel.Channel> bound = new LinkedHashMap<>();
    private EventLoopGroup bossGroup;
    private EventLoopGroup workerGroup;
    private ChannelGroup connections;
    private ScheduledExecutorService tlsReloader;
    private volatile boolean started;
    private volatile boolean stopped;

    private Server(Builder b) {
        this.listeners = List.copyOf(b.listeners);
        this.acceptor = b.acceptor;
        this.messageListener = b.messageListener;
        this.stateListener = b.stateListener;
        this.channelMap = b.channelMap;
        this.readWait = b.readWait;
        this.loginTimeout = b.loginTimeout;
        this.maxFrameLength = b.maxFrameLength;
        this.writeBufferHighWaterMark = b.writeBufferHighWaterMark;
        this.ioThreads = b.ioThreads;
        this.observer = b.observer;
        this.limits = b.limits;
        this.trustedProxies = b.trustedProxies;
        this.gate = new ConnectionGate(limits, System::nanoTime);
        this.drain = b.drain;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds every listener and starts accepting connections.
     *
     * @return this server
     * @throws IllegalStateException if already started or stopped, or if a listener cannot bind (every bound
     *                               listener is released again)
     */
    public Server start() {
        synchronized (lock) {
            if (started || stopped) {
                throw new IllegalStateException("server already " + (stopped ? "stopped" : "started"));
            }
            started = true;
            int n = SEQ.incrementAndGet();
            bossGroup = NettyIo.newGroup(1, "kim-accept-" + n);
            workerGroup = NettyIo.newGroup(ioThreads, "kim-io-" + n);
            connections = new DefaultChannelGroup("kim-server-" + n, GlobalEventExecutor.INSTANCE);
            TransportOptions options = new TransportOptions(maxFrameLength,
                    Math.min(maxFrameLength, limits.handshakeMaxFrameLength()));
            try {
                for (Listener l : listeners) {
                    io.netty.channel.Channel ch = bootstrap(l, options).bind(l.address()).syncUninterruptibly().channel();
                    bound.put(l.transport().name(), ch);
                    log.info("kim {} listening on {}{}", l.transport().name(), ch.localAddress(),
                            " (" + NettyIo.transportName() + (l.tls() == null ? "" : ", TLS by " + l.tls().provider())
                                    + ")");
                }
                startTlsReloader(n);
            } catch (RuntimeException e) {
                shutdown(Duration.ZERO);
                throw new IllegalStateException("cannot bind " + listeners + ": " + e, e);
            }
            return this;
        }
    }

    private void startTlsReloader(int n) {
        Set<ServerTls> watched = new LinkedHashSet<>();
        for (Listener l : listeners) {
            if (l.tls() != null && !l.tls().reloadInterval().isZero()) {
                watched.add(l.tls());
            }
        }
        if (watched.isEmpty()) {
            return;
        }
        tlsReloader = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kim-tls-reload-" + n);
            t.setDaemon(true);
            return t;
        });
        for (ServerTls tls : watched) {
            long every = tls.reloadInterval().toNanos();
            tlsReloader.scheduleWithFixedDelay(() -> {
                try {
                    tls.reloadIfChanged();
                } catch (RuntimeException e) {
                    log.warn("TLS reload failed", e);
                }
            }, every, every, TimeUnit.NANOSECONDS);
        }
    }

    private ServerBootstrap bootstrap(Listener l, TransportOptions options) {
        ServerConnectionHandler.Settings settings = new ServerConnectionHandler.Settings(l.transport().name(),
                acceptor, messageListener, stateListener, channelMap, loginTimeout, observer, gate, trustedProxies);
        ByteCounter bytes = observer == ServerObserver.NONE ? null : new ByteCounter(l.transport().name(), observer);
        return new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(NettyIo.serverChannelType(workerGroup))
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(writeBufferHighWaterMark / 2, writeBufferHighWaterMark))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        if (bytes != null) {
                            ch.pipeline().addLast("bytes", bytes);
                        }
                        if (l.tls() != null) {
                            ch.pipeline().addLast("tls", l.tls().newHandler(ch.alloc()));
                        }
                        if (limits.handshakeMaxBytes() > 0) {
                            ch.pipeline().addLast("handshake-budget", new HandshakeBudget(limits.handshakeMaxBytes()));
                        }
                        l.transport().configureServer(ch.pipeline(), options);
                        // above the codec, so that the codec sees the flushes that reach the socket
                        ch.pipeline().addLast("flush", new FlushConsolidationHandler(256, true));
                        if (!readWait.isZero()) {
                            ch.pipeline().addLast("idle",
                                    new IdleStateHandler(readWait.toNanos(), 0, 0, TimeUnit.NANOSECONDS));
                        }
                        ch.pipeline().addLast("kim", new ServerConnectionHandler(settings));
                    }
                });
    }

    /**
     * The address the listener of {@code transport} is bound to (useful after binding port 0).
     *
     * @throws IllegalStateException if the server is not running or has no listener for that transport
     */
    public InetSocketAddress boundAddress(String transport) {
        synchronized (lock) {
            io.netty.channel.Channel ch = bound.get(transport);
            if (ch == null) {
                throw new IllegalStateException("no running listener for transport '" + transport + "' (have: "
                        + bound.keySet() + ")");
            }
            return (InetSocketAddress) ch.localAddress();
        }
    }

    /** The live channels. */
    public ChannelMap channels() {
        return channelMap;
    }

    /**
     * Pushes {@code payload} to the channel {@code channelId}; see {@link Agent#push}. Thread-safe.
     *
     * @return {@code false} if no such channel is live
     */
    public boolean push(String channelId, byte[] payload) {
        Channel channel = channelMap.get(channelId);
        return channel != null && channel.push(payload);
    }

    /**
     * Checks that every event loop of this server (the accepting one and every I/O thread) runs a task within
     * {@code deadline}: a loop that is blocked (by a stalled log appender, a blocking call, an endless loop) or dead
     * makes it fail. Never blocks the caller; the stage completes on the last loop to answer or on a timer thread.
     *
     * @return completes with {@code true} if every loop answered in time, {@code false} if one did not, was shut
     *         down, or the server is not running
     */
    public CompletionStage<Boolean> probeEventLoops(Duration deadline) {
        Args.positive(deadline, "deadline");
        List<CompletableFuture<Void>> answers = new ArrayList<>();
        synchronized (lock) {
            if (!isRunning()) {
                return CompletableFuture.completedFuture(false);
            }
            for (EventLoopGroup group : List.of(bossGroup, workerGroup)) {
                for (EventExecutor loop : group) {
                    CompletableFuture<Void> answered = new CompletableFuture<>();
                    try {
                        loop.execute(() -> answered.complete(null));
                    } catch (RuntimeException e) {
                        return CompletableFuture.completedFuture(false); // shut down
                    }
                    answers.add(answered);
                }
            }
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .orTimeout(deadline.toNanos(), TimeUnit.NANOSECONDS)
                .handle((v, e) -> e == null);
    }

    /** The connections open now, logged in or not (refused ones not counted). */
    public int connectionCount() {
        return gate.connections();
    }

    /** The limits this server enforces. */
    public ConnectionLimits limits() {
        return limits;
    }

    /** {@code true} between {@link #start()} and {@link #shutdown}. */
    public boolean isRunning() {
        return started && !stopped;
    }

    /**
     * Stops gracefully: stops accepting, stops reading from every connection, waits for what the
     * {@linkplain Builder#drain drain} of each accepted channel returns (if one is set), sends every connection
     * (handshaken or not) a close frame with {@link CloseStatus#GOING_AWAY} and closes it, waits for them to
     * close, then shuts down the event loops this server created. The waits together last at most {@code grace}.
     * Idempotent; blocks the caller (never call it on an event loop).
     */
    public void shutdown(Duration grace) {
        Objects.requireNonNull(grace, "grace");
        synchronized (lock) {
            if (stopped) {
                return;
            }
            stopped = true;
            if (tlsReloader != null) {
                tlsReloader.shutdownNow();
            }
            if (bossGroup == null) {
                return;
            }
            for (io.netty.channel.Channel ch : bound.values()) {
                ch.close().syncUninterruptibly();
            }
            bound.clear();
            long deadline = System.nanoTime() + grace.toNanos();
            List<io.netty.channel.Channel> open = new ArrayList<>(connections);
            for (io.netty.channel.Channel ch : open) {
                ch.eventLoop().execute(() -> NettyChannel.stopReading(ch));
            }
            if (drain != null && !grace.isZero()) {
                awaitDrained(deadline);
            }
            for (io.netty.channel.Channel ch : open) {
                ch.eventLoop().execute(() -> {
                    if (ch.isActive()) {
                        ch.writeAndFlush(Frame.close(CloseStatus.GOING_AWAY));
                    }
                    ch.close();
                });
            }
            for (io.netty.channel.Channel ch : open) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !ch.closeFuture().awaitUninterruptibly(left, TimeUnit.NANOSECONDS)) {
                    break;
                }
            }
            connections.close().awaitUninterruptibly();
            long quiet = 0;
            long timeout = Math.max(grace.toMillis(), 100);
            bossGroup.shutdownGracefully(quiet, timeout, TimeUnit.MILLISECONDS).syncUninterruptibly();
            workerGroup.shutdownGracefully(quiet, timeout, TimeUnit.MILLISECONDS).syncUninterruptibly();
            log.info("kim server stopped");
        }
    }

    /** Runs {@link #drain} for every channel of the map on its loop and waits for all, until {@code deadline}. */
    private void awaitDrained(long deadline) {
        List<CompletableFuture<Void>> drained = new ArrayList<>();
        for (Channel channel : channelMap.all()) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            drained.add(done);
            try {
                channel.executor().execute(() -> {
                    try {
                        drain.apply(channel).whenComplete((ignored, error) -> done.complete(null));
                    } catch (RuntimeException e) {
                        log.warn("draining {} failed", channel, e);
                        done.complete(null);
                    }
                });
            } catch (RejectedExecutionException e) {
                done.complete(null); // its loop has stopped: nothing left to wait for
            }
        }
        try {
            CompletableFuture.allOf(drained.toArray(new CompletableFuture<?>[0]))
                    .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            log.info("shutdown: {} of {} channels still had requests in flight at the end of the grace",
                    drained.stream().filter(f -> !f.isDone()).count(), drained.size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@link #shutdown(Duration)} with a 5 second grace. */
    @Override
    public void close() {
        shutdown(Duration.ofSeconds(5));
    }

    /** Configures a {@link Server}. Not thread-safe; {@link #build()} copies the settings. */
    public static final class Builder {
        private final List<Listener> listeners = new ArrayList<>();
        private Acceptor acceptor;
        private MessageListener messageListener;
        private StateListener stateListener = channel -> { };
        private ChannelMap channelMap;
        private Duration readWait = Duration.ofMinutes(3);
        private Duration loginTimeout = Duration.ofSeconds(10);
        private int maxFrameLength = 1 << 20;
        private int writeBufferHighWaterMark = 4 << 20;
        private int ioThreads;
        private ServerObserver observer = ServerObserver.NONE;
        private ConnectionLimits limits = ConnectionLimits.defaults();
        private AddressMatcher trustedProxies = AddressMatcher.NONE;
        private Function<? super Channel, ? extends CompletionStage<?>> drain;

        private Builder() {
        }

        /**
         * The limits on connections that have not logged in yet and on the number and rate of connections. Default
         * {@link ConnectionLimits#defaults()}; {@link ConnectionLimits#none()} turns them all off.
         */
        public Builder limits(ConnectionLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * The proxies (load balancers) whose word on the client's address is believed, as literal addresses or
         * CIDR ranges ({@code "10.0.0.0/8"}, {@code "127.0.0.1"}, {@code "::1/128"}). For a connection from one of
         * them the client address ({@link Handshake#clientAddress()}, the per-address limits) is the one in the
         * PROXY protocol header, or else the right-most {@code X-Forwarded-For} entry of a WebSocket upgrade that is
         * not itself a trusted proxy; a trusted proxy that reports no address is not limited per address. From any
         * other peer those headers are ignored. Default: none, so every peer is the client.
         *
         * @throws IllegalArgumentException if an entry is not a literal address with an optional prefix
         */
        public Builder trustedProxies(Collection<String> cidrs) {
            this.trustedProxies = AddressMatcher.of(List.copyOf(cidrs));
            return this;
        }

        /** Adds a listener: {@code transport} on {@code address} (port 0 picks a free port). At least one. */
        public Builder listen(Transport transport, SocketAddress address) {
            return listen0(transport, address, null);
        }

        /**
         * Adds a listener that speaks TLS: {@code transport} inside TLS on {@code address} (TCP inside TLS, or
         * WebSocket over HTTPS, {@code wss}). A peer that does not complete the TLS handshake (a plain client, a
         * client that does not trust the certificate) is closed before any frame is read. The server reads the
         * certificate files again every {@link ServerTls#reloadInterval()} while it runs.
         */
        public Builder listen(Transport transport, SocketAddress address, ServerTls tls) {
            return listen0(transport, address, Objects.requireNonNull(tls, "tls"));
        }

        private Builder listen0(Transport transport, SocketAddress address, ServerTls tls) {
            Objects.requireNonNull(transport, "transport");
            if (!(address instanceof InetSocketAddress inet)) {
                throw new IllegalArgumentException("address: " + address + " (expected: an InetSocketAddress)");
            }
            for (Listener l : listeners) {
                if (l.transport().name().equals(transport.name())) {
                    throw new IllegalArgumentException("transport '" + transport.name() + "' is already listening");
                }
            }
            listeners.add(new Listener(transport, inet, tls));
            return this;
        }

        /** Decides on each new connection's handshake. Required. */
        public Builder acceptor(Acceptor acceptor) {
            this.acceptor = Objects.requireNonNull(acceptor, "acceptor");
            return this;
        }

        /** Receives the payloads of accepted channels. Required. */
        public Builder messageListener(MessageListener listener) {
            this.messageListener = Objects.requireNonNull(listener, "messageListener");
            return this;
        }

        /** Told when accepted channels close. Default: does nothing. */
        public Builder stateListener(StateListener listener) {
            this.stateListener = Objects.requireNonNull(listener, "stateListener");
            return this;
        }

        /** Where live channels are kept. Default: {@link ChannelMap#concurrent()}, one per server. */
        public Builder channelMap(ChannelMap channelMap) {
            this.channelMap = Objects.requireNonNull(channelMap, "channelMap");
            return this;
        }

        /**
         * Close a connection when nothing (not even a ping) was read for this long. Default 3 minutes; zero
         * disables it. Clients should ping well within it.
         */
        public Builder readWait(Duration readWait) {
            this.readWait = Args.nonNegative(readWait, "readWait");
            return this;
        }

        /** Close a connection whose handshake is not accepted within this time. Default 10 seconds; zero disables. */
        public Builder loginTimeout(Duration loginTimeout) {
            this.loginTimeout = Args.nonNegative(loginTimeout, "loginTimeout");
            return this;
        }

        /** The largest frame payload accepted or sent, in bytes. Default 1 MiB. */
        public Builder maxFrameLength(int maxFrameLength) {
            this.maxFrameLength = Args.atLeast(maxFrameLength, 1, "maxFrameLength");
            return this;
        }

        /**
         * Close a connection whose unsent outbound bytes pass this many (the peer stopped reading); its messages
         * stay wherever the application keeps them. Default 4 MiB.
         */
        public Builder writeBufferHighWaterMark(int bytes) {
            this.writeBufferHighWaterMark = Args.atLeast(bytes, 2, "writeBufferHighWaterMark");
            return this;
        }

        /** I/O threads. Default 0: twice the number of CPUs. */
        public Builder ioThreads(int ioThreads) {
            this.ioThreads = Args.atLeast(ioThreads, 0, "ioThreads");
            return this;
        }

        /**
         * What a graceful {@link Server#shutdown} waits for on each accepted channel before it says "going away":
         * once the listeners are closed and reading from every connection has stopped for good (frames read
         * before are still handed to the {@link MessageListener}), the server calls {@code drain} for every
         * channel of its {@link ChannelMap}, on the channel's event loop, and waits until each returned stage
         * has completed (normally or not) or the grace has passed, whichever comes first; a shutdown with a grace
         * of zero does not call it. Must not block. Default: none, the connections are closed at once.
         */
        public Builder drain(Function<? super Channel, ? extends CompletionStage<?>> drain) {
            this.drain = Objects.requireNonNull(drain, "drain");
            return this;
        }

        /** Observes connections (for metrics). Default: {@link ServerObserver#NONE}. */
        public Builder observer(ServerObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer");
            return this;
        }

        /**
         * Builds the server (not yet started).
         *
         * @throws IllegalStateException if no listener, acceptor or message listener was set
         */
        public Server build() {
            if (listeners.isEmpty()) {
                throw new IllegalStateException("no listener (expected: at least one listen(transport, address))");
            }
            if (acceptor == null) {
                throw new IllegalStateException("acceptor not set");
            }
            if (messageListener == null) {
                throw new IllegalStateException("messageListener not set");
            }
            if (channelMap == null) {
                channelMap = ChannelMap.concurrent();
            }
            return new Server(this);
        }
    }
}
