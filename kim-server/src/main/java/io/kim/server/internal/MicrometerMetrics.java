package io.kim.server.internal;

import io.kim.net.Channel;
import io.kim.net.ServerObserver;
import io.kim.protocol.Command;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The IM server's metrics in a Micrometer {@link MeterRegistry}. Meter names are dot-separated and in base
 * units; the Prometheus registry renders {@code kim.request.duration} as {@code kim_request_duration_seconds}.
 *
 * <ul>
 *   <li>{@code kim.connections} (gauge; transport, tenant): logged-in connections</li>
 *   <li>{@code kim.logins} (tenant), {@code kim.logouts} (tenant, reason), {@code kim.kicks} (tenant),
 *       {@code kim.login.failures} (reason)</li>
 *   <li>{@code kim.packets.in}, {@code kim.packets.out} (command)</li>
 *   <li>{@code kim.bytes.in}, {@code kim.bytes.out} (transport; bytes)</li>
 *   <li>{@code kim.request.duration} (timer with histogram; command)</li>
 *   <li>{@code kim.delivery.latency} (timer with histogram): from storing a message to pushing it to a receiver</li>
 *   <li>{@code kim.sync.pages} (counter), {@code kim.sync.entries} (summary)</li>
 *   <li>{@code kim.rejections} (reason: unauthorized, device_policy, too_large, filter, forbidden, ...)</li>
 *   <li>{@code kim.slow.consumers} (transport): connections closed because they stopped reading</li>
 *   <li>{@code kim.cluster.batch.sent} (summary of entries per batch; its count is the publishes to other nodes),
 *       {@code kim.cluster.batch.received} (the same for batches from other nodes), {@code kim.cluster.lag}
 *       (timer with histogram): from a batch's send to its arrival, by the two nodes' clocks</li>
 * </ul>
 */
public final class MicrometerMetrics implements ImMetrics, ServerObserver {

    private final MeterRegistry registry;
    private final Map<Command, Counter> in = new EnumMap<>(Command.class);
    private final Map<Command, Counter> out = new EnumMap<>(Command.class);
    private final Map<Command, Timer> durations = new EnumMap<>(Command.class);
    private final Map<String, AtomicLong> online = new ConcurrentHashMap<>();
    private final Map<String, Counter> bytesIn = new ConcurrentHashMap<>();
    private final Map<String, Counter> bytesOut = new ConcurrentHashMap<>();
    private final Timer delivery;
    private final Counter syncPages;
    private final DistributionSummary syncEntries;
    private final DistributionSummary clusterSent;
    private final DistributionSummary clusterReceived;
    private final Timer clusterLag;

    public MicrometerMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Command c : Command.values()) {
            if (c == Command.UNRECOGNIZED) {
                continue;
            }
            String name = c.name().toLowerCase();
            in.put(c, Counter.builder("kim.packets.in").tag("command", name)
                    .description("Request packets received").register(registry));
            out.put(c, Counter.builder("kim.packets.out").tag("command", name)
                    .description("Responses and pushes queued for clients").register(registry));
            durations.put(c, Timer.builder("kim.request.duration").tag("command", name)
                    .description("From a request's arrival to its response").publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
                    .register(registry));
        }
        delivery = Timer.builder("kim.delivery.latency")
                .description("From storing a message to pushing it to a receiver").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        syncPages = Counter.builder("kim.sync.pages").description("Sync pages served").register(registry);
        syncEntries = DistributionSummary.builder("kim.sync.entries").description("Entries per sync page")
                .register(registry);
        clusterSent = DistributionSummary.builder("kim.cluster.batch.sent")
                .description("Pushes and kicks per batch published to another node").register(registry);
        clusterReceived = DistributionSummary.builder("kim.cluster.batch.received")
                .description("Pushes and kicks per batch received from another node").register(registry);
        clusterLag = Timer.builder("kim.cluster.lag")
                .description("From a cross-node batch's publish to its arrival").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    @Override
    public void loggedIn(String tenant) {
        registry.counter("kim.logins", "tenant", tenant).increment();
    }

    @Override
    public void loginFailed(String reason) {
        registry.counter("kim.login.failures", "reason", reason).increment();
        rejected(reason);
    }

    @Override
    public void loggedOut(String tenant, String reason) {
        registry.counter("kim.logouts", "tenant", tenant, "reason", reason).increment();
    }

    @Override
    public void kicked(String tenant) {
        registry.counter("kim.kicks", "tenant", tenant).increment();
    }

    @Override
    public void packetIn(Command command) {
        Counter c = in.get(command);
        if (c != null) {
            c.increment();
        }
    }

    @Override
    public void packetOut(Command command) {
        Counter c = out.get(command);
        if (c != null) {
            c.increment();
        }
    }

    @Override
    public void requestHandled(Command command, long nanos) {
        Timer t = durations.get(command);
        if (t != null) {
            t.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void delivered(long millis) {
        delivery.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
    }

    @Override
    public void syncPage(int entries) {
        syncPages.increment();
        syncEntries.record(entries);
    }

    @Override
    public void rejected(String reason) {
        registry.counter("kim.rejections", "reason", reason).increment();
    }

    @Override
    public void clusterBatchSent(int entries) {
        clusterSent.record(entries);
    }

    @Override
    public void clusterBatchReceived(int entries, long lagMillis) {
        clusterReceived.record(entries);
        clusterLag.record(Math.max(0, lagMillis), TimeUnit.MILLISECONDS);
    }

    // ---- ServerObserver ---------------------------------------------------------------------------------------

    @Override
    public void channelOpened(Channel channel) {
        gauge(channel).incrementAndGet();
    }

    @Override
    public void channelClosed(Channel channel) {
        gauge(channel).decrementAndGet();
    }

    private AtomicLong gauge(Channel channel) {
        String tenant = channel.attachment() instanceof Connection c ? c.session().tenant() : "";
        String key = channel.transport() + '\u0000' + tenant;
        return online.computeIfAbsent(key, k -> {
            AtomicLong n = new AtomicLong();
            Gauge.builder("kim.connections", n, AtomicLong::get).description("Logged-in connections")
                    .tags(Tags.of("transport", channel.transport(), "tenant", tenant)).register(registry);
            return n;
        });
    }

    @Override
    public void handshakeRejected(String transport) {
        // counted with its reason by loginFailed
    }

    @Override
    public void slowConsumer(String transport) {
        registry.counter("kim.slow.consumers", "transport", transport).increment();
    }

    @Override
    public void bytesRead(String transport, long bytes) {
        bytesIn.computeIfAbsent(transport, t -> Counter.builder("kim.bytes.in").baseUnit("bytes")
                .tag("transport", t).register(registry)).increment(bytes);
    }

    @Override
    public void bytesWritten(String transport, long bytes) {
        bytesOut.computeIfAbsent(transport, t -> Counter.builder("kim.bytes.out").baseUnit("bytes")
                .tag("transport", t).register(registry)).increment(bytes);
    }
}
