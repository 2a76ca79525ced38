package io.kim.net.internal;

import io.kim.net.CloseStatus;
import io.kim.net.Frame;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;

/**
 * Writes and closes for channels of other event loops, gathered while the current event loop works through one
 * iteration and handed to each target loop as one task at its end, instead of one task (and possibly one wake-up)
 * per write. One message sent to a receiver on another loop, or a group message fanned out to hundreds of them,
 * costs the sending loop one hand-over per target loop and iteration.
 *
 * <p>Called from any thread. On the target channel's own loop it writes at once; from another I/O event loop of
 * Netty it gathers; from any other thread (a store's callback thread, say) it hands the write over at once, as Netty
 * would. What one thread asks for one channel happens in the order asked, writes and closes alike. A gathered
 * write to a channel that is no longer active by the time its loop runs it is dropped, as Netty drops a write to a
 * closed channel (a message stays in its receiver's inbox and is synced).
 *
 * <p>Only Netty's public API is used: the current loop is found among the loops of the target channel's group
 * ({@link EventExecutor#inEventLoop()}, once per thread), and the hand-over is a task the current loop runs after
 * the I/O of its iteration (an ordinary {@link EventLoop#execute}; tasks run once the loop has processed the
 * ready channels, so everything the reads of one iteration asked for goes over in one batch per target loop).
 *
 * <p>A thread that is no event loop of the target's group (a cluster bus's receiving thread) gathers the same way
 * inside {@link #gather}: what it asks for there goes over as one task per target loop when the work returns.
 */
public final class Outbox {

    private static final FastThreadLocal<Outbox> OUTBOX = new FastThreadLocal<>();

    /** Marks a thread that is no event loop of a group it wrote to. */
    private static final Outbox NONE = new Outbox(null);

    /** The loop this outbox gathers for, or {@code null} for {@link #NONE} and a {@link #gather} scope. */
    private final EventLoop home;
    private final ArrayList<Batch> batches = new ArrayList<>(4);
    private final Runnable drain = this::drain;
    private boolean scheduled;

    private Outbox(EventLoop home) {
        this.home = home;
    }

    /**
     * Runs {@code work} on the calling thread, gathering the writes and closes it asks for channels of other loops,
     * and hands them to each target loop as one task when {@code work} returns (or throws). On an event loop, which
     * gathers per iteration anyway, and inside another {@code gather}, it just runs {@code work}.
     */
    public static void gather(Runnable work) {
        Outbox o = OUTBOX.getIfExists();
        if (o != null && o != NONE) {
            work.run();
            return;
        }
        Outbox scope = new Outbox(null);
        OUTBOX.set(scope);
        try {
            work.run();
        } finally {
            if (o == null) {
                OUTBOX.remove();
            } else {
                OUTBOX.set(o);
            }
            scope.drain();
        }
    }

    /** Writes {@code frame} to {@code ch} and flushes it, from any thread (see the class comment). */
    public static void writeAndFlush(Channel ch, Frame frame) {
        EventLoop target = ch.eventLoop();
        Outbox outbox;
        if (target.inEventLoop() || (outbox = current(target)) == null) {
            ch.writeAndFlush(frame, ch.voidPromise());
        } else {
            outbox.add(target, ch, frame);
        }
    }

    /**
     * Writes a close frame with {@code status} behind everything asked for before, then closes {@code ch}, from any
     * thread; idempotent.
     */
    public static void close(Channel ch, CloseStatus status) {
        EventLoop target = ch.eventLoop();
        Outbox outbox;
        if (target.inEventLoop()) {
            closeNow(ch, status);
        } else if ((outbox = current(target)) != null) {
            outbox.add(target, ch, status);
        } else if (ch.isOpen()) {
            try {
                target.execute(() -> closeNow(ch, status));
            } catch (RejectedExecutionException e) {
                ch.close();
            }
        }
    }

    private static void closeNow(Channel ch, CloseStatus status) {
        if (ch.isActive()) {
            ch.writeAndFlush(Frame.close(status), ch.voidPromise());
        }
        ch.close();
    }

    /**
     * The outbox of the current thread if it is an event loop of {@code target}'s group, else {@code null}.
     * Looked up once per thread: a thread that is not a Netty thread is remembered as having none.
     */
    static Outbox current(EventLoop target) {
        Outbox o = OUTBOX.getIfExists();
        if (o != null) {
            return o == NONE ? null : o;
        }
        EventLoopGroup group = target.parent();
        if (group != null) {
            for (EventExecutor e : group) {
                if (e.inEventLoop() && e instanceof EventLoop loop) {
                    o = new Outbox(loop);
                    OUTBOX.set(o);
                    return o;
                }
            }
        }
        if (!(Thread.currentThread() instanceof FastThreadLocalThread)) {
            OUTBOX.set(NONE); // a store's or the application's thread: it never becomes an event loop
        }
        return null;
    }

    private void add(EventLoop target, Channel ch, Object op) {
        Batch batch = null;
        for (Batch b : batches) {
            if (b.target == target) {
                batch = b;
                break;
            }
        }
        if (batch == null) {
            batch = new Batch(target);
            batches.add(batch);
        }
        batch.add(ch, op);
        if (home == null) {
            return; // a gather scope: drained when its work returns
        }
        if (!scheduled) {
            scheduled = true;
            try {
                home.execute(drain);
            } catch (RejectedExecutionException e) {
                drain(); // this loop is shutting down: hand over at once
            }
        }
    }

    private void drain() {
        scheduled = false;
        for (int i = 0; i < batches.size(); i++) {
            Batch b = batches.get(i);
            if (b.size == 0) {
                continue;
            }
            batches.set(i, new Batch(b.target));
            try {
                b.target.execute(b);
            } catch (RejectedExecutionException e) {
                b.abandon();
            }
        }
    }

    /** What one iteration asked of the channels of one target loop; runs there. */
    private static final class Batch implements Runnable {
        final EventLoop target;
        Channel[] channels = new Channel[8];
        Object[] ops = new Object[8];
        int size;

        Batch(EventLoop target) {
            this.target = target;
        }

        void add(Channel ch, Object op) {
            if (size == channels.length) {
                channels = Arrays.copyOf(channels, 2 * size);
                ops = Arrays.copyOf(ops, 2 * size);
            }
            channels[size] = ch;
            ops[size++] = op;
        }

        @Override
        public void run() {
            for (int i = 0; i < size; i++) {
                Channel ch = channels[i];
                if (ops[i] instanceof Frame frame) {
                    if (ch.isActive()) {
                        ch.write(frame, ch.voidPromise());
                    }
                    if (i + 1 == size || channels[i + 1] != ch) {
                        ch.flush();
                    }
                } else {
                    closeNow(ch, (CloseStatus) ops[i]);
                }
            }
        }

        /** The target loop is shutting down and closes its channels itself: closes only, nothing written. */
        void abandon() {
            for (int i = 0; i < size; i++) {
                if (ops[i] instanceof CloseStatus) {
                    channels[i].close();
                }
            }
        }
    }
}
