package io.kim.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.spi.ContentFilter;
import io.kim.spi.FilterResult;
import io.kim.spi.FilterResult.Match;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SensitiveWordFilterTest {

    private static final String TENANT = "t1";

    @TempDir
    Path dir;

    private static SensitiveWordFilter filterOf(String... words) {
        return SensitiveWordFilter.builder().words(List.of(words)).build();
    }

    private static List<Match> matches(SensitiveWordFilter filter, String text) {
        return filter.filter(TENANT, text).matches();
    }

    // ---- what matches -------------------------------------------------------------------------------------------

    @Test
    void filter_latinWord_reportsItsOffsetsAndSpelling() {
        SensitiveWordFilter filter = filterOf("badword");

        FilterResult result = filter.filter(TENANT, "a badword here");

        assertTrue(result.matched());
        assertEquals(List.of(new Match(2, 9, "badword")), result.matches());
    }

    @Test
    void filter_cjkWord_isFound() {
        SensitiveWordFilter filter = filterOf("敏感词");

        assertEquals(List.of(new Match(2, 5, "敏感词")), matches(filter, "这是敏感词吗"));
    }

    @Test
    void filter_mixedCjkAndLatinWordsAndText_findsEach() {
        SensitiveWordFilter filter = filterOf("坏word", "违禁", "spam");

        assertEquals(List.of(new Match(0, 2, "违禁"), new Match(3, 8, "坏word"), new Match(9, 13, "spam")),
                matches(filter, "违禁的坏WORD和spam"));
    }

    @Test
    void filter_latinLettersOfAnyCase_match() {
        SensitiveWordFilter filter = filterOf("BadWord");

        assertEquals(List.of(new Match(0, 7, "BadWord")), matches(filter, "badword"));
        assertEquals(List.of(new Match(0, 7, "BadWord")), matches(filter, "BADWORD"));
        assertEquals(List.of(new Match(0, 7, "BadWord")), matches(filter, "bAdWoRd"));
    }

    @Test
    void filter_fullWidthLatinLettersAndDigits_matchTheirAsciiForms() {
        SensitiveWordFilter filter = filterOf("bad42");

        assertEquals(List.of(new Match(0, 5, "bad42")), matches(filter, "ｂＡｄ４２"));
    }

    @Test
    void filter_noiseBetweenLetters_stillMatchesAndSpansFromFirstToLastLetter() {
        SensitiveWordFilter filter = filterOf("badword", "敏感词");

        assertEquals(List.of(new Match(0, 13, "badword")), matches(filter, "b.a.d w-o-r-d"));
        assertEquals(List.of(new Match(4, 13, "badword")), matches(filter, "so, b_a_dword!"));
        assertEquals(List.of(new Match(0, 5, "敏感词")), matches(filter, "敏 感 词"));
        assertEquals(List.of(new Match(1, 6, "敏感词")), matches(filter, "[敏*感*词]"));
        assertEquals(List.of(new Match(0, 5, "敏感词")), matches(filter, "敏\u200B感\u200B词"));
        assertEquals(List.of(new Match(0, 7, "敏感词")), matches(filter, "敏😀感😀词"));
    }

    @Test
    void filter_wordListedWithNoise_matchesWithOrWithoutIt() {
        SensitiveWordFilter filter = filterOf("bad word");

        assertEquals(List.of(new Match(0, 7, "bad word")), matches(filter, "badword"));
        assertEquals(List.of(new Match(0, 8, "bad word")), matches(filter, "bad word"));
        assertEquals(List.of(new Match(0, 9, "bad word")), matches(filter, "bad--word"));
    }

    @Test
    void filter_letterOrDigitOrCjkBetweenLetters_isNeverSkipped() {
        SensitiveWordFilter filter = filterOf("bad", "敏感词");

        assertEquals(List.of(), matches(filter, "bxad"));
        assertEquals(List.of(), matches(filter, "b4ad"));
        assertEquals(List.of(), matches(filter, "敏的感词"));
        assertEquals(List.of(), matches(filter, "敏a感词"));
    }

    @Test
    void filter_noiseRunLongerThanTheLimit_endsTheWordInProgress() {
        SensitiveWordFilter filter = filterOf("bad");

        assertEquals(List.of(new Match(0, 7, "bad")), matches(filter, "b...a.d"));
        assertEquals(List.of(), matches(filter, "b....ad"));

        SensitiveWordFilter loose = SensitiveWordFilter.builder().words(List.of("bad")).maxNoiseRun(5).build();
        assertEquals(List.of(new Match(0, 7, "bad")), matches(loose, "b....ad"));
    }

    @Test
    void filter_maxNoiseRunZero_matchesOnlyWordsWrittenWithoutNoise() {
        SensitiveWordFilter filter = SensitiveWordFilter.builder().words(List.of("bad")).maxNoiseRun(0).build();

        assertEquals(List.of(new Match(1, 4, "bad")), matches(filter, " bad "));
        assertEquals(List.of(), matches(filter, "b.ad"));
    }

    @Test
    void filter_skippedNoise_doesNotJoinTheEndOfOneWordToTheStartOfAnother() {
        SensitiveWordFilter filter = filterOf("shell", "dab");

        // "thi[s hell]" and "ha[d a b]ad": the letters are there, but only across a word boundary of the text.
        assertEquals(List.of(), matches(filter, "this hell"));
        assertEquals(List.of(), matches(filter, "I had a bad day"));
        assertEquals(List.of(), matches(filter, "shel lo"));
        // The same letters forming whole words with noise inside still match.
        assertEquals(List.of(new Match(0, 9, "shell")), matches(filter, "s-h-e-l-l"));
        assertEquals(List.of(new Match(3, 9, "shell")), matches(filter, "my s.hell!"));
        assertEquals(List.of(new Match(0, 5, "dab")), matches(filter, "d a b"));
    }

    @Test
    void filter_withoutSkippedNoise_matchesInsideLongerWordsToo() {
        SensitiveWordFilter filter = filterOf("shell");

        assertEquals(List.of(new Match(5, 10, "shell")), matches(filter, "a seashells"));
        assertEquals(List.of(new Match(3, 8, "shell")), matches(filter, "thishell"));
    }

    @Test
    void filter_overlappingWords_reportsEveryOneByStartThenLongestFirst() {
        SensitiveWordFilter filter = filterOf("he", "she", "hers", "his");

        assertEquals(List.of(new Match(1, 4, "she"), new Match(2, 6, "hers"), new Match(2, 4, "he")),
                matches(filter, "ushers"));
        assertEquals(List.of(new Match(0, 3, "his"), new Match(3, 6, "she"), new Match(4, 6, "he")),
                matches(filter, "hisshe"));
    }

    @Test
    void filter_nestedCjkWords_reportsEachOne() {
        SensitiveWordFilter filter = filterOf("敏感", "敏感词", "感词");

        assertEquals(List.of(new Match(0, 3, "敏感词"), new Match(0, 2, "敏感"), new Match(1, 3, "感词")),
                matches(filter, "敏感词"));
    }

    @Test
    void filter_repeatedWord_reportsEveryOccurrence() {
        SensitiveWordFilter filter = filterOf("spam");

        assertEquals(List.of(new Match(0, 4, "spam"), new Match(5, 9, "spam"), new Match(9, 13, "spam")),
                matches(filter, "spam SPAMspam"));
    }

    @Test
    void filter_failureLinks_findWordsAfterAPartialMatch() {
        SensitiveWordFilter filter = filterOf("abcd", "bce", "cx");

        assertEquals(List.of(new Match(1, 4, "bce")), matches(filter, "abce"));
        assertEquals(List.of(new Match(3, 5, "cx")), matches(filter, "abbcx"));
    }

    @Test
    void filter_supplementaryCharacters_matchAsWholeCodePoints() {
        SensitiveWordFilter filter = filterOf("𠀀词");

        FilterResult result = filter.filter(TENANT, "a𠀀 词b");

        assertEquals(List.of(new Match(1, 5, "𠀀词")), result.matches());
        assertEquals("a* *b", result.text());
    }

    @Test
    void filter_noMatch_returnsTheSameTextAndNoMatches() {
        SensitiveWordFilter filter = filterOf("badword", "敏感词");
        String text = "a perfectly fine message, 完全正常";

        FilterResult result = filter.filter(TENANT, text);

        assertFalse(result.matched());
        assertEquals(List.of(), result.matches());
        assertSame(text, result.text());
        assertSame(text, filter.mask(text));
    }

    @Test
    void filter_emptyText_matchesNothing() {
        SensitiveWordFilter filter = filterOf("badword");

        FilterResult result = filter.filter(TENANT, "");

        assertFalse(result.matched());
        assertEquals("", result.text());
    }

    @Test
    void filter_textOfOnlyNoiseOrPartialWords_matchesNothing() {
        SensitiveWordFilter filter = filterOf("badword");

        assertFalse(filter.filter(TENANT, " .,!?*** \n\t").matched());
        assertFalse(filter.filter(TENANT, "badwor").matched());
        assertFalse(filter.filter(TENANT, "adword").matched());
    }

    @Test
    void filter_invalidArguments_throwAtOnce() {
        SensitiveWordFilter filter = filterOf("badword");

        assertThrows(NullPointerException.class, () -> filter.filter(TENANT, null));
        assertThrows(NullPointerException.class, () -> filter.filter(null, "text"));
        assertThrows(IllegalArgumentException.class, () -> filter.filter(" ", "text"));
    }

    @Test
    void filter_randomWordsAndTexts_agreeWithABruteForceSearch() {
        // A small alphabet makes overlaps, shared prefixes and failure-link walks frequent.
        String letters = "abcAB敏感ｂ";
        String noise = " .*-";
        Random random = new Random(20240601L);
        for (int round = 0; round < 300; round++) {
            List<String> words = new ArrayList<>();
            int wordCount = 1 + random.nextInt(8);
            for (int w = 0; w < wordCount; w++) {
                words.add(randomString(random, letters, "", 1 + random.nextInt(4)));
            }
            int maxNoiseRun = random.nextInt(3);
            SensitiveWordFilter filter = SensitiveWordFilter.builder()
                    .words(words)
                    .maxNoiseRun(maxNoiseRun)
                    .build();
            for (int t = 0; t < 20; t++) {
                String text = randomString(random, letters, noise, random.nextInt(24));

                assertEquals(bruteForce(filter.words(), text, maxNoiseRun), matches(filter, text),
                        () -> "words " + words + ", maxNoiseRun " + maxNoiseRun + ", text \"" + text + '"');
            }
        }
    }

    private static String randomString(Random random, String letters, String noise, int length) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < length; i++) {
            boolean pickNoise = !noise.isEmpty() && random.nextInt(4) == 0;
            String from = pickNoise ? noise : letters;
            out.append(from.charAt(random.nextInt(from.length())));
        }
        return out.toString();
    }

    /** The matches of the documented rules, found by trying every word at every position. */
    private static List<Match> bruteForce(List<String> words, String text, int maxNoiseRun) {
        // Segments of letters (folded, with their offsets) that no run of more than maxNoiseRun noise chars breaks.
        List<List<int[]>> segments = new ArrayList<>();
        List<int[]> segment = new ArrayList<>();
        int run = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int end = i + Character.charCount(cp);
            if (Chars.isNoise(cp)) {
                if (++run > maxNoiseRun && !segment.isEmpty()) {
                    segments.add(segment);
                    segment = new ArrayList<>();
                }
            } else {
                run = 0;
                segment.add(new int[] {Chars.fold(cp), i, end});
            }
            i = end;
        }
        segments.add(segment);
        List<Match> found = new ArrayList<>();
        for (String word : words) {
            int[] key = Chars.normalize(word).codePoints().toArray();
            for (List<int[]> seg : segments) {
                for (int from = 0; from + key.length <= seg.size(); from++) {
                    boolean equal = true;
                    boolean noiseInside = false;
                    for (int k = 0; k < key.length && equal; k++) {
                        equal = seg.get(from + k)[0] == key[k];
                        noiseInside |= k > 0 && seg.get(from + k)[1] != seg.get(from + k - 1)[2];
                    }
                    int start = seg.get(from)[1];
                    int end = seg.get(from + key.length - 1)[2];
                    if (equal && (!noiseInside || boundary(text, start, end))) {
                        found.add(new Match(start, end, word));
                    }
                }
            }
        }
        found.sort(Comparator.comparingInt(Match::start)
                .thenComparing(Comparator.<Match>comparingInt(Match::end).reversed()));
        return found;
    }

    private static boolean boundary(String text, int start, int end) {
        boolean before = start > 0 && Chars.isSpacedWordChar(text.codePointBefore(start))
                && Chars.isSpacedWordChar(text.codePointAt(start));
        boolean after = end < text.length() && Chars.isSpacedWordChar(text.codePointAt(end))
                && Chars.isSpacedWordChar(text.codePointBefore(end));
        return !before && !after;
    }

    // ---- masking ------------------------------------------------------------------------------------------------

    @Test
    void mask_replacesEachMatchedLetterAndKeepsTheNoiseBetween() {
        SensitiveWordFilter filter = filterOf("badword", "敏感词");

        assertEquals("say ******* now", filter.mask("say BadWord now"));
        assertEquals("*.*.* *-*-*-*!", filter.mask("b.a.d w-o-r-d!"));
        assertEquals("这是***吗", filter.mask("这是敏感词吗"));
        assertEquals("*，*，*", filter.mask("敏，感，词"));
    }

    @Test
    void mask_overlappingMatches_masksTheirUnion() {
        SensitiveWordFilter filter = filterOf("he", "she", "hers");

        FilterResult result = filter.filter(TENANT, "ushers!");

        assertEquals("u*****!", result.text());
        assertEquals(3, result.matches().size());
    }

    @Test
    void none_matchesNothingAndReturnsTheText() {
        String text = "badword";

        FilterResult result = ContentFilter.none().filter(TENANT, text);

        assertFalse(result.matched());
        assertSame(text, result.text());
    }

    // ---- word lists ---------------------------------------------------------------------------------------------

    @Test
    void wordFile_skipsCommentsBlankLinesAndByteOrderMarkAndTrimsWords() throws IOException {
        Path file = write("words.txt", "\uFEFFfirst\n# a comment\n\n   \n  second  \r\nthird#not-a-comment\n敏感词\n");

        SensitiveWordFilter filter = SensitiveWordFilter.builder().wordFile(file).build();

        assertEquals(List.of("first", "second", "third#not-a-comment", "敏感词"), filter.words());
    }

    @Test
    void words_thatDifferOnlyInCaseWidthOrNoise_countOnceWithTheFirstSpelling() {
        SensitiveWordFilter filter = filterOf("Bad Word", "badword", "ＢＡＤＷＯＲＤ", "b.a.d.w.o.r.d", "***", " ");

        assertEquals(1, filter.wordCount());
        assertEquals(List.of(new Match(0, 7, "Bad Word")), matches(filter, "BADWORD"));
    }

    @Test
    void wordResource_defaultList_loadsItsPlaceholderWords() {
        SensitiveWordFilter filter = SensitiveWordFilter.builder()
                .wordResource(SensitiveWordFilter.DEFAULT_WORDS_RESOURCE)
                .build();

        assertTrue(filter.wordCount() >= 3);
        assertTrue(filter.words().contains("badword"));
        assertTrue(filter.filter(TENANT, "这是测试敏感词").matched());
        assertEquals(filter.words(), SensitiveWordFilter.builder()
                .wordResource("/" + SensitiveWordFilter.DEFAULT_WORDS_RESOURCE).build().words());
    }

    @Test
    void sources_accumulate() throws IOException {
        Path file = write("words.txt", "fromfile\n");

        SensitiveWordFilter filter = SensitiveWordFilter.builder()
                .words(List.of("fixed"))
                .wordFile(file)
                .build();

        assertEquals(List.of("fixed", "fromfile"), filter.words());
    }

    @Test
    void build_missingFileOrResource_failsWithUncheckedIo() {
        assertThrows(UncheckedIOException.class,
                () -> SensitiveWordFilter.builder().wordFile(dir.resolve("missing.txt")).build());
        assertThrows(UncheckedIOException.class,
                () -> SensitiveWordFilter.builder().wordResource("io/kim/filter/missing.txt").build());
    }

    @Test
    void build_fileThatIsNotUtf8_failsWithUncheckedIo() throws IOException {
        Path file = dir.resolve("latin1.txt");
        Files.write(file, new byte[] {'b', 'a', 'd', (byte) 0xE9, '\n'});

        assertThrows(UncheckedIOException.class, () -> SensitiveWordFilter.builder().wordFile(file).build());
    }

    @Test
    void builder_invalidSettings_areRejectedWithTheExpectedValues() {
        IllegalArgumentException noise = assertThrows(IllegalArgumentException.class,
                () -> SensitiveWordFilter.builder().maxNoiseRun(-1));
        assertEquals("maxNoiseRun: -1 (expected: >= 0)", noise.getMessage());
        IllegalArgumentException period = assertThrows(IllegalArgumentException.class,
                () -> SensitiveWordFilter.builder().reloadEvery(Duration.ofSeconds(-1)));
        assertEquals("reloadEvery: PT-1S (expected: >= 0)", period.getMessage());
        assertThrows(IllegalStateException.class, () -> SensitiveWordFilter.builder().build());
        assertThrows(IllegalStateException.class, () -> SensitiveWordFilter.builder()
                .words(List.of("x")).reloadEvery(Duration.ofSeconds(1)).build());
    }

    // ---- reloading ----------------------------------------------------------------------------------------------

    @Test
    void reload_changedFile_picksUpNewWordsAndDropsRemovedOnes() throws IOException {
        Path file = write("words.txt", "oldword\nkeptword\n");
        SensitiveWordFilter filter = SensitiveWordFilter.builder().wordFile(file).build();
        assertTrue(filter.filter(TENANT, "oldword").matched());

        replace(file, "keptword\nnewword\n");
        assertTrue(filter.reload());

        assertFalse(filter.filter(TENANT, "oldword").matched());
        assertTrue(filter.filter(TENANT, "newword").matched());
        assertTrue(filter.filter(TENANT, "keptword").matched());
        assertEquals(List.of("keptword", "newword"), filter.words());
    }

    @Test
    void reload_unchangedFile_returnsFalseAndKeepsTheWords() throws IOException {
        Path file = write("words.txt", "word\n");
        SensitiveWordFilter filter = SensitiveWordFilter.builder().wordFile(file).build();

        assertFalse(filter.reload());
        assertTrue(filter.filter(TENANT, "word").matched());
    }

    @Test
    void reload_unreadableFile_throwsAndKeepsTheCurrentWords() throws IOException {
        Path file = write("words.txt", "word\n");
        SensitiveWordFilter filter = SensitiveWordFilter.builder().wordFile(file).build();
        Files.delete(file);

        assertThrows(UncheckedIOException.class, filter::reload);

        assertTrue(filter.filter(TENANT, "word").matched());
    }

    @Test
    void reloadEvery_picksUpAChangedFileInTheBackgroundUntilClosed() throws Exception {
        Path file = write("words.txt", "first\n");
        try (SensitiveWordFilter filter = SensitiveWordFilter.builder()
                .wordFile(file)
                .reloadEvery(Duration.ofMillis(10))
                .build()) {
            replace(file, "second\n");

            for (int i = 0; i < 1_000 && !filter.words().equals(List.of("second")); i++) {
                Thread.sleep(10);
            }

            assertEquals(List.of("second"), filter.words());
            assertTrue(filter.filter(TENANT, "second").matched());
            assertFalse(filter.filter(TENANT, "first").matched());
        }
    }

    @Test
    void close_isIdempotentAndLeavesTheFilterWorking() throws IOException {
        Path file = write("words.txt", "word\n");
        SensitiveWordFilter filter = SensitiveWordFilter.builder()
                .wordFile(file)
                .reloadEvery(Duration.ofHours(1))
                .build();

        filter.close();
        filter.close();

        assertTrue(filter.filter(TENANT, "word").matched());
        replace(file, "other\n");
        assertTrue(filter.reload());
        assertTrue(filter.filter(TENANT, "other").matched());
    }

    @Test
    void concurrentScansDuringReloads_alwaysSeeOneWholeWordList() throws Exception {
        int wordsPerList = 200;
        String listA = IntStream.range(0, wordsPerList).mapToObj(i -> "alpha" + i + "x").collect(
                Collectors.joining("\n"));
        String listB = IntStream.range(0, wordsPerList).mapToObj(i -> "beta" + i + "x").collect(
                Collectors.joining("\n"));
        // Every word of both lists, so a scan finds all of one list and none of the other.
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < wordsPerList; i++) {
            text.append("alpha").append(i).append("x beta").append(i).append("x ");
        }
        String scanned = text.toString();
        Path file = write("words.txt", listA);
        SensitiveWordFilter filter = SensitiveWordFilter.builder().wordFile(file).build();

        int scanners = 3;
        int reloads = 40;
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(scanners);
        try {
            List<Future<Set<String>>> seen = new ArrayList<>();
            for (int t = 0; t < scanners; t++) {
                seen.add(pool.submit(() -> {
                    Set<String> kinds = new HashSet<>();
                    for (int i = 0; i < 100_000 && !done.get(); i++) {
                        List<Match> found = filter.filter(TENANT, scanned).matches();
                        Set<String> prefixes = found.stream()
                                .map(m -> m.word().startsWith("alpha") ? "alpha" : "beta")
                                .collect(Collectors.toSet());
                        assertEquals(1, prefixes.size(), "a scan mixed two word lists");
                        assertEquals(wordsPerList, found.size());
                        kinds.addAll(prefixes);
                    }
                    return kinds;
                }));
            }
            for (int r = 0; r < reloads; r++) {
                replace(file, r % 2 == 0 ? listB : listA);
                assertTrue(filter.reload());
            }
            done.set(true);
            for (Future<Set<String>> result : seen) {
                assertFalse(result.get(60, TimeUnit.SECONDS).isEmpty());
            }
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    /** Replaces {@code file} in one step, as an operator should: write aside, then move into place. */
    private void replace(Path file, String content) throws IOException {
        Path aside = Files.writeString(dir.resolve(file.getFileName() + ".new"), content, StandardCharsets.UTF_8);
        Files.move(aside, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
