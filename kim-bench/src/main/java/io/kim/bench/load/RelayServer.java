package io.kim.bench.load;

import io.kim.net.OpCode;
import io.kim.transport.tcp.TcpTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The baseline: a minimal raw-Netty relay speaking the same TCP frame format as {@link TcpTransport} (8-byte header,
 * magic 0x4B4D, version 1, opcode, u32 length), with no IM logic at all. It forwards each frame, header included and
 * without a copy, to the channel registered under an id, or to every member of a group; it stores nothing, checks
 * nothing and acknowledges nothing. Pings are answered with pongs, a close frame closes.
 *
 * <p>The first byte of each binary payload says what it is:
 * <ul>
 *   <li>{@code 0 id...}: register this connection under {@code id} (UTF-8); answered with the payload {@code 0}.</li>
 *   <li>{@code 3 group...}: join group {@code group}; answered with the payload {@code 3}.</li>
 *   <li>{@code 1 n id[n] body...}: forward the whole frame to the connection registered as {@code id}.</li>
 *   <li>{@code 2 n group[n] body...}: forward the whole frame to every member of {@code group} but the sender,
 *       encoded once (each member gets a retained duplicate of the same buffer).</li>
 * </ul>
 * Pipeline: the same {@link FlushConsolidationHandler} as kim's server, Netty's {@link LengthFieldBasedFrameDecoder},
 * the relay handler; the same transport (native epoll when available) and the same number of I/O threads.
 *
 * <p>Writes are batched the way a tuned relay does it: a frame for a connection on the reading event loop is written
 * at once and flushed when the read batch ends; frames for connections on other event loops are collected per
 * target loop during the read batch and handed over in one task per target loop when it ends, which writes them all
 * and flushes each target connection once. Thread-safe.
 */
final class RelayServer implements AutoCloseable {

    static final byte REGISTER = 0;
    static final byte TO_ID = 1;
    static final byte TO_GROUP = 2;
    static final byte JOIN = 3;

    private static final AttributeKey<String> ID = AttributeKey.valueOf("relay-id");
    private static final int MAX_FRAME_LENGTH = 1 << 20;

    private final ConcurrentHashMap<String, Channel> channels = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, List<Channel>> groups = new ConcurrentHashMap<>();
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel server;

    RelayServer(InetSocketAddress address, int ioThreads) {
        boolean epoll = !Boolean.getBoolean("kim.noEpoll") && Epoll.isAvailable();
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("relay-accept", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("relay-io", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Handler handler = new Handler();
        server = new ServerBootstrap()
                .group(boss, workers)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FlushConsolidationHandler(256, true),
                                new LengthFieldBasedFrameDecoder(MAX_FRAME_LENGTH + TcpTransport.HEADER_LENGTH,
                                        4, 4, 0, 0),
                                handler);
                    }
                })
                .bind(address).syncUninterruptibly().channel();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Registered connections. */
    int connections() {
        return channels.size();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @ChannelHandler.Sharable
    private final class Handler extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            int at = frame.readerIndex();
            if (frame.getUnsignedShort(at) != TcpTransport.MAGIC
                    || frame.getUnsignedByte(at + 2) != TcpTransport.VERSION) {
                frame.release();
                ctx.close();
                return;
            }
            int op = frame.getUnsignedByte(at + 3);
            if (op == OpCode.PING.code()) {
                frame.setByte(at + 3, OpCode.PONG.code());
                ctx.writeAndFlush(frame, ctx.voidPromise());
                return;
            }
            if (op != OpCode.BINARY.code() || frame.readableBytes() <= TcpTransport.HEADER_LENGTH) {
                frame.release();
                if (op == OpCode.CLOSE.code()) {
                    ctx.close();
                }
                return;
            }
            int p = at + TcpTransport.HEADER_LENGTH;
            byte kind = frame.getByte(p);
            switch (kind) {
                case TO_ID -> {
                    Channel target = channels.get(name(frame, p));
                    if (target == null) {
                        frame.release();
                    } else {
                        Outgoing.current().write(ctx.executor(), target, frame);
                    }
                }
                case TO_GROUP -> {
                    List<Channel> members = groups.get(name(frame, p));
                    if (members != null) {
                        Outgoing out = Outgoing.current();
                        for (Channel m : members) {
                            if (m != ctx.channel()) {
                                out.write(ctx.executor(), m, frame.retainedDuplicate());
                            }
                        }
                    }
                    frame.release();
                }
                case REGISTER -> {
                    String id = frame.toString(p + 1, frame.writerIndex() - p - 1, StandardCharsets.UTF_8);
                    ctx.channel().attr(ID).set(id);
                    channels.put(id, ctx.channel());
                    reply(ctx, frame, REGISTER);
                }
                case JOIN -> {
                    String group = frame.toString(p + 1, frame.writerIndex() - p - 1, StandardCharsets.UTF_8);
                    groups.computeIfAbsent(group, g -> new CopyOnWriteArrayList<>()).add(ctx.channel());
                    reply(ctx, frame, JOIN);
                }
                default -> {
                    frame.release();
                    ctx.close();
                }
            }
        }

        private static String name(ByteBuf frame, int p) {
            int n = frame.getUnsignedByte(p + 1);
            return frame.toString(p + 2, n, StandardCharsets.UTF_8);
        }

        /** Reuses the request's buffer for the one-byte answer. */
        private static void reply(ChannelHandlerContext ctx, ByteBuf frame, byte kind) {
            int at = frame.readerIndex();
            frame.setInt(at + 4, 1);
            frame.writerIndex(at + TcpTransport.HEADER_LENGTH + 1);
            frame.setByte(at + TcpTransport.HEADER_LENGTH, kind);
            ctx.writeAndFlush(frame, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            Outgoing.current().flush();
            ctx.fireChannelReadComplete();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            String id = ctx.channel().attr(ID).get();
            if (id != null) {
                channels.remove(id, ctx.channel());
            }
            for (List<Channel> members : groups.values()) {
                members.remove(ctx.channel());
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /**
     * The writes of one read batch on one event loop: local ones are written at once and flushed at the end, the
     * others are kept per target event loop and handed over in one task per loop. Used by its event loop only.
     */
    private static final class Outgoing {

        private static final FastThreadLocal<Outgoing> CURRENT = new FastThreadLocal<>() {
            @Override
            protected Outgoing initialValue() {
                return new Outgoing();
            }
        };

        /** Connections on this loop written to in this batch, each once. */
        private final Set<Channel> localFlushes = Collections.newSetFromMap(new IdentityHashMap<>());
        /** Per other event loop: channel, frame, channel, frame, ... */
        private final Map<EventExecutor, List<Object>> remote = new IdentityHashMap<>();

        static Outgoing current() {
            return CURRENT.get();
        }

        void write(EventExecutor here, Channel target, ByteBuf frame) {
            EventExecutor loop = target.eventLoop();
            if (loop == here) {
                target.write(frame, target.voidPromise());
                localFlushes.add(target);
            } else {
                List<Object> batch = remote.computeIfAbsent(loop, l -> new ArrayList<>());
                batch.add(target);
                batch.add(frame);
            }
        }

        void flush() {
            if (!localFlushes.isEmpty()) {
                for (Channel ch : localFlushes) {
                    ch.flush();
                }
                localFlushes.clear();
            }
            if (remote.isEmpty()) {
                return;
            }
            for (Map.Entry<EventExecutor, List<Object>> e : remote.entrySet()) {
                List<Object> batch = e.getValue();
                e.getKey().execute(() -> writeAll(batch));
            }
            remote.clear();
        }

        /** Runs on the target loop: every write of the batch, then one flush per connection. */
        private static void writeAll(List<Object> batch) {
            Set<Channel> touched = Collections.newSetFromMap(new IdentityHashMap<>());
            for (int i = 0; i < batch.size(); i += 2) {
                Channel ch = (Channel) batch.get(i);
                ch.write(batch.get(i + 1), ch.voidPromise());
                touched.add(ch);
            }
            for (Channel ch : touched) {
                ch.flush();
            }
        }
    }
}
