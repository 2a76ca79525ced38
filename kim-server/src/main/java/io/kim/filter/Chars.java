package io.kim.filter;

/**
 * How the filter sees characters: which ones are noise, and how the others are folded before matching. Words and
 * texts go through the same rules, code point by code point.
 *
 * <ul>
 *   <li><b>Noise</b> is every code point that is neither a letter nor a digit ({@link Character#isLetterOrDigit}):
 *       spaces, punctuation, symbols, emoji, combining marks, zero-width and other format characters.</li>
 *   <li><b>Folding</b> maps full-width ASCII variants ({@code U+FF01..U+FF5E}, such as {@code Ａ} or {@code ３}) to
 *       ASCII, then to lower case ({@link Character#toLowerCase(int)}), so matching ignores case and width.</li>
 * </ul>
 */
final class Chars {

    /** For each ASCII char: its folded form, or 0 if it is noise. */
    private static final char[] ASCII = new char[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            ASCII[c] = c;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            ASCII[c] = c;
            ASCII[c - 'a' + 'A'] = c;
        }
    }

    private Chars() {
    }

    /** The folded form of ASCII char {@code c} ({@code c < 128}), or 0 if it is noise. */
    static char ascii(char c) {
        return ASCII[c];
    }

    /** Whether {@code c} is a CJK unified ideograph of the basic block: a letter that folds to itself. */
    static boolean isCommonHan(char c) {
        return c >= '\u4E00' && c <= '\u9FFF';
    }

    /** Whether code point {@code cp} is noise: skipped between the letters of a word. */
    static boolean isNoise(int cp) {
        return cp < 128 ? ASCII[cp] == 0 : !Character.isLetterOrDigit(cp);
    }

    /** The folded form of {@code cp}, which must not be noise. */
    static int fold(int cp) {
        if (cp >= 0xFF01 && cp <= 0xFF5E) {
            cp -= 0xFEE0;
        }
        return cp < 128 ? ASCII[cp] : Character.toLowerCase(cp);
    }

    /**
     * Whether {@code cp} is part of a word in a script that separates words with spaces (Latin, Cyrillic, Greek,
     * Hangul, digits, ...), so that a letter next to it continues the same word. Han, Hiragana and Katakana are
     * written without spaces and never continue a word in this sense.
     */
    static boolean isSpacedWordChar(int cp) {
        if (cp < 128) {
            return ASCII[cp] != 0;
        }
        if (!Character.isLetterOrDigit(cp)) {
            return false;
        }
        Character.UnicodeScript script = Character.UnicodeScript.of(cp);
        return script != Character.UnicodeScript.HAN
                && script != Character.UnicodeScript.HIRAGANA
                && script != Character.UnicodeScript.KATAKANA;
    }

    /** {@code word} with noise removed and the rest folded; empty if it is all noise. */
    static String normalize(String word) {
        StringBuilder out = new StringBuilder(word.length());
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            i += Character.charCount(cp);
            if (!isNoise(cp)) {
                out.appendCodePoint(fold(cp));
            }
        }
        return out.toString();
    }
}
