package io.kim.client;

import java.util.List;
import java.util.Objects;

/**
 * One page of the user's conversations, newest first, as {@link ImClient#conversations} returns it. Immutable and
 * thread-safe.
 *
 * @param conversations the conversations, by {@link ConversationSummary#lastSequence()} descending; immutable
 * @param hasMore       {@code true} if older conversations follow: ask again with the last one's
 *                      {@link ConversationSummary#lastSequence()}
 */
public record ConversationPage(List<ConversationSummary> conversations, boolean hasMore) {

    public ConversationPage {
        conversations = List.copyOf(Objects.requireNonNull(conversations, "conversations"));
    }
}
