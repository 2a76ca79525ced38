package io.kim.spi;

import java.util.Objects;

/**
 * An order to the node that owns connection {@code channelId} to kick it: send the kick notice first, then close
 * it (a login on another node replaced the device, or the server was told to end the user's sessions, as after a
 * token revocation). Immutable.
 *
 * @param tenant    the kicked user's tenant; non-blank, at most {@value RemotePush#MAX_ID_LENGTH} characters
 * @param userId    the kicked user; non-blank, same limit
 * @param channelId the connection to close; non-blank, same limit
 * @param reason    why, for the notice, the close frame and logs ({@code "logged in on another device"},
 *                  {@code "tokens revoked"}); non-null, at most {@value RemotePush#MAX_ID_LENGTH} characters
 */
public record RemoteKick(String tenant, String userId, String channelId, String reason) {

    public RemoteKick {
        RemotePush.checkId(tenant, "tenant");
        RemotePush.checkId(userId, "userId");
        RemotePush.checkId(channelId, "channelId");
        Objects.requireNonNull(reason, "reason");
        if (reason.length() > RemotePush.MAX_ID_LENGTH) {
            throw new IllegalArgumentException("reason: " + reason.length() + " characters (expected: at most "
                    + RemotePush.MAX_ID_LENGTH + ")");
        }
    }
}
