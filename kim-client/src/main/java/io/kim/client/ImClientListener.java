package io.kim.client;

/**
 * Receives what happens to an {@link ImClient}: the user's inbox, in order, and the connection's state.
 *
 * <p>Every callback of one client runs on that client's event loop thread, one at a time, in the order the events
 * happened. Callbacks must not block (hand slow work, such as writing to a local database, to another executor)
 * and must not wait on a future of the same client. An exception thrown by a callback is logged and ignored.
 */
@FunctionalInterface
public interface ImClientListener {

    /**
     * The next entry of the user's inbox. Called exactly once per sequence, in ascending order without gaps
     * (except where the server reported expired entries through {@link #onMessagesExpired}), starting after the
     * client's {@link ImClient.Builder#lastSequence last sequence}: pushes, sync pages and this client's own sent
     * messages are merged into one stream. Store {@code sequence} to resume from it after a restart.
     */
    void onMessage(long sequence, ReceivedMessage message);

    /** The client's state changed to {@code state}. Default: does nothing. */
    default void onStateChanged(ImClient.State state) {
    }

    /**
     * Another login of the same user replaced this one (for example the same device type logged in elsewhere).
     * The client is now {@link ImClient.State#KICKED} and does not reconnect. Default: does nothing.
     */
    default void onKicked(String reason) {
    }

    /**
     * The server no longer keeps the entries {@code fromSequence .. toSequence} (its retention dropped them before
     * this client synced); they are skipped and delivery continues after {@code toSequence}. Default: does nothing.
     */
    default void onMessagesExpired(long fromSequence, long toSequence) {
    }

    /**
     * A group this user is (or, for {@link GroupEvent.Kind#QUIT}, was) a member of changed, this user's own
     * changes included. Called in the order the server pushed the events. Group events are not inbox entries: they
     * reach only connected clients and are not replayed after a reconnect, so refresh what the application shows
     * of its groups with {@link ImClient#group} or {@link ImClient#groupMembers} when the state becomes
     * {@link ImClient.State#ONLINE} again. Messages sent to a group arrive through {@link #onMessage}. Default:
     * does nothing.
     */
    default void onGroupEvent(GroupEvent event) {
    }
}
