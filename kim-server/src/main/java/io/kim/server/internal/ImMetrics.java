package io.kim.server.internal;

import io.kim.protocol.Command;

/**
 * What the IM server reports to metrics. {@link #NONE} does nothing, so a server without a meter registry pays
 * one no-op call per event. Implementations are thread-safe and never block.
 */
public interface ImMetrics {

    /** Reports nothing. */
    ImMetrics NONE = new ImMetrics() { };

    /** A login succeeded. */
    default void loggedIn(String tenant) {
    }

    /** A login failed; {@code reason} is a short tag such as {@code unauthorized} or {@code device_policy}. */
    default void loginFailed(String reason) {
    }

    /** A session ended; {@code reason}: {@code logout}, {@code kicked}, {@code disconnected}, ... */
    default void loggedOut(String tenant, String reason) {
    }

    /** A session was replaced by a newer login. */
    default void kicked(String tenant) {
    }

    /** A request packet arrived. */
    default void packetIn(Command command) {
    }

    /** A packet (response or push) was queued for a client. */
    default void packetOut(Command command) {
    }

    /** A request was answered {@code nanos} after it arrived. */
    default void requestHandled(Command command, long nanos) {
    }

    /** A message was pushed to a receiver {@code millis} after the server stored it. */
    default void delivered(long millis) {
    }

    /** A sync page of {@code entries} entries was served. */
    default void syncPage(int entries) {
    }

    /** A request was refused; {@code reason}: {@code too_large}, {@code filter}, {@code forbidden}, ... */
    default void rejected(String reason) {
    }

    /** The cluster bus sent a batch of {@code entries} pushes and kicks to another node (one publish). */
    default void clusterBatchSent(int entries) {
    }

    /** A batch of {@code entries} arrived from another node {@code lagMillis} after it was sent. */
    default void clusterBatchReceived(int entries, long lagMillis) {
    }
}
