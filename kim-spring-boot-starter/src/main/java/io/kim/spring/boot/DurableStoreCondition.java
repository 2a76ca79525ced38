package io.kim.spring.boot;

import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;

/** Matches {@code kim.store.type=jdbc} and {@code kim.store.type=redis}: the types that keep messages in JDBC. */
final class DurableStoreCondition extends AnyNestedCondition {

    DurableStoreCondition() {
        super(ConfigurationPhase.PARSE_CONFIGURATION);
    }

    @ConditionalOnProperty(name = "kim.store.type", havingValue = "jdbc")
    static final class Jdbc {
    }

    @ConditionalOnProperty(name = "kim.store.type", havingValue = "redis")
    static final class Redis {
    }
}
