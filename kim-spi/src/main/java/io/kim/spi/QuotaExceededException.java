package io.kim.spi;

/**
 * A {@link MessageStore} refused an append because its sender already has as many messages, or as many bytes of
 * message bodies, stored as the store's per-user quota allows. Nothing was stored. The sender may send again once
 * some of its messages expired (the retention); the server answers such a send with {@code RATE_LIMITED}. May reach
 * a dependent stage wrapped in a {@link java.util.concurrent.CompletionException}.
 */
public class QuotaExceededException extends RuntimeException {

    private final String tenant;
    private final String userId;

    /**
     * @param tenant the sender's tenant; non-null
     * @param userId the sender whose quota is used up; non-null
     * @param detail which limit was reached, for example {@code "100000 messages"}; non-null
     */
    public QuotaExceededException(String tenant, String userId, String detail) {
        super("user " + userId + " in tenant " + tenant + " reached the store's quota of " + detail);
        this.tenant = tenant;
        this.userId = userId;
    }

    /** The sender's tenant. */
    public String tenant() {
        return tenant;
    }

    /** The sender whose quota is used up. */
    public String userId() {
        return userId;
    }
}
