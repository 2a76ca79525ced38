package io.kim.filter;

import io.kim.spi.ContentFilter;
import io.kim.spi.FilterResult;
import io.kim.spi.FilterResult.Match;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ContentFilter} that finds the words of a word list in a text with an Aho-Corasick automaton, in one pass
 * whatever the number of words.
 *
 * <pre>{@code
 * SensitiveWordFilter filter = SensitiveWordFilter.builder()
 *         .wordFile(Path.of("/etc/kim/sensitive-words.txt"))
 *         .reloadEvery(Duration.ofMinutes(1))   // default: ZERO, only explicit reload()
 *         .build();
 * FilterResult result = filter.filter("tenant-a", "some text");
 * if (result.matched()) { ... result.text() is the masked text ... }
 * }</pre>
 *
 * <h2>Word lists</h2>
 * Words come from any mix of {@link Builder#words(Collection) collections}, {@link Builder#wordFile(Path) files}
 * and {@link Builder#wordResource(String) class-path resources}: UTF-8 text, one word per line, surrounding
 * whitespace trimmed, blank lines and lines starting with {@code #} ignored. A word is matched by its letters and
 * digits only: its other characters are dropped ({@code "bad word"} matches like {@code "badword"}), and a word
 * with no letter or digit is ignored. The same list applies to every tenant (the {@code tenant} argument of
 * {@link #filter} is not used); a host that needs lists per tenant keeps one filter per tenant.
 *
 * <h2>Matching</h2>
 * <ul>
 *   <li><b>Case and width.</b> Letters match regardless of case ({@code BAD}, {@code Bad}, {@code bad}) and of
 *       full width ({@code ｂａｄ}); CJK text matches as written.</li>
 *   <li><b>Inserted noise.</b> Characters that are neither letters nor digits (spaces, punctuation, symbols, emoji,
 *       zero-width characters) are skipped between the letters of a word, so {@code b.a.d}, {@code b a d},
 *       {@code 敏 感 词} and {@code 敏*感*词} all match. Letters, digits and CJK characters are never skipped:
 *       {@code bxad} does not match {@code bad}. A run of more than {@link Builder#maxNoiseRun(int) maxNoiseRun}
 *       noise characters (default {@value #DEFAULT_MAX_NOISE_RUN}) ends any word in progress.</li>
 *   <li><b>No words made up across word boundaries.</b> A match that skipped noise must also start and end at a
 *       word boundary of the text, where "word" means a run of letters and digits of a script written with spaces
 *       (Latin, Cyrillic, Hangul, ...): with the word {@code shell}, {@code this hell} does not match (its
 *       {@code s} belongs to {@code this}), while {@code s-h-e-l-l} and {@code my s.hell} do. Without skipped noise
 *       a match may sit anywhere, inside a longer word too ({@code ushers} contains {@code she}, {@code he} and
 *       {@code hers}). CJK is written without spaces and has no such boundaries.</li>
 *   <li><b>All matches.</b> Every occurrence of every word is reported, overlapping ones too, ordered by start,
 *       then longest first. Offsets are UTF-16 offsets into the scanned text, spanning from the first to the last
 *       letter of the match, noise in between included.</li>
 * </ul>
 *
 * <h2>Masking</h2>
 * {@link #filter} returns the text with every letter or digit of every match replaced by one {@code *} (one per
 * code point); the noise between them is kept, so {@code b.a.d} becomes {@code *.*.*} and {@code 敏感词} becomes
 * {@code ***}. {@link #mask(String)} returns just that text.
 *
 * <h2>Reloading</h2>
 * {@link #reload()} re-reads every file and resource, builds a new automaton and swaps it in with a single volatile
 * write: a scan runs entirely on the automaton it started with, never on a half-built one, and is never blocked by
 * a reload. {@link Builder#reloadEvery(Duration)} does the same periodically on a daemon thread until
 * {@link #close()}.
 *
 * <h2>Threading and cost</h2>
 * Thread-safe; {@link #filter} and {@link #mask} may be called from any number of event loops at once and never
 * block. A scan allocates nothing per character: a text that matches nothing costs one {@link FilterResult}; a
 * match costs its {@link Match}, and masking one copy of the text. The automaton takes about 22 bytes per state
 * (at most one state per char of the word list) plus a 256 KiB table for the first char of a word; building it
 * for 10,000 words takes milliseconds.
 */
public final class SensitiveWordFilter implements ContentFilter, AutoCloseable {

    /** The class-path resource of kim's default word list: a handful of neutral placeholder words. */
    public static final String DEFAULT_WORDS_RESOURCE = "io/kim/filter/default-words.txt";

    /** The default of {@link Builder#maxNoiseRun(int)}. */
    public static final int DEFAULT_MAX_NOISE_RUN = 3;

    private static final Logger log = LoggerFactory.getLogger(SensitiveWordFilter.class);

    private static final Comparator<Match> BY_START_THEN_LONGEST =
            Comparator.comparingInt(Match::start).thenComparing(Comparator.<Match>comparingInt(Match::end).reversed());

    /** The automaton and the word list it was built from, swapped together. */
    private record Loaded(List<String> entries, WordAutomaton automaton) {
    }

    private final List<WordSource> sources;
    private final int maxNoiseRun;
    private final Object reloadLock = new Object();
    private final ScheduledExecutorService reloader;
    private volatile Loaded loaded;

    private SensitiveWordFilter(Builder b) {
        this.sources = List.copyOf(b.sources);
        this.maxNoiseRun = b.maxNoiseRun;
        List<String> entries = readAll(sources);
        this.loaded = new Loaded(entries, WordAutomaton.build(entries));
        if (b.reloadEvery.isZero()) {
            this.reloader = null;
        } else {
            this.reloader = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "kim-word-filter-reload");
                thread.setDaemon(true);
                return thread;
            });
            long period = saturatedNanos(b.reloadEvery);
            reloader.scheduleWithFixedDelay(this::reloadQuietly, period, period, TimeUnit.NANOSECONDS);
        }
    }

    /** A builder with the defaults listed on its methods. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Scans {@code text}. Never blocks; see the class description for what matches.
     *
     * @param tenant not used: the same word list applies to every tenant; non-blank
     * @param text   the text to scan; non-null
     * @return the matches and the masked text; {@code text} itself with no matches if nothing matched
     */
    @Override
    public FilterResult filter(String tenant, String text) {
        Objects.requireNonNull(tenant, "tenant");
        if (tenant.isBlank()) {
            throw new IllegalArgumentException("tenant: \"" + tenant + "\" (expected: non-blank)");
        }
        return scan(text);
    }

    /**
     * {@code text} with every letter and digit of every match replaced by {@code *}, noise between them kept;
     * {@code text} itself if nothing matched. Never blocks.
     */
    public String mask(String text) {
        return scan(text).text();
    }

    /**
     * Re-reads every word file and resource and, if the word list changed, builds a new automaton and swaps it in.
     * Scans running meanwhile finish on the old automaton; later scans use the new one. Reloads are serialized.
     * Blocks for the I/O and the build: call it off the event loop.
     *
     * @return {@code true} if the word list changed and the new one is in use, {@code false} if it was unchanged
     * @throws UncheckedIOException if a file or resource cannot be read (missing, unreadable, not UTF-8); the
     *                              current words stay in use
     */
    public boolean reload() {
        synchronized (reloadLock) {
            List<String> entries = readAll(sources);
            if (entries.equals(loaded.entries())) {
                return false;
            }
            WordAutomaton automaton = WordAutomaton.build(entries);
            loaded = new Loaded(entries, automaton);
            log.info("Reloaded sensitive words: {} distinct words", automaton.size());
            return true;
        }
    }

    /** How many distinct words (after dropping noise and folding case and width) are in use. */
    public int wordCount() {
        return loaded.automaton().size();
    }

    /** The distinct words in use, as the word list spells them, in list order. */
    public List<String> words() {
        return loaded.automaton().words();
    }

    /**
     * Stops periodic reloading, if any, without waiting for a reload in progress. Idempotent. The filter keeps
     * working with the words it has, and {@link #reload()} still works.
     */
    @Override
    public void close() {
        if (reloader != null) {
            reloader.shutdown(); // cancels the periodic reload; one already running finishes on its own
        }
    }

    @Override
    public String toString() {
        return "SensitiveWordFilter[words=" + wordCount() + ", sources=" + sources + ", maxNoiseRun=" + maxNoiseRun
                + ']';
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE; // centuries: never
        }
    }

    private void reloadQuietly() {
        try {
            reload();
        } catch (RuntimeException e) {
            log.warn("Could not reload sensitive words from {}; keeping the current ones", sources, e);
        }
    }

    // ---- scanning -----------------------------------------------------------------------------------------------

    private FilterResult scan(String text) {
        Objects.requireNonNull(text, "text");
        WordAutomaton a = loaded.automaton();
        List<Match> matches = null;
        int state = 0;
        int noise = 0;
        int length = text.length();
        for (int i = 0; i < length; ) {
            char ch = text.charAt(i);
            if (ch < 128) {
                char c = Chars.ascii(ch);
                i++;
                if (c == 0) {
                    if (++noise > maxNoiseRun) {
                        state = 0;
                    }
                    continue;
                }
                state = a.next(state, c);
            } else if (Chars.isCommonHan(ch)) {
                i++;
                state = a.next(state, ch);
            } else {
                int cp = text.codePointAt(i);
                i += Character.charCount(cp);
                if (Chars.isNoise(cp)) {
                    if (++noise > maxNoiseRun) {
                        state = 0;
                    }
                    continue;
                }
                int folded = Chars.fold(cp);
                if (Character.isBmpCodePoint(folded)) {
                    state = a.next(state, (char) folded);
                } else {
                    state = a.next(state, Character.highSurrogate(folded));
                    state = a.next(state, Character.lowSurrogate(folded));
                }
            }
            noise = 0;
            if (a.firstReport(state) >= 0) {
                matches = collect(a, state, text, i, matches);
            }
        }
        if (matches == null) {
            return FilterResult.clean(text);
        }
        matches.sort(BY_START_THEN_LONGEST);
        return new FilterResult(mask(text, matches), matches);
    }

    /** Adds every word that ends in {@code state}, at offset {@code end} of {@code text}, to {@code matches}. */
    private static List<Match> collect(WordAutomaton a, int state, String text, int end, List<Match> matches) {
        for (int r = a.firstReport(state); r >= 0; r = a.nextReport(r)) {
            // Walk back over the word's chars, and over the noise between them, to find where it starts.
            int start = end;
            int remaining = a.length(r);
            boolean skippedNoise = false;
            while (remaining > 0) {
                int cp = text.codePointBefore(start);
                start -= Character.charCount(cp);
                if (Chars.isNoise(cp)) {
                    skippedNoise = true;
                } else {
                    remaining -= Character.charCount(Chars.fold(cp));
                }
            }
            if (skippedNoise && !atWordBoundaries(text, start, end)) {
                continue;
            }
            if (matches == null) {
                matches = new ArrayList<>(4);
            }
            matches.add(new Match(start, end, a.word(r)));
        }
        return matches;
    }

    /** Whether {@code [start, end)} neither continues the word before it nor the word after it. */
    private static boolean atWordBoundaries(String text, int start, int end) {
        if (start > 0 && Chars.isSpacedWordChar(text.codePointAt(start))
                && Chars.isSpacedWordChar(text.codePointBefore(start))) {
            return false;
        }
        return end >= text.length() || !Chars.isSpacedWordChar(text.codePointBefore(end))
                || !Chars.isSpacedWordChar(text.codePointAt(end));
    }

    /** {@code text} with every non-noise code point inside a match replaced by one {@code *}. */
    private static String mask(String text, List<Match> matches) {
        BitSet masked = new BitSet(text.length());
        for (Match m : matches) {
            masked.set(m.start(), m.end());
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (masked.get(i) && !Chars.isNoise(cp)) {
                out.append('*');
            } else {
                out.appendCodePoint(cp);
            }
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    // ---- word sources -------------------------------------------------------------------------------------------

    private static List<String> readAll(List<WordSource> sources) {
        List<String> entries = new ArrayList<>();
        for (WordSource source : sources) {
            try {
                source.read(entries);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read sensitive words from " + source, e);
            }
        }
        return List.copyOf(entries);
    }

    /** Where words come from. */
    private interface WordSource {

        /** Appends the entries of this source to {@code entries}. */
        void read(List<String> entries) throws IOException;

        /** Whether a {@link #reload()} may find different words here. */
        boolean reloadable();
    }

    private record FixedWords(List<String> words) implements WordSource {
        @Override
        public void read(List<String> entries) {
            for (String word : words) {
                String trimmed = word.strip();
                if (!trimmed.isEmpty()) {
                    entries.add(trimmed);
                }
            }
        }

        @Override
        public boolean reloadable() {
            return false;
        }

        @Override
        public String toString() {
            return words.size() + " words";
        }
    }

    private record WordFile(Path path) implements WordSource {
        @Override
        public void read(List<String> entries) throws IOException {
            try (InputStream in = Files.newInputStream(path)) {
                parse(in, entries);
            }
        }

        @Override
        public boolean reloadable() {
            return true;
        }

        @Override
        public String toString() {
            return "file:" + path;
        }
    }

    private record WordResource(String name, ClassLoader loader) implements WordSource {
        @Override
        public void read(List<String> entries) throws IOException {
            URL url = loader != null ? loader.getResource(name) : null;
            if (url == null) {
                url = SensitiveWordFilter.class.getClassLoader().getResource(name);
            }
            if (url == null) {
                throw new NoSuchFileException("classpath:" + name);
            }
            URLConnection connection = url.openConnection();
            connection.setUseCaches(false); // see the current file on reload, not a cached jar
            try (InputStream in = connection.getInputStream()) {
                parse(in, entries);
            }
        }

        @Override
        public boolean reloadable() {
            return true;
        }

        @Override
        public String toString() {
            return "classpath:" + name;
        }
    }

    /** {@link #parse(BufferedReader, List)} of UTF-8 text (malformed input throws). */
    private static void parse(InputStream in, List<String> entries) throws IOException {
        parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder())), entries);
    }

    /** One word per line; blank lines and {@code #} comments skipped; a leading byte-order mark ignored. */
    private static void parse(BufferedReader reader, List<String> entries) throws IOException {
        boolean firstLine = true;
        for (String line; (line = reader.readLine()) != null; ) {
            if (firstLine && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            firstLine = false;
            String word = line.strip();
            if (!word.isEmpty() && !word.startsWith("#")) {
                entries.add(word);
            }
        }
    }

    /**
     * Settings of a {@link SensitiveWordFilter}. Word sources accumulate: every call of {@link #words},
     * {@link #wordFile} and {@link #wordResource} adds one, and the filter matches the words of all of them. Not
     * thread-safe; {@link #build()} copies the settings, so a builder may be reused.
     */
    public static final class Builder {

        private final List<WordSource> sources = new ArrayList<>();
        private int maxNoiseRun = DEFAULT_MAX_NOISE_RUN;
        private Duration reloadEvery = Duration.ZERO;

        private Builder() {
        }

        /** Adds fixed words (copied now; never re-read). Blank entries are ignored. */
        public Builder words(Collection<String> words) {
            List<String> copy = List.copyOf(Objects.requireNonNull(words, "words"));
            sources.add(new FixedWords(copy));
            return this;
        }

        /** Adds the words of a UTF-8 file, one per line; read by {@link #build()} and by every reload. */
        public Builder wordFile(Path file) {
            sources.add(new WordFile(Objects.requireNonNull(file, "file")));
            return this;
        }

        /**
         * Adds the words of a UTF-8 class-path resource, one per line, named as for
         * {@link ClassLoader#getResource(String)} (a leading {@code /} is ignored), for example
         * {@link SensitiveWordFilter#DEFAULT_WORDS_RESOURCE}. Looked up with the thread context class loader of
         * the thread calling this method, then with kim's own; read by {@link #build()} and by every reload.
         */
        public Builder wordResource(String resource) {
            Objects.requireNonNull(resource, "resource");
            String name = resource.startsWith("/") ? resource.substring(1) : resource;
            if (name.isBlank()) {
                throw new IllegalArgumentException("resource: \"" + resource + "\" (expected: a resource name)");
            }
            sources.add(new WordResource(name, Thread.currentThread().getContextClassLoader()));
            return this;
        }

        /**
         * The longest run of consecutive noise characters (neither letters nor digits) that may sit between two
         * letters of a match; a longer run ends any word in progress. 0 turns noise skipping off: then only words
         * written without any noise inside match. Default: {@value SensitiveWordFilter#DEFAULT_MAX_NOISE_RUN}.
         *
         * @param maxNoiseRun &gt;= 0
         */
        public Builder maxNoiseRun(int maxNoiseRun) {
            if (maxNoiseRun < 0) {
                throw new IllegalArgumentException("maxNoiseRun: " + maxNoiseRun + " (expected: >= 0)");
            }
            this.maxNoiseRun = maxNoiseRun;
            return this;
        }

        /**
         * Reloads the words files and resources with this period, on a daemon thread, until
         * {@link SensitiveWordFilter#close()}; a reload that fails is logged and the current words stay. Needs
         * at least one {@link #wordFile} or {@link #wordResource}. Default: {@link Duration#ZERO}, which disables
         * periodic reloading ({@link SensitiveWordFilter#reload()} still works).
         *
         * @param period &gt;= 0
         */
        public Builder reloadEvery(Duration period) {
            Objects.requireNonNull(period, "period");
            if (period.isNegative()) {
                throw new IllegalArgumentException("reloadEvery: " + period + " (expected: >= 0)");
            }
            this.reloadEvery = period;
            return this;
        }

        /**
         * Reads every source and builds the filter.
         *
         * @throws IllegalStateException if no source was added, or {@link #reloadEvery} is set without a file or
         *                               resource to reload
         * @throws UncheckedIOException  if a file or resource cannot be read (missing, unreadable, not UTF-8)
         */
        public SensitiveWordFilter build() {
            if (sources.isEmpty()) {
                throw new IllegalStateException("no words (expected: words(), wordFile() or wordResource())");
            }
            if (!reloadEvery.isZero() && sources.stream().noneMatch(WordSource::reloadable)) {
                throw new IllegalStateException(
                        "reloadEvery: " + reloadEvery + " (expected: a wordFile() or wordResource() to reload)");
            }
            return new SensitiveWordFilter(this);
        }
    }
}
