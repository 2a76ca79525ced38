package io.kim.client;

/**
 * The server's acknowledgement of a sent message: the message is stored.
 *
 * <p>Immutable and thread-safe.
 *
 * @param messageId       the id the server gave the message
 * @param clientMessageId the id this client chose (the same on every retry)
 * @param timestamp       when the server accepted the message, in milliseconds since the epoch
 * @param sequence        the message's sequence in the sender's own inbox
 * @param duplicate       {@code true} if the server had stored this client message id before (a retry whose first
 *                        attempt got through); the other fields are then those of the first attempt
 */
public record SendResult(String messageId, String clientMessageId, long timestamp, long sequence,
        boolean duplicate) {
}
