package io.kim.spring.boot;

import io.kim.server.ImServer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The health of the kim server, as {@code kim} in the Actuator's health endpoint: {@code UP} while the server
 * runs, with the node id, the number of logged-in connections and each listener's bound address; {@code DOWN}
 * before it started and after it stopped. Contributed when Spring Boot's health support is on the class path,
 * unless {@code management.health.kim.enabled=false}. Thread-safe; cheap (no I/O).
 */
public final class KimHealthIndicator implements HealthIndicator {

    private final ImServer server;
    private final List<String> transports;

    /**
     * @param server     the server to report on
     * @param transports the names of its listeners' transports ({@code "tcp"}, {@code "ws"})
     */
    public KimHealthIndicator(ImServer server, List<String> transports) {
        this.server = Objects.requireNonNull(server, "server");
        this.transports = List.copyOf(transports);
    }

    @Override
    public Health health() {
        if (!server.isRunning()) {
            return Health.down().withDetail("nodeId", server.nodeId()).withDetail("running", false).build();
        }
        Map<String, Object> listeners = new LinkedHashMap<>();
        try {
            for (String transport : transports) {
                listeners.put(transport, server.boundAddress(transport).toString());
            }
        } catch (IllegalStateException e) { // stopped while we looked
            return Health.down(e).withDetail("nodeId", server.nodeId()).withDetail("running", false).build();
        }
        return Health.up()
                .withDetail("nodeId", server.nodeId())
                .withDetail("connections", server.channels().size())
                .withDetail("listeners", listeners)
                .build();
    }
}
