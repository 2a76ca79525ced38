package io.kim.spi;

/**
 * A user's presence change as one node tells every other node of it over a {@link ClusterBus}: the user's first
 * device in the cluster logged in ({@code online}), or the last one went away. Each node pushes it to the
 * connections there that watch the user, and keeps {@code atMillis} of an offline change as the user's last-seen
 * time. Immutable.
 *
 * @param tenant   the user's tenant; non-blank, at most {@value RemotePush#MAX_ID_LENGTH} characters
 * @param userId   the user; non-blank, same limit
 * @param online   {@code true}: the first device logged in; {@code false}: the last device went away
 * @param atMillis when the change happened on the node that saw it, milliseconds since the epoch; &gt;= 0
 */
public record RemotePresence(String tenant, String userId, boolean online, long atMillis) {

    public RemotePresence {
        RemotePush.checkId(tenant, "tenant");
        RemotePush.checkId(userId, "userId");
        if (atMillis < 0) {
            throw new IllegalArgumentException("atMillis: " + atMillis + " (expected: >= 0)");
        }
    }
}
