package io.kim.net.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.CloseStatus;
import io.kim.net.Frame;
import io.kim.net.OpCode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelInitializer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OutboxTest {

    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, LocalIoHandler.newFactory());

    @AfterEach
    void shutdown() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Records what is written to a channel, in order: frames by their first payload byte, flushes, the close. */
    private static final class Recorder extends ChannelOutboundHandlerAdapter {
        final List<String> events = new CopyOnWriteArrayList<>();
        final CountDownLatch closed = new CountDownLatch(1);

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            Frame f = (Frame) msg;
            events.add(f.opCode() == OpCode.CLOSE ? "close-frame" : "frame-" + f.payload()[0]);
            promise.trySuccess();
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            events.add("flush");
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            events.add("close");
            closed.countDown();
            ctx.close(promise);
        }
    }

    private Channel channelOn(EventLoop loop, Recorder recorder) throws Exception {
        LocalAddress address = new LocalAddress("outbox-" + System.nanoTime());
        Channel server = new ServerBootstrap().group(loop).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                    }
                }).bind(address).sync().channel();
        Channel client = new Bootstrap().group(loop).channel(LocalChannel.class).handler(recorder)
                .connect(address).sync().channel();
        client.closeFuture().addListener(f -> server.close());
        return client;
    }

    @Test
    void writesFromAnotherLoop_arriveInOrderAndTheCloseComesAfterThem() throws Exception {
        EventLoop target = loops.next();
        EventLoop source = loops.next();
        assertTrue(target != source);
        Recorder recorder = new Recorder();
        Channel ch = channelOn(target, recorder);

        source.execute(() -> {
            for (int i = 0; i < 5; i++) {
                Outbox.writeAndFlush(ch, Frame.binary(new byte[] {(byte) i}));
            }
            Outbox.close(ch, CloseStatus.KICKED);
            Outbox.writeAndFlush(ch, Frame.binary(new byte[] {9})); // after the close: dropped
        });

        assertTrue(recorder.closed.await(10, TimeUnit.SECONDS));
        ch.closeFuture().await(10, TimeUnit.SECONDS);
        List<String> frames = recorder.events.stream().filter(e -> !e.equals("flush")).toList();
        assertEquals(List.of("frame-0", "frame-1", "frame-2", "frame-3", "frame-4", "close-frame", "close"), frames);
        assertTrue(recorder.events.indexOf("flush") < recorder.events.indexOf("close"),
                "the writes are flushed before the close: " + recorder.events);
    }

    @Test
    void writesFromAThreadThatIsNoEventLoop_andFromTheChannelsOwnLoop_goOutAtOnce() throws Exception {
        Recorder recorder = new Recorder();
        Channel ch = channelOn(loops.next(), recorder);

        Outbox.writeAndFlush(ch, Frame.binary(new byte[] {1}));
        ch.eventLoop().submit(() -> Outbox.writeAndFlush(ch, Frame.binary(new byte[] {2}))).sync();
        Outbox.close(ch, CloseStatus.NORMAL);

        assertTrue(recorder.closed.await(10, TimeUnit.SECONDS));
        assertEquals(List.of("frame-1", "flush", "frame-2", "flush", "close-frame", "flush", "close"),
                recorder.events);
    }

    @Test
    void gather_onAThreadThatIsNoEventLoop_handsWritesOverAfterTheWork_inOrder_flushedOncePerChannelRun()
            throws Exception {
        EventLoop target = loops.next();
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        Channel a = channelOn(target, first);
        Channel b = channelOn(target, second);
        CountDownLatch release = new CountDownLatch(1);
        target.execute(() -> await(release)); // the target loop is busy: nothing may run there before the end

        Outbox.gather(() -> {
            Outbox.writeAndFlush(a, Frame.binary(new byte[] {1}));
            Outbox.writeAndFlush(a, Frame.binary(new byte[] {2}));
            Outbox.writeAndFlush(b, Frame.binary(new byte[] {3}));
            Outbox.close(b, CloseStatus.KICKED);
            Outbox.writeAndFlush(a, Frame.binary(new byte[] {4}));
        });
        Outbox.writeAndFlush(a, Frame.binary(new byte[] {5})); // after the scope: handed over at once, behind it
        assertEquals(List.of(), first.events, "nothing written before the target loop runs the batch");
        release.countDown();
        target.submit(() -> { }).sync();
        target.submit(() -> { }).sync();

        assertEquals(List.of("frame-1", "frame-2", "flush", "frame-4", "flush", "frame-5", "flush"), first.events);
        assertTrue(second.closed.await(10, TimeUnit.SECONDS));
        assertEquals(List.of("frame-3", "close-frame", "flush", "close"), second.events);
    }

    @Test
    void gather_workThrows_whatItAskedBeforeIsStillHandedOver() throws Exception {
        Recorder recorder = new Recorder();
        Channel ch = channelOn(loops.next(), recorder);
        RuntimeException boom = new IllegalStateException("boom");
        RuntimeException thrown = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> Outbox.gather(() -> {
                    Outbox.writeAndFlush(ch, Frame.binary(new byte[] {6}));
                    throw boom;
                }));
        assertTrue(thrown == boom);
        ch.eventLoop().submit(() -> { }).sync();
        assertEquals(List.of("frame-6", "flush"), recorder.events);
        Outbox.writeAndFlush(ch, Frame.binary(new byte[] {7})); // the thread gathers no more: at once
        ch.eventLoop().submit(() -> { }).sync();
        assertEquals(List.of("frame-6", "flush", "frame-7", "flush"), recorder.events);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void writeOnEmbeddedChannel_fromTheTestThread_isWritten() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Outbox.writeAndFlush(ch, Frame.binary(new byte[] {7}));
        Frame f = ch.readOutbound();
        assertEquals(7, f.payload()[0]);
        ch.finishAndReleaseAll();
    }
}
