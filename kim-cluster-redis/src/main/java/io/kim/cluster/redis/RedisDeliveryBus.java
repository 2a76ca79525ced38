package io.kim.cluster.redis;

import io.kim.cluster.redis.internal.BusFrames;
import io.kim.cluster.redis.internal.Keys;
import io.kim.spi.ClusterBus;
import io.kim.spi.RemoteKick;
import io.kim.spi.RemotePresence;
import io.kim.spi.RemotePush;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes and kicks for connections on other nodes, over Redis pub/sub: one channel per node
 * ({@code <prefix>bus:{<node>}}), batched per target node, so many pushes cost one PUBLISH and a group message
 * costs one PUBLISH per node that holds members, not one per member. Presence changes go to every node at once on
 * one more channel, {@code <prefix>bus:all}, which every node subscribes besides its own.
 *
 * <pre>{@code
 * RedisDeliveryBus bus = RedisDeliveryBus.builder()
 *         .client(redisClient)              // required; the host owns it
 *         .nodeId("node-a")                 // required: this node's channel
 *         .listener(receiver)               // what other nodes send here (or pass it to start)
 *         .build();
 * bus.start().toCompletableFuture().join(); // subscribed
 * bus.publish("node-b", pushesForNodeB);    // one batch
 * }</pre>
 *
 * <p><b>Batching.</b> {@link #publish} and {@link #kick} queue an entry for its target node. A target's queue is
 * published once its first entry has waited the flush delay (default 2 ms, as Kafka's {@code linger.ms}; the
 * delayed send runs on the bus's timer thread), or at once when it holds {@link Builder#maxBatchEntries} entries
 * (with a delay of 0: at once, on the calling thread). At most one PUBLISH per target node is under way: entries
 * queued meanwhile wait for its reply as well, and are then sent from the thread that completes it (a Lettuce I/O
 * thread). So a busy node sends about one PUBLISH per target node per flush delay (or per Redis round trip, if
 * that is longer), holding everything queued meanwhile (split at {@link Builder#maxBatchEntries} entries or
 * {@link Builder#maxBatchBytes} bytes), and an entry waits no more than the flush delay or one round trip,
 * whichever is longer. {@link #publish(String, Collection)} queues a whole fan-out at once, so it never splits
 * across publishes; {@link #flush} sends every queue now. Entries for one target node are published
 * in the order they were queued. {@link #broadcastPresence} queues for every node the same way, in a queue of its
 * own: the presence changes of one node reach every other node in the order they were queued.
 *
 * <p><b>Loss.</b> Pub/sub is at-most-once: a batch published while the target is disconnected from Redis (or
 * dead) is lost. The message itself is stored before any push is sent, every push carries the receiver's inbox
 * sequence, and the client pulls any gap it sees, so a lost push costs latency, never a message. Kicks lost this way
 * leave the old connection open until it next logs in or is dropped; see {@code docs/cluster.md}. A presence change
 * lost this way leaves the watchers on the nodes that missed it with the old state until the next change or
 * their next {@code PRESENCE} request.
 *
 * <p><b>Unreadable messages</b> on the node's channels (another program publishing there, a node of an unknown
 * version) are dropped and counted ({@link BusMetrics#decodeErrors()}), with a warning at most every 10 seconds;
 * the messages after them are read as usual.
 *
 * <p><b>Reconnects.</b> Lettuce reconnects both connections after Redis restarts or drops them, re-subscribes the
 * node's channel and resends queued commands.
 *
 * <p>Thread-safe; {@link #publish}, {@link #kick}, {@link #broadcastPresence} and {@link #flush} never block and may
 * be called on any thread, event loops included. The receiver runs on a Lettuce I/O thread
 * ({@link ClusterBus.Receiver}).
 *
 * <p>This is the {@link ClusterBus} of {@link RedisCluster}, which also registers the node and keeps the sessions;
 * build one on its own to run the bus without the rest.
 */
public final class RedisDeliveryBus implements ClusterBus {

    private static final Logger log = LoggerFactory.getLogger(RedisDeliveryBus.class);
    /** The least time between two warnings about unreadable messages. */
    private static final long DECODE_WARNING_INTERVAL_MILLIS = 10_000;
    private static final String EVERY_NODE = "every node";

    private final Keys keys;
    private final String nodeId;
    private final byte[] ownChannel;
    private final byte[] channelOfAll;
    private volatile Receiver listener;
    private final Duration flushDelay;
    private final int maxBatchEntries;
    private final int maxBatchBytes;
    private final Clock clock;
    private final StatefulRedisConnection<byte[], byte[]> publisher;
    private final RedisAsyncCommands<byte[], byte[]> redis;
    private final StatefulRedisPubSubConnection<byte[], byte[]> subscriber;
    private final ScheduledExecutorService flusher;
    private final ConcurrentHashMap<String, Outbox> outboxes = new ConcurrentHashMap<>();
    /** The presence changes for every other node. */
    private final Outbox toEveryNode;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private final LongAdder publishes = new LongAdder();
    private final LongAdder pushesSent = new LongAdder();
    private final LongAdder kicksSent = new LongAdder();
    private final AtomicLong largestBatch = new AtomicLong();
    private final LongAdder undelivered = new LongAdder();
    private final LongAdder publishFailures = new LongAdder();
    private final LongAdder batchesReceived = new LongAdder();
    private final LongAdder pushesReceived = new LongAdder();
    private final LongAdder kicksReceived = new LongAdder();
    private final LongAdder decodeErrors = new LongAdder();
    private final LongAdder lagMillis = new LongAdder();
    private final LongAdder presenceSent = new LongAdder();
    private final LongAdder presenceReceived = new LongAdder();
    /** When the next warning about an unreadable message may be logged (epoch millis by {@link #clock}). */
    private final AtomicLong nextDecodeWarning = new AtomicLong(Long.MIN_VALUE);
    private final LongAdder decodeWarnings = new LongAdder();

    private RedisDeliveryBus(Builder b) {
        this.keys = new Keys(b.keyPrefix);
        this.nodeId = b.nodeId;
        this.ownChannel = keys.bus(nodeId).getBytes(StandardCharsets.UTF_8);
        this.channelOfAll = keys.busOfAll().getBytes(StandardCharsets.UTF_8);
        this.toEveryNode = new Outbox(EVERY_NODE, channelOfAll);
        this.listener = b.listener;
        this.flushDelay = b.flushDelay;
        this.maxBatchEntries = b.maxBatchEntries;
        this.maxBatchBytes = b.maxBatchBytes;
        this.clock = b.clock;
        this.publisher = b.client.connect(ByteArrayCodec.INSTANCE);
        this.redis = publisher.async();
        try {
            this.subscriber = b.client.connectPubSub(ByteArrayCodec.INSTANCE);
        } catch (RuntimeException e) {
            publisher.close(); // the bus is not built: leave no connection open on the host's client
            throw e;
        }
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> { // started only by a flush delay
            Thread t = new Thread(r, "kim-bus-" + nodeId);
            t.setDaemon(true);
            return t;
        });
        subscriber.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(byte[] channel, byte[] message) {
                receive(channel, message);
            }
        });
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Subscribes this node's channel and the channel of every node.
     *
     * @return a stage completed once Redis confirmed the subscription
     * @throws IllegalStateException if started before or closed
     */
    public CompletionStage<Void> start() {
        if (listener == null) {
            throw new IllegalStateException("listener not set");
        }
        return subscribe();
    }

    /**
     * Subscribes this node's channel and the channel of every node, handing what arrives to {@code receiver} (in
     * place of the builder's listener).
     *
     * @return a stage completed once Redis confirmed the subscription
     * @throws IllegalStateException if started before or closed
     */
    @Override
    public CompletionStage<Void> start(Receiver receiver) {
        Objects.requireNonNull(receiver, "receiver");
        if (started.get()) {
            throw new IllegalStateException("already started");
        }
        this.listener = receiver;
        return subscribe();
    }

    private CompletionStage<Void> subscribe() {
        if (closed.get()) {
            throw new IllegalStateException("closed");
        }
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("already started");
        }
        return subscriber.async().subscribe(ownChannel, channelOfAll).thenApply(v -> null);
    }

    /** This node's id. */
    @Override
    public String nodeId() {
        return nodeId;
    }

    /**
     * Queues {@code push} for node {@code targetNode}; sent with the next batch for that node.
     *
     * @throws IllegalStateException if the bus is closed
     */
    public void publish(String targetNode, RemotePush push) {
        Objects.requireNonNull(push, "push");
        outbox(targetNode).add(List.of(push));
    }

    /**
     * Queues every push of {@code pushes} for node {@code targetNode} at once: they go out together (in one
     * PUBLISH unless they exceed the batch limits). A fan-out gives each node its pushes with one call.
     *
     * @throws IllegalStateException if the bus is closed
     */
    @Override
    public void publish(String targetNode, Collection<RemotePush> pushes) {
        List<RemotePush> copy = List.copyOf(pushes);
        if (!copy.isEmpty()) {
            outbox(targetNode).add(copy);
        }
    }

    /**
     * Queues {@code kick} for node {@code targetNode}, behind the pushes already queued for it.
     *
     * @throws IllegalStateException if the bus is closed
     */
    @Override
    public void kick(String targetNode, RemoteKick kick) {
        Objects.requireNonNull(kick, "kick");
        outbox(targetNode).add(List.of(kick));
    }

    /**
     * Queues {@code change} for every other node; they receive it on the channel of every node, in the order this
     * node queued its changes. This node does not receive its own.
     *
     * @throws IllegalStateException if the bus is closed
     */
    @Override
    public void broadcastPresence(RemotePresence change) {
        Objects.requireNonNull(change, "change");
        if (closed.get()) {
            throw new IllegalStateException("closed");
        }
        toEveryNode.add(List.of(change));
    }

    /**
     * Sends every queued entry now, on this thread, without waiting for the flush delay; entries of a target node
     * with a PUBLISH under way go as soon as it is answered.
     */
    public void flush() {
        outboxes.values().forEach(Outbox::drain);
        toEveryNode.drain();
    }

    /** The counters of this node's cross-node traffic so far. */
    public BusMetrics metrics() {
        return new BusMetrics(publishes.sum(), pushesSent.sum(), kicksSent.sum(), largestBatch.get(),
                undelivered.sum(), publishFailures.sum(), batchesReceived.sum(), pushesReceived.sum(),
                kicksReceived.sum(), decodeErrors.sum(), lagMillis.sum(), presenceSent.sum(), presenceReceived.sum());
    }

    /**
     * Sends what is queued, unsubscribes and closes both connections, waiting up to 5 seconds for Redis. Call it
     * from a shutdown thread, never an event loop. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        flusher.shutdownNow(); // delayed drains: done here
        outboxes.values().forEach(Outbox::drainAtClose);
        toEveryNode.drainAtClose();
        subscriber.close();
        publisher.close();
    }

    @Override
    public String toString() {
        return "RedisDeliveryBus[" + nodeId + ']';
    }

    private Outbox outbox(String targetNode) {
        if (closed.get()) {
            throw new IllegalStateException("closed");
        }
        Outbox o = outboxes.get(Objects.requireNonNull(targetNode, "targetNode"));
        if (o == null) {
            NodeInfo.checkNodeId(targetNode); // once per target node, not per publish
            o = outboxes.computeIfAbsent(targetNode,
                    t -> new Outbox(t, keys.bus(t).getBytes(StandardCharsets.UTF_8)));
        }
        return o;
    }

    private void receive(byte[] channel, byte[] message) {
        BusFrames.Frame frame;
        try {
            frame = BusFrames.decode(message);
        } catch (RuntimeException e) {
            unreadable(channel, message, e);
            return;
        }
        boolean ofAll = Arrays.equals(channel, channelOfAll);
        if (ofAll && frame.source().equals(nodeId)) {
            return; // this node's own presence changes
        }
        batchesReceived.increment();
        long lag = Math.max(0, clock.millis() - frame.sentAtMillis());
        lagMillis.add(lag);
        Receiver listener = this.listener;
        if (!ofAll) {
            try {
                listener.onBatchReceived(frame.source(), frame.entries().size(), lag);
            } catch (RuntimeException e) {
                log.warn("Delivery listener of {} failed on a batch's figures", nodeId, e);
            }
        }
        List<Object> entries = frame.entries();
        int i = 0;
        while (i < entries.size()) {
            int run = i;
            while (run < entries.size() && entries.get(run) instanceof RemotePush) {
                run++;
            }
            if (run > i) { // pushes up to the next kick or presence change go over together
                List<RemotePush> pushes = new ArrayList<>(run - i);
                for (int j = i; j < run; j++) {
                    pushes.add((RemotePush) entries.get(j));
                }
                pushesReceived.add(pushes.size());
                try {
                    listener.onPushes(frame.source(), pushes);
                } catch (RuntimeException e) {
                    log.warn("Delivery listener of {} failed on {} pushes", nodeId, pushes.size(), e);
                }
                i = run;
                continue;
            }
            Object entry = entries.get(i++);
            try {
                if (entry instanceof RemoteKick k) {
                    kicksReceived.increment();
                    listener.onKick(frame.source(), k);
                } else {
                    presenceReceived.increment();
                    listener.onPresence(frame.source(), (RemotePresence) entry);
                }
            } catch (RuntimeException e) {
                log.warn("Delivery listener of {} failed on {}", nodeId, entry, e);
            }
        }
    }

    /** Counts an unreadable message; warns about it unless another warning was logged in the last 10 seconds. */
    private void unreadable(byte[] channel, byte[] message, RuntimeException e) {
        decodeErrors.increment();
        long now = clock.millis();
        long next = nextDecodeWarning.get();
        if (now >= next && nextDecodeWarning.compareAndSet(next, now + DECODE_WARNING_INTERVAL_MILLIS)) {
            decodeWarnings.increment();
            log.warn("Dropped an unreadable bus message ({} bytes) on {} of {}: {} ({} unreadable so far; the next"
                    + " warning in 10 s at the earliest)", message.length, new String(channel, StandardCharsets.UTF_8),
                    nodeId, e.getMessage(), decodeErrors.sum());
        }
    }

    /** How many warnings about unreadable messages were logged, for tests. */
    long decodeWarnings() {
        return decodeWarnings.sum();
    }

    /**
     * The entries queued for one target node (or for every node), and whether a PUBLISH to it is under way. At most
     * one drain is under way per target: entries queued meanwhile wait for its reply and then go in the next drain,
     * sent from the thread that completes the reply (Lettuce's I/O thread, which writes to its connection without a
     * hand-over). A batch gathers what came in during the flush delay since its first entry (at least one Redis
     * round trip under load); with a delay of 0 an entry goes at once when no drain is under way.
     */
    private final class Outbox {
        private final String target;
        private final byte[] channel;
        private List<Object> queued = new ArrayList<>();
        /** A drain's PUBLISH is under way: its completion sends what was queued meanwhile. */
        private boolean inFlight;
        /** A delayed drain is scheduled on the flusher (flush delay > 0 only). */
        private boolean scheduled;
        /** {@link #flush} asked for the queue while a drain was under way: its reply sends it at once. */
        private boolean urgent;
        /** {@link System#nanoTime()} when the first entry of {@link #queued} was queued. */
        private long firstQueuedAt;

        Outbox(String target, byte[] channel) {
            this.target = target;
            this.channel = channel;
        }

        void add(List<?> entries) {
            List<Object> now = null;
            boolean schedule = false;
            synchronized (this) {
                if (queued.isEmpty()) {
                    firstQueuedAt = System.nanoTime();
                }
                queued.addAll(entries);
                if (inFlight) {
                    return; // the reply sends it, once it has waited the flush delay
                }
                if (flushDelay.isZero() || queued.size() >= maxBatchEntries) {
                    now = take();
                } else if (!scheduled) {
                    schedule = scheduled = true;
                }
            }
            if (now != null) {
                sendAll(now);
            } else if (schedule) {
                scheduleDrain(flushDelay.toNanos());
            }
        }

        /** Drains after {@code nanos} on the flusher; at once if the bus is closing. */
        private void scheduleDrain(long nanos) {
            try {
                flusher.schedule(this::delayedDrain, nanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                delayedDrain(); // closing: send what there is
            }
        }

        /** The flush delay is up: sends the queue, unless a drain is under way (its reply sends it when due). */
        private void delayedDrain() {
            List<Object> now;
            synchronized (this) {
                scheduled = false;
                if (inFlight || queued.isEmpty()) {
                    return;
                }
                now = take();
            }
            sendAll(now);
        }

        /**
         * Sends what is queued now, unless a drain is under way: then its reply sends it without waiting for the
         * flush delay. Any thread.
         */
        void drain() {
            List<Object> now;
            synchronized (this) {
                if (queued.isEmpty()) {
                    return;
                }
                if (inFlight) {
                    urgent = true;
                    return;
                }
                now = take();
            }
            sendAll(now);
        }

        /** Publishes what is queued, behind a PUBLISH under way if there is one. Closing. */
        void drainAtClose() {
            List<Object> now;
            synchronized (this) {
                now = take();
            }
            if (!now.isEmpty()) {
                publishBatches(now);
            }
        }

        /** Takes the queue and marks a drain under way. Holding the lock. */
        private List<Object> take() {
            List<Object> entries = queued;
            queued = new ArrayList<>();
            inFlight = true;
            urgent = false;
            return entries;
        }

        /**
         * Once a drain's publishes completed: the next queue if it is due (it waited the flush delay since its
         * first entry was queued, holds a whole batch, or a flush asked for it), else {@code null}, with no drain
         * under way and a delayed drain scheduled for the rest of the delay.
         */
        private List<Object> next() {
            long wait;
            synchronized (this) {
                if (queued.isEmpty()) {
                    inFlight = false;
                    return null;
                }
                wait = flushDelay.toNanos() - (System.nanoTime() - firstQueuedAt);
                if (wait <= 0 || urgent || queued.size() >= maxBatchEntries) {
                    return take();
                }
                inFlight = false;
                if (scheduled) {
                    return null; // a delayed drain is due anyway
                }
                scheduled = true;
            }
            scheduleDrain(wait);
            return null;
        }

        /**
         * Publishes {@code entries} in batches, then, once the last PUBLISH is answered, whatever was queued
         * meanwhile. A reply that is already there (a closed connection fails at once) continues in this loop
         * rather than in a nested call.
         */
        private void sendAll(List<Object> entries) {
            while (entries != null) {
                CompletableFuture<Long> last = publishBatches(entries);
                if (!last.isDone()) {
                    last.whenComplete((receivers, error) -> sendAll(next()));
                    return;
                }
                entries = next();
            }
        }

        /** Publishes {@code entries}, split by the batch limits; returns the last PUBLISH's stage. */
        private CompletableFuture<Long> publishBatches(List<Object> entries) {
            CompletableFuture<Long> last = null;
            int from = 0;
            while (from < entries.size()) {
                int to = from;
                int bytes = 0;
                while (to < entries.size() && to - from < maxBatchEntries
                        && (to == from || bytes + BusFrames.estimate(entries.get(to)) <= maxBatchBytes)) {
                    bytes += BusFrames.estimate(entries.get(to));
                    to++;
                }
                last = send(entries.subList(from, to));
                from = to;
            }
            return last;
        }

        private CompletableFuture<Long> send(List<Object> batch) {
            int pushes = 0;
            int presence = 0;
            for (Object e : batch) {
                pushes += e instanceof RemotePush ? 1 : 0;
                presence += e instanceof RemotePresence ? 1 : 0;
            }
            int kicks = batch.size() - pushes - presence;
            int size = batch.size();
            boolean ofAll = this == toEveryNode;
            CompletableFuture<Long> sent;
            try {
                byte[] frame = BusFrames.encode(nodeId, clock.millis(), batch);
                publishes.increment();
                pushesSent.add(pushes);
                kicksSent.add(kicks);
                presenceSent.add(presence);
                largestBatch.accumulateAndGet(size, Math::max);
                Receiver listener = RedisDeliveryBus.this.listener;
                if (listener != null && !ofAll) {
                    try {
                        listener.onBatchSent(target, size);
                    } catch (RuntimeException e) {
                        log.warn("Delivery listener of {} failed on a batch's figures", nodeId, e);
                    }
                }
                sent = redis.publish(channel, frame).toCompletableFuture();
            } catch (RuntimeException e) {
                sent = CompletableFuture.failedFuture(e);
            }
            sent.whenComplete((receivers, error) -> {
                if (error != null) {
                    publishFailures.increment();
                    log.warn("Lost a batch of {} entries for {}: {}", size, target, error.toString());
                } else if (receivers == 0 && !ofAll) { // of all: this node's subscription counts too
                    undelivered.add(size);
                }
            });
            return sent;
        }
    }

    /**
     * The default {@link Builder#flushDelay}: 2 ms. A node with pushes for another sends them at most this much later,
     * together with whatever else it has for that node by then; under load that is several messages per PUBLISH,
     * and the receiving node writes each connection once for all of them instead of once per message.
     */
    public static final Duration DEFAULT_FLUSH_DELAY = Duration.ofMillis(2);

    /** Settings of a {@link RedisDeliveryBus}. Not thread-safe; {@link #build()} copies them. */
    public static final class Builder {

        private RedisClient client;
        private String keyPrefix = "kim:";
        private String nodeId;
        private Receiver listener;
        private Duration flushDelay = DEFAULT_FLUSH_DELAY;
        private int maxBatchEntries = 1024;
        private int maxBatchBytes = 1024 * 1024;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** The Redis client; the bus opens two connections of its own (publish, subscribe). Required. */
        public Builder client(RedisClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /** The prefix of the channel names; the same on every node. Default {@code "kim:"}. */
        public Builder keyPrefix(String prefix) {
            new Keys(Objects.requireNonNull(prefix, "keyPrefix"));
            this.keyPrefix = prefix;
            return this;
        }

        /** This node's id: the bus receives what is published for it. Required. */
        public Builder nodeId(String nodeId) {
            this.nodeId = NodeInfo.checkNodeId(nodeId);
            return this;
        }

        /**
         * Receives the pushes and kicks for this node. Required for {@link RedisDeliveryBus#start()}; not needed
         * when the receiver is passed to {@link RedisDeliveryBus#start(Receiver)} (as an ImServer does).
         */
        public Builder listener(Receiver listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * How long a target node's first queued entry waits for more before its batch is sent (on the bus's timer
         * thread, or on the thread that completes the PUBLISH before it); a queue that holds
         * {@link #maxBatchEntries} entries goes without waiting, and a PUBLISH to that node under way holds the batch
         * until it is answered. Default {@link RedisDeliveryBus#DEFAULT_FLUSH_DELAY} (2 ms), which adds at most that
         * much to a push's way to another node (when Redis answers within it) and takes the receiving node's writes
         * from one per message and connection to one per batch and connection.
         * 0: sent at once if no PUBLISH to that node is under way (on the calling thread), else as soon as it is
         * answered, with everything queued meanwhile.
         */
        public Builder flushDelay(Duration delay) {
            Objects.requireNonNull(delay, "flushDelay");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("flushDelay: " + delay + " (expected: >= 0)");
            }
            this.flushDelay = delay;
            return this;
        }

        /** Most entries in one PUBLISH. Default 1024. */
        public Builder maxBatchEntries(int entries) {
            if (entries <= 0) {
                throw new IllegalArgumentException("maxBatchEntries: " + entries + " (expected: > 0)");
            }
            this.maxBatchEntries = entries;
            return this;
        }

        /** About the most bytes in one PUBLISH; a single larger entry still goes alone. Default 1 MiB. */
        public Builder maxBatchBytes(int bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxBatchBytes: " + bytes + " (expected: > 0)");
            }
            this.maxBatchBytes = bytes;
            return this;
        }

        /** The clock of the send times and lag. Default {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * A bus with these settings, connected to Redis but not yet subscribed.
         *
         * @throws IllegalStateException if the client or node id is not set
         */
        public RedisDeliveryBus build() {
            if (client == null) {
                throw new IllegalStateException("client not set");
            }
            if (nodeId == null) {
                throw new IllegalStateException("nodeId not set");
            }
            return new RedisDeliveryBus(this);
        }
    }
}
