package io.kim.client;

/**
 * What the server said when a login succeeded.
 *
 * <p>Immutable and thread-safe.
 *
 * @param channelId    the server's id for this connection (a new one after every reconnect)
 * @param tenant       the tenant the token belongs to
 * @param userId       the logged-in user
 * @param deviceId     this device
 * @param deviceType   this device's type ({@code "ios"}, {@code "pc"}, ...)
 * @param headSequence the last sequence of the user's inbox at login time
 * @param serverTime   the server's clock at login, in milliseconds since the epoch
 * @param inboxEpoch   the epoch of the user's inbox (see {@link InboxPosition}); {@code ""} if the server sends none
 */
public record LoginInfo(String channelId, String tenant, String userId, String deviceId, String deviceType,
        long headSequence, long serverTime, String inboxEpoch) {
}
