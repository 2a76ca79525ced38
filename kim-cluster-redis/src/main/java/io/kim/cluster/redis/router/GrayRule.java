package io.kim.cluster.redis.router;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * A gray-release rule: which clients go to the nodes of one version label. A client matches if its tenant is
 * listed, or its (tenant, user) is listed, or its user falls in the weighted share. Immutable and thread-safe.
 *
 * <pre>{@code
 * GrayRule v2 = GrayRule.toLabel("v2")
 *         .tenants("beta-corp")          // every user of these tenants
 *         .users("acme", "alice", "bob") // these users of tenant acme
 *         .share(5.0)                    // and 5 % of all other users
 *         .build();
 * }</pre>
 *
 * <p><b>The share is stable</b>: a user is in it if {@link #bucket} of (tenant, user) is below {@code share * 100};
 * the bucket is FNV-1a (64-bit) of the UTF-8 bytes of {@code tenant + '\0' + user}, unsigned, modulo 10,000. So a
 * user stays on the same side across requests, routers and restarts, and raising the share only adds users.
 */
public final class GrayRule {

    private final String label;
    private final Set<String> tenants;
    private final Set<String> users;
    private final int shareBasisPoints;

    private GrayRule(Builder b) {
        this.label = b.label;
        this.tenants = Set.copyOf(b.tenants);
        this.users = Set.copyOf(b.users);
        this.shareBasisPoints = b.shareBasisPoints;
    }

    /**
     * A rule sending its clients to the nodes labelled {@code label}.
     *
     * @throws IllegalArgumentException if {@code label} is blank
     */
    public static Builder toLabel(String label) {
        Objects.requireNonNull(label, "label");
        if (label.isBlank()) {
            throw new IllegalArgumentException("label: blank (expected: a node label such as \"v2\")");
        }
        return new Builder(label);
    }

    /** The label of the nodes this rule's clients go to. */
    public String label() {
        return label;
    }

    /** Whether user {@code userId} of {@code tenant} is routed by this rule. */
    public boolean matches(String tenant, String userId) {
        return tenants.contains(tenant) || users.contains(key(tenant, userId))
                || (shareBasisPoints > 0 && bucket(tenant, userId) < shareBasisPoints);
    }

    /** The user's stable bucket, 0 to 9,999 (see the class comment). */
    public static int bucket(String tenant, String userId) {
        long h = 0xcbf29ce484222325L;
        for (byte b : (tenant + '\0' + userId).getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        return (int) Long.remainderUnsigned(h, 10_000);
    }

    @Override
    public String toString() {
        return "GrayRule[label=" + label + ", tenants=" + tenants + ", users=" + users.size() + ", share="
                + shareBasisPoints / 100.0 + "%]";
    }

    private static String key(String tenant, String userId) {
        return tenant + '\0' + userId;
    }

    /** Settings of a {@link GrayRule}. Not thread-safe. */
    public static final class Builder {
        private final String label;
        private final Set<String> tenants = new LinkedHashSet<>();
        private final Set<String> users = new LinkedHashSet<>();
        private int shareBasisPoints;

        private Builder(String label) {
            this.label = label;
        }

        /** Every user of these tenants matches. */
        public Builder tenants(String... tenants) {
            for (String t : tenants) {
                this.tenants.add(Objects.requireNonNull(t, "tenant"));
            }
            return this;
        }

        /** These users of {@code tenant} match. */
        public Builder users(String tenant, String... userIds) {
            Objects.requireNonNull(tenant, "tenant");
            for (String u : userIds) {
                users.add(key(tenant, Objects.requireNonNull(u, "userId")));
            }
            return this;
        }

        /**
         * This percentage of all users matches, by their stable bucket. Default 0.
         *
         * @param percent 0 to 100, in steps of 0.01
         */
        public Builder share(double percent) {
            if (!(percent >= 0 && percent <= 100)) {
                throw new IllegalArgumentException("share: " + percent + " (expected: 0 to 100)");
            }
            this.shareBasisPoints = (int) Math.round(percent * 100);
            return this;
        }

        public GrayRule build() {
            return new GrayRule(this);
        }
    }
}
