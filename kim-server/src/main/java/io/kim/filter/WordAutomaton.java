package io.kim.filter;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable Aho-Corasick automaton over normalized words (see {@link Chars}), stored in flat arrays.
 *
 * <p><b>Layout.</b> States are the nodes of the trie of the words, numbered in breadth-first order with the children
 * of each node sorted by their label; the root is 0. In that order the children of a node get consecutive numbers,
 * so the trie needs no edge table: the children of node {@code s} are nodes {@code first[s]} to
 * {@code first[s + 1] - 1}, and {@code label[t]} is the char on the edge into node {@code t}. A child is found by
 * binary search over the labels of that range. The root, visited after every mismatch, has a dense table of all
 * 65,536 chars instead.
 *
 * <p><b>Links.</b> {@code fail[s]} is the state of the longest proper suffix of {@code s}'s string that is also in
 * the trie (the classic failure link); {@code report[s]} is the state of the longest suffix of {@code s}'s string,
 * {@code s} itself included, that is a whole word, or -1 (the "dictionary suffix link"). Walking
 * {@code report[s], report[fail[report[s]]], ...} lists every word that ends at the current position, longest first,
 * visiting no state that ends no word.
 *
 * <p>The automaton is built over UTF-16 chars: a word with a supplementary character is a path of two edges,
 * and text is fed whole code points, so a match always ends on a code point boundary.
 */
final class WordAutomaton {

    private static final int ALPHABET = 1 << 16;

    /** The words as the word list spells them, in first-seen order; index is the word id. */
    private final String[] words;
    private final int[] rootNext;
    private final int[] first;
    private final char[] label;
    private final int[] fail;
    private final int[] report;
    private final int[] depth;
    private final int[] wordOf;

    private WordAutomaton(String[] words, int[] rootNext, int[] first, char[] label,
            int[] fail, int[] report, int[] depth, int[] wordOf) {
        this.words = words;
        this.rootNext = rootNext;
        this.first = first;
        this.label = label;
        this.fail = fail;
        this.report = report;
        this.depth = depth;
        this.wordOf = wordOf;
    }

    /**
     * Builds the automaton of {@code entries}. Entries that normalize to the same string count once (the first
     * spelling is reported); entries that are all noise are ignored.
     */
    static WordAutomaton build(List<String> entries) {
        Map<String, String> byKey = new LinkedHashMap<>();
        for (String entry : entries) {
            String key = Chars.normalize(entry);
            if (!key.isEmpty()) {
                byKey.putIfAbsent(key, entry);
            }
        }
        String[] keys = byKey.keySet().toArray(new String[0]);
        String[] words = byKey.values().toArray(new String[0]);
        Integer[] order = new Integer[keys.length];
        int maxNodes = 1;
        int maxLength = 0;
        for (int k = 0; k < keys.length; k++) {
            order[k] = k;
            maxNodes += keys[k].length();
            maxLength = Math.max(maxLength, keys[k].length());
        }
        Arrays.sort(order, (a, b) -> keys[a].compareTo(keys[b]));

        int[] parent = new int[maxNodes];
        char[] label = new char[maxNodes];
        int[] depth = new int[maxNodes];
        int[] wordOf = new int[maxNodes];
        int[] childCount = new int[maxNodes];
        Arrays.fill(wordOf, -1);
        int[] nodeOf = new int[keys.length]; // the node of each sorted key's prefix at the previous level
        int nodes = 1;
        // Level by level: the distinct prefixes of length d, in sorted order, are the nodes of depth d in
        // breadth-first order, grouped by parent in the parent's order.
        for (int d = 1; d <= maxLength; d++) {
            int prevParent = -1;
            char prevLabel = 0;
            for (int i = 0; i < order.length; i++) {
                String key = keys[order[i]];
                if (key.length() < d) {
                    continue;
                }
                char c = key.charAt(d - 1);
                int p = nodeOf[i];
                if (p != prevParent || c != prevLabel) {
                    parent[nodes] = p;
                    label[nodes] = c;
                    depth[nodes] = d;
                    childCount[p]++;
                    nodes++;
                    prevParent = p;
                    prevLabel = c;
                }
                int node = nodes - 1;
                nodeOf[i] = node;
                if (key.length() == d) {
                    wordOf[node] = order[i];
                }
            }
        }

        int[] first = new int[nodes + 1];
        first[0] = 1;
        for (int s = 0; s < nodes; s++) {
            first[s + 1] = first[s] + childCount[s];
        }
        int[] rootNext = new int[ALPHABET];
        for (int t = first[0]; t < first[1]; t++) {
            rootNext[label[t]] = t;
        }
        WordAutomaton a = new WordAutomaton(words, rootNext, first,
                Arrays.copyOf(label, nodes), new int[nodes], new int[nodes], Arrays.copyOf(depth, nodes),
                Arrays.copyOf(wordOf, nodes));
        a.link(parent);
        return a;
    }

    /** Fills {@link #fail} and {@link #report}; states are visited in breadth-first order, so links point back. */
    private void link(int[] parent) {
        report[0] = -1;
        for (int s = 1; s < fail.length; s++) {
            int p = parent[s];
            int f = 0;
            if (p != 0) {
                char c = label[s];
                int g = fail[p];
                while (true) {
                    int t = child(g, c);
                    if (t > 0) {
                        f = t;
                        break;
                    }
                    if (g == 0) {
                        break;
                    }
                    g = fail[g];
                }
            }
            fail[s] = f;
            report[s] = wordOf[s] >= 0 ? s : report[f];
        }
    }

    /** The child of {@code s} labelled {@code c}, or 0 if there is none. */
    private int child(int s, char c) {
        if (s == 0) {
            return rootNext[c];
        }
        int lo = first[s];
        int hi = first[s + 1] - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            char m = label[mid];
            if (m < c) {
                lo = mid + 1;
            } else if (m > c) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return 0;
    }

    /** The state after reading {@code c} in state {@code s}. */
    int next(int s, char c) {
        while (s != 0) {
            int t = child(s, c);
            if (t > 0) {
                return t;
            }
            s = fail[s];
        }
        return rootNext[c];
    }

    /** The longest word ending in state {@code s}, as a state, or -1 if no word ends there. */
    int firstReport(int s) {
        return report[s];
    }

    /** The next shorter word ending where word state {@code r} ends, or -1. */
    int nextReport(int r) {
        return report[fail[r]];
    }

    /** The normalized length, in chars, of the word of word state {@code r}. */
    int length(int r) {
        return depth[r];
    }

    /** The word of word state {@code r}, as the word list spells it. */
    String word(int r) {
        return words[wordOf[r]];
    }

    /** How many distinct words the automaton matches. */
    int size() {
        return words.length;
    }

    /** How many states the automaton has, the root included. */
    int states() {
        return fail.length;
    }

    /** Every distinct word, spelled as in the word list, in list order. */
    List<String> words() {
        return List.of(words);
    }
}
