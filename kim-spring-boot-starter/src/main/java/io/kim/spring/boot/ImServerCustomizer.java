package io.kim.spring.boot;

import io.kim.server.ImServer;

/**
 * Changes the {@link ImServer.Builder} after the starter applied the {@code kim.*} properties and the SPI beans,
 * before it builds the server: for the settings that have no property (a clock, a filter policy per tenant, a
 * device policy per tenant, extra listeners). Every bean of this type is called once, in {@code @Order}, on the
 * thread that creates the application context.
 */
@FunctionalInterface
public interface ImServerCustomizer {

    /** Changes {@code builder}; must not call {@link ImServer.Builder#build()}. */
    void customize(ImServer.Builder builder);
}
