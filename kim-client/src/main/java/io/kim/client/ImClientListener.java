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
     * messages are merged into one stream. Store {@code sequence} (with the epoch of
     * {@link ImClient#inboxPosition()}) to resume from it after a restart. After {@link #onInboxReset} the
     * sequences start over at 1.
     */
    void onMessage(long sequence, ReceivedMessage message);

    /**
     * The server's inbox is not the one this client was reading: what the client had delivered (up to
     * {@code previous.sequence()}) no longer matches the server, and delivery starts over from the new inbox's
     * first entry. It happens when the inbox was recreated (a store reset, a fresh in-memory server: the LOGIN's
     * epoch differs from {@code previous.epoch()}), or when the server's inbox ends before the client's last
     * sequence under the same epoch (a store that lost entries). Without this, the client would drop the new
     * inbox's entries as duplicates of sequences it had seen.
     *
     * <p>What the application should do: forget what it cached by sequence (clear its stored message list, or
     * move it aside as history), and store the new epoch, {@code epoch}, with the sequences that follow. Right
     * after this call {@link #onMessage} delivers the new inbox from sequence 1, in order as always; the reset
     * comes before any of those entries and before {@link ImClient#connect()} completes. Sends are not affected:
     * a message not yet acknowledged is still sent (with the same client message id) to the new inbox.
     * Default: does nothing (the entries of the new inbox are delivered all the same).
     *
     * @param previous the position the client had: the old epoch ({@code ""} if it had none) and sequence
     * @param epoch    the new inbox's epoch ({@code ""} if the server sends none); delivery continues from
     *                 {@code new InboxPosition(epoch, 0)}
     */
    default void onInboxReset(InboxPosition previous, String epoch) {
    }

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

    /**
     * A read receipt arrived as the inbox entry at {@code sequence} (see {@link ReadNotice}): it takes that
     * sequence's place in the ordered stream instead of {@link #onMessage}, so it is delivered once, in order, and
     * also found by a device that was offline (through sync). Default: does nothing.
     */
    default void onRead(long sequence, ReadNotice notice) {
    }

    /**
     * A message of this user's inbox was recalled; the notice is the inbox entry at {@code sequence}, delivered in
     * order instead of {@link #onMessage}, and also to devices that were offline (through sync). Default: does
     * nothing.
     */
    default void onRecalled(long sequence, MessageRecalled recall) {
    }

    /**
     * A message of this user's inbox was edited; the notice is the inbox entry at {@code sequence}, delivered like
     * {@link #onRecalled}. Default: does nothing.
     */
    default void onEdited(long sequence, MessageEdited edit) {
    }

    /** Someone is typing in one of this user's conversations (see {@link TypingEvent}). Default: does nothing. */
    default void onTyping(TypingEvent event) {
    }

    /**
     * A user this client watches (see {@link ImClient#watchPresence}) came online or went offline. Watches last as
     * long as the connection: after a reconnect, call {@link ImClient#watchPresence} again. Default: does nothing.
     */
    default void onPresence(PresenceState state) {
    }
}
