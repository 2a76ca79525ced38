/**
 * Spring Boot auto-configuration for kim: an {@link io.kim.server.ImServer} built from the {@code kim.*}
 * properties ({@link io.kim.spring.boot.KimProperties}) and the application's SPI beans, started and drained by
 * {@link io.kim.spring.boot.KimServerLifecycle}, with a health indicator when Spring Boot's health support
 * (Actuator) is on the class path; kim-store-jdbc's stores on the application's database and kim-cluster-redis's
 * cluster membership when {@code kim.store.type} asks for them ({@link io.kim.spring.boot.StoreType}). See
 * {@code docs/embedding.md}.
 */
package io.kim.spring.boot;
