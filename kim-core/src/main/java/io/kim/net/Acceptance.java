package io.kim.net;

import java.util.Objects;

/**
 * An {@link Acceptor}'s verdict on a handshake. Build one with {@link #accept} or {@link #reject}.
 *
 * <p>On acceptance the server first writes {@link #reply()} (if any), then registers the channel, so a reply such
 * as a login response always reaches the peer before any push.
 */
public final class Acceptance {

    private final String channelId;
    private final byte[] reply;
    private final Object attachment;
    private final CloseStatus rejection;

    private Acceptance(String channelId, byte[] reply, Object attachment, CloseStatus rejection) {
        this.channelId = channelId;
        this.reply = reply;
        this.attachment = attachment;
        this.rejection = rejection;
    }

    /**
     * Accepts the connection as channel {@code channelId}.
     *
     * @param channelId  a unique id for the channel; a connection whose id is already taken is closed
     *                   with {@link CloseStatus#POLICY_VIOLATION}
     * @param reply      a payload to send first (for example the login response), or {@code null}
     * @param attachment an object to keep with the channel ({@link Channel#attachment()}), or {@code null}
     */
    public static Acceptance accept(String channelId, byte[] reply, Object attachment) {
        Objects.requireNonNull(channelId, "channelId");
        return new Acceptance(channelId, reply, attachment, null);
    }

    /**
     * Rejects the connection: {@code reply} (if not {@code null}) is sent, then a close frame with {@code status},
     * then the connection is closed.
     */
    public static Acceptance reject(byte[] reply, CloseStatus status) {
        Objects.requireNonNull(status, "status");
        return new Acceptance(null, reply, null, status);
    }

    /** {@code true} if the handshake was accepted. */
    public boolean accepted() {
        return rejection == null;
    }

    /** The channel id; {@code null} when rejected. */
    public String channelId() {
        return channelId;
    }

    /** The payload to send before anything else, or {@code null}. */
    public byte[] reply() {
        return reply;
    }

    /** The channel's attachment, or {@code null}. */
    public Object attachment() {
        return attachment;
    }

    /** Why the handshake was rejected; {@code null} when accepted. */
    public CloseStatus rejection() {
        return rejection;
    }
}
