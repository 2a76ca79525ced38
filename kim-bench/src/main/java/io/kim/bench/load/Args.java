package io.kim.bench.load;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --name value} command-line options. Not thread-safe. */
final class Args {

    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> used = new LinkedHashMap<>();

    Args(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + a + " (expected: --name value)");
            }
            values.put(a.substring(2), args[++i]);
        }
    }

    String get(String name, String def) {
        String v = values.getOrDefault(name, def);
        used.put(name, v);
        return v;
    }

    int getInt(String name, int def) {
        String v = get(name, Integer.toString(def));
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + ": " + v + " (expected: an integer)");
        }
    }

    /** Fails on an option nobody asked for (a typo). */
    void checkAllUsed() {
        for (String name : values.keySet()) {
            if (!used.containsKey(name)) {
                throw new IllegalArgumentException("unknown option --" + name);
            }
        }
    }

    /** Every option asked for, with the value in force. */
    Map<String, String> used() {
        return used;
    }
}
