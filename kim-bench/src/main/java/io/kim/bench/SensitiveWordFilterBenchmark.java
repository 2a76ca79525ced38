package io.kim.bench;

import io.kim.filter.SensitiveWordFilter;
import io.kim.spi.FilterResult;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Scans a text against 10,000 words, half Latin (3 to 8 letters) and half CJK (2 to 4 ideographs), generated from a
 * fixed seed.
 *
 * <p>The text mixes Latin words, CJK runs, spaces and punctuation drawn from the same alphabets as the words, so
 * the automaton walks partial matches and failure links all the time. With {@code matches=none} every accidental
 * match is broken up by a digit, so nothing matches; with {@code matches=some} a dictionary word is planted about
 * every 128 chars (at least one), so the matching and masking paths run too.
 *
 * <p>{@link #baseline_foldEveryChar} reads and case-folds every char of the same text once: the floor any scan of
 * that text has to pay.
 */
public class SensitiveWordFilterBenchmark extends BenchmarkBase {

    private static final long SEED = 0x6b696dL;
    private static final int WORDS = 10_000;
    private static final String LATIN = "abcdefghijklmnopqrstuvwxyz";
    private static final char CJK_FIRST = '\u4E00';
    private static final int CJK_RANGE = 3_000; // common ideographs only, so CJK words share prefixes

    @Param({"64", "1024"})
    public int length;

    @Param({"none", "some"})
    public String matches;

    private SensitiveWordFilter filter;
    private String text;

    @Setup
    public void setUp() {
        Random random = new Random(SEED);
        List<String> words = words(random);
        filter = SensitiveWordFilter.builder().words(words).build();
        String clean = clean(randomText(random, length));
        text = matches.equals("some") ? plant(random, clean, words) : clean;
        FilterResult result = filter.filter("bench", text);
        if (result.matched() != matches.equals("some")) {
            throw new IllegalStateException("matches=" + matches + " but the text has " + result.matches().size());
        }
    }

    @Benchmark
    public FilterResult filter() {
        return filter.filter("bench", text);
    }

    @Benchmark
    public int baseline_foldEveryChar() {
        String s = text;
        int sum = 0;
        for (int i = 0; i < s.length(); i++) {
            sum += Character.toLowerCase(s.charAt(i));
        }
        return sum;
    }

    private static List<String> words(Random random) {
        Set<String> words = new LinkedHashSet<>();
        while (words.size() < WORDS) {
            if (words.size() % 2 == 0) {
                words.add(latin(random, 3 + random.nextInt(6)));
            } else {
                words.add(cjk(random, 2 + random.nextInt(3)));
            }
        }
        return new ArrayList<>(words);
    }

    private static String randomText(Random random, int length) {
        StringBuilder out = new StringBuilder(length + 16);
        while (out.length() < length) {
            switch (random.nextInt(4)) {
                case 0, 1 -> out.append(latin(random, 2 + random.nextInt(7)));
                case 2 -> out.append(cjk(random, 1 + random.nextInt(6)));
                default -> out.append(random.nextBoolean() ? ", " : "。");
            }
            out.append(' ');
        }
        out.setLength(length);
        return out.toString();
    }

    /** {@code text} with a digit in place of the first char of every match, until nothing matches. */
    private String clean(String text) {
        char[] chars = text.toCharArray();
        for (int round = 0; round < 1_000; round++) {
            FilterResult result = filter.filter("bench", new String(chars));
            if (!result.matched()) {
                return new String(chars);
            }
            for (FilterResult.Match m : result.matches()) {
                chars[m.start()] = '7';
            }
        }
        throw new IllegalStateException("could not clean the text");
    }

    /** {@code text} with a random word written over it about every 128 chars, at least once. */
    private static String plant(Random random, String text, List<String> words) {
        StringBuilder out = new StringBuilder(text);
        for (int at = 0; at < text.length(); at += 128) {
            String word = words.get(random.nextInt(words.size()));
            int start = Math.min(at + random.nextInt(64), Math.max(0, text.length() - word.length()));
            out.replace(start, Math.min(text.length(), start + word.length()), word);
        }
        out.setLength(text.length());
        return out.toString();
    }

    private static String latin(Random random, int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append(LATIN.charAt(random.nextInt(LATIN.length())));
        }
        return out.toString();
    }

    private static String cjk(Random random, int length) {
        StringBuilder out = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            out.append((char) (CJK_FIRST + random.nextInt(CJK_RANGE)));
        }
        return out.toString();
    }
}
