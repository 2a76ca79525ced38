package io.kim.spi;

import java.util.List;
import java.util.Objects;

/**
 * What a {@link ContentFilter} found in a text.
 *
 * <p>Immutable and thread-safe.
 *
 * @param text    the scanned text with every match masked (for example with {@code *}); the scanned text itself if
 *                nothing matched; non-null. Offsets in {@link #matches()} refer to the <em>scanned</em> text, which
 *                need not have the same length as this one
 * @param matches every match, ordered by {@linkplain Match#start() start}, then longest first; an immutable copy;
 *                empty if nothing matched; non-null
 */
public record FilterResult(String text, List<Match> matches) {

    public FilterResult {
        Objects.requireNonNull(text, "text");
        matches = List.copyOf(matches);
    }

    /** A result for a text that matched nothing: {@code text} unchanged, no matches. */
    public static FilterResult clean(String text) {
        return new FilterResult(text, List.of());
    }

    /** Whether anything matched. */
    public boolean matched() {
        return !matches.isEmpty();
    }

    /**
     * One occurrence of a sensitive word in the scanned text.
     *
     * <p>The span {@code [start, end)} is in UTF-16 {@code char} offsets into the scanned text, as
     * {@link String#substring(int, int)} takes them. It begins with the first character of the word and ends after
     * the last; a filter that tolerates characters inserted between the letters of a word (spaces, punctuation)
     * includes them, so {@code text.substring(start, end)} may be longer than {@code word}.
     *
     * @param start the offset of the first character of the match; &gt;= 0
     * @param end   the offset just past the last character of the match; &gt; {@code start}
     * @param word  the word that matched, as the filter's word list spells it (which may differ in case or width
     *              from the text); non-blank
     */
    public record Match(int start, int end, String word) {

        public Match {
            if (start < 0) {
                throw new IllegalArgumentException("start: " + start + " (expected: >= 0)");
            }
            if (end <= start) {
                throw new IllegalArgumentException("end: " + end + " (expected: > start " + start + ")");
            }
            Objects.requireNonNull(word, "word");
            if (word.isBlank()) {
                throw new IllegalArgumentException("word: \"" + word + "\" (expected: non-blank)");
            }
        }
    }
}
