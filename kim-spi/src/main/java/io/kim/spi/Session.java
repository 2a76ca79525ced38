package io.kim.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * One logged-in connection: who it is and where it lives.
 *
 * <p>Immutable and thread-safe.
 *
 * @param identity      who logged in; non-null
 * @param nodeId        the kim node holding the connection (one JVM, one id); non-blank
 * @param channelId     the connection, unique across all nodes of a deployment and across restarts of a node
 *                      (kim-server's ids carry the node id and a boot stamp), so a session kept from before a
 *                      restart never names a new connection; a reconnect always gets a new channel id; non-blank
 * @param loginTime     when the login was accepted; non-null
 * @param remoteAddress the peer's address as the transport saw it (for example {@code "10.0.0.7:53422"}), for logs
 *                      and admin views; non-null, empty if unknown
 */
public record Session(Identity identity, String nodeId, String channelId, Instant loginTime, String remoteAddress) {

    public Session {
        Objects.requireNonNull(identity, "identity");
        Validate.nonBlank(nodeId, "nodeId");
        Validate.nonBlank(channelId, "channelId");
        Objects.requireNonNull(loginTime, "loginTime");
        Objects.requireNonNull(remoteAddress, "remoteAddress");
    }

    /** Shortcut for {@code identity().tenant()}. */
    public String tenant() {
        return identity.tenant();
    }

    /** Shortcut for {@code identity().userId()}. */
    public String userId() {
        return identity.userId();
    }

    /** Shortcut for {@code identity().deviceId()}. */
    public String deviceId() {
        return identity.deviceId();
    }
}
