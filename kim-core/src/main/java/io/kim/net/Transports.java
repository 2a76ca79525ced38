package io.kim.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Finds {@link Transport}s on the class path with {@link ServiceLoader}.
 *
 * <p>kim-core ships no transport; add {@code io.kim:kim-transport-tcp} and/or {@code io.kim:kim-transport-ws}.
 * Thread-safe.
 */
public final class Transports {

    private static final Map<String, String> ARTIFACTS = Map.of(
            "tcp", "io.kim:kim-transport-tcp",
            "ws", "io.kim:kim-transport-ws");

    private Transports() {
    }

    /** Every transport on the class path, in {@link ServiceLoader} order. */
    public static List<Transport> available() {
        List<Transport> out = new ArrayList<>();
        ServiceLoader.load(Transport.class, Transports.class.getClassLoader()).forEach(out::add);
        return out;
    }

    /**
     * The transport named {@code name}.
     *
     * @throws IllegalStateException if none is on the class path; the message names the artifact to add
     */
    public static Transport get(String name) {
        for (Transport t : available()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        String artifact = ARTIFACTS.getOrDefault(name, "the artifact that provides it");
        throw new IllegalStateException("no kim transport named '" + name + "' on the class path (found: "
                + available().stream().map(Transport::name).toList() + "); add the dependency " + artifact);
    }
}
