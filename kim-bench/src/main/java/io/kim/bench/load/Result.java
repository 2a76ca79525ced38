package io.kim.bench.load;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** The figures of one scenario run against one server. Not thread-safe. */
final class Result {

    final String scenario;
    final String target;
    final Map<String, Double> metrics = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();
    /** {@code false} if the run lost or duplicated messages, or could not run at all. */
    boolean ok = true;

    Result(String scenario, String target) {
        this.scenario = scenario;
        this.target = target;
    }

    Result put(String name, double value) {
        metrics.put(name, value);
        return this;
    }

    Result note(String note) {
        notes.add(note);
        return this;
    }

    Result fail(String why) {
        ok = false;
        return note("FAILED: " + why);
    }

    /** p50, p99, p99.9 and max of a histogram of nanoseconds, as {@code <prefix>_p50_us} and so on. */
    Result latency(String prefix, Histogram h) {
        put(prefix + "_samples", h.getTotalCount());
        put(prefix + "_p50_us", h.getValueAtPercentile(50) / 1e3);
        put(prefix + "_p99_us", h.getValueAtPercentile(99) / 1e3);
        put(prefix + "_p99.9_us", h.getValueAtPercentile(99.9) / 1e3);
        put(prefix + "_max_us", h.getMaxValue() / 1e3);
        return this;
    }

    /** Server and load-generator CPU over a window. */
    Result cpu(Window w, double units, String unitName) {
        put("window_s", w.seconds());
        put("server_cpu_cores", w.serverCpuMicros() / 1e6 / w.seconds());
        put("server_cpu_us_per_" + unitName, units == 0 ? Double.NaN : w.serverCpuMicros() / units);
        put("loadgen_cpu_cores", w.selfCpuMicros() / 1e6 / w.seconds());
        put("loadgen_cpu_us_per_" + unitName, units == 0 ? Double.NaN : w.selfCpuMicros() / units);
        if (w.redisCommands() >= 0) {
            put("redis_cmds_per_" + unitName, units == 0 ? Double.NaN : w.redisCommands() / units);
        }
        if (w.postgresCpuMicros() >= 0) {
            put("pg_cpu_cores", w.postgresCpuMicros() / 1e6 / w.seconds());
            put("pg_cpu_us_per_" + unitName, units == 0 ? Double.NaN : w.postgresCpuMicros() / units);
        }
        long[] writes = w.storeWrites();
        if (writes != null) {
            put("store_commits_per_s", writes[0] / w.seconds());
            put("store_appends_per_commit", writes[0] == 0 ? Double.NaN : writes[1] / (double) writes[0]);
            put("store_rows_per_s", writes[2] / w.seconds());
            put("store_rows_per_append", writes[1] == 0 ? Double.NaN : writes[2] / (double) writes[1]);
        }
        return this;
    }

    String json() {
        StringBuilder b = new StringBuilder("{\"scenario\":\"").append(scenario).append("\",\"target\":\"")
                .append(target).append("\",\"ok\":").append(ok);
        metrics.forEach((k, v) -> b.append(",\"").append(k).append("\":")
                .append(Double.isFinite(v) ? format(v) : "null"));
        b.append(",\"notes\":[");
        for (int i = 0; i < notes.size(); i++) {
            b.append(i == 0 ? "" : ",").append('"').append(notes.get(i).replace("\\", "\\\\").replace("\"", "'"))
                    .append('"');
        }
        return b.append("]}").toString();
    }

    static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.1f" : "%.3f", v);
    }
}
