package io.kim.examples;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Settings of an example server for tests: loopback, free ports, cheap password hashes. */
public final class TestEnv {

    /** The admin API key of {@link #env}. */
    public static final String ADMIN_KEY = "test-admin-key-0123456789";

    private TestEnv() {
    }

    /**
     * The base settings, the in-memory store, {@code dataDir} as {@code KIM_DATA_DIR} and {@link #ADMIN_KEY} as
     * {@code KIM_ADMIN_KEY}, then {@code pairs}
     * (name, value, name, value, ...) over them. Mutable.
     */
    public static Map<String, String> env(Path dataDir, String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("KIM_HOST", "127.0.0.1", "KIM_TCP_PORT", "0",
                "KIM_WS_PORT", "0", "KIM_HTTP_PORT", "0", "KIM_PASSWORD_ITERATIONS", "1000",
                "KIM_STORE", "memory", "KIM_DATA_DIR", dataDir.toString(), "KIM_ADMIN_KEY", ADMIN_KEY));
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }
}
