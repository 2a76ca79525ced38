package io.kim.spi;

import java.util.Objects;

/**
 * A push for one connection on another node, as a {@link ClusterBus} carries it: the receiver's inbox sequence
 * travels with the encoded message, so a receiver that misses a push sees the gap at the next one and pulls the
 * missing range (the client's gap fill).
 *
 * <p><b>Two kinds.</b> With a {@code sequence} &gt; 0 the payload is a stored message in its wire encoding (the
 * {@code Message} of {@code docs/protocol.md}); the receiving node frames it as a {@code MESSAGE} push with that
 * sequence, so every receiver of a fan-out shares one payload. With {@code sequence} 0 the payload is a whole
 * packet (a {@code GROUP_EVENT} push, which is no inbox entry), written to the connection as it is.
 *
 * <p>Immutable; the payload array is not copied: do not change it after handing the push to the bus. Pushes of one
 * fan-out may share one payload array; the bus then sends it once per batch.
 *
 * @param tenant    the receiver's tenant; non-blank, at most {@value #MAX_ID_LENGTH} characters
 * @param userId    the receiver; non-blank, at most {@value #MAX_ID_LENGTH} characters
 * @param channelId the receiving connection on the target node; non-blank, at most {@value #MAX_ID_LENGTH}
 *                  characters
 * @param sequence  the entry's sequence in the receiver's inbox (&gt; 0), or 0 for a push that is no inbox entry
 * @param payload   the encoded message (sequence &gt; 0) or packet (sequence 0); non-null
 */
public record RemotePush(String tenant, String userId, String channelId, long sequence, byte[] payload) {

    /** The longest tenant, user or channel id a bus message carries. */
    public static final int MAX_ID_LENGTH = 1024;

    public RemotePush {
        checkId(tenant, "tenant");
        checkId(userId, "userId");
        checkId(channelId, "channelId");
        if (sequence < 0) {
            throw new IllegalArgumentException("sequence: " + sequence + " (expected: >= 0)");
        }
        Objects.requireNonNull(payload, "payload");
    }

    static String checkId(String id, String name) {
        Objects.requireNonNull(id, name);
        if (id.isBlank() || id.length() > MAX_ID_LENGTH) {
            throw new IllegalArgumentException(name + ": " + (id.isBlank() ? "blank" : id.length() + " characters")
                    + " (expected: 1 to " + MAX_ID_LENGTH + " characters, not blank)");
        }
        return id;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RemotePush p && sequence == p.sequence && tenant.equals(p.tenant)
                && userId.equals(p.userId) && channelId.equals(p.channelId)
                && java.util.Arrays.equals(payload, p.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tenant, userId, channelId, sequence, java.util.Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "RemotePush[" + tenant + '/' + userId + '/' + channelId + ", seq=" + sequence + ", "
                + payload.length + " bytes]";
    }
}
