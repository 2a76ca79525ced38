package io.kim.spi;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Owners mapped to their sequences, for {@link AppendResult} and {@link AmendResult}: up to {@value #SMALL} owners
 * in two arrays, looked up by a linear scan; more in an immutable map of the JDK. Immutable.
 */
final class OwnerSequences extends AbstractMap<String, Long> {

    /** Up to this many owners are kept in the arrays: a scan of a few is as fast as hashing. */
    static final int SMALL = 8;

    private final String[] owners;
    private final long[] sequences;

    private OwnerSequences(String[] owners, long[] sequences) {
        this.owners = owners;
        this.sequences = sequences;
    }

    static Map<String, Long> of(String[] owners, long[] sequences) {
        Objects.requireNonNull(owners, "owners");
        Objects.requireNonNull(sequences, "sequences");
        int n = owners.length;
        if (n != sequences.length) {
            throw new IllegalArgumentException(
                    "sequences: " + sequences.length + " of them for " + n + " owners (expected: one per owner)");
        }
        if (n == 0) {
            throw new IllegalArgumentException("owners: [] (expected: non-empty)");
        }
        if (n > SMALL) {
            HashMap<String, Long> map = new HashMap<>(2 * n);
            for (int i = 0; i < n; i++) {
                if (map.put(Objects.requireNonNull(owners[i], "owner"), sequences[i]) != null) {
                    throw duplicate(owners[i]);
                }
            }
            return Map.copyOf(map);
        }
        String[] o = owners.clone();
        for (int i = 0; i < n; i++) {
            Objects.requireNonNull(o[i], "owner");
            for (int j = 0; j < i; j++) {
                if (o[j].equals(o[i])) {
                    throw duplicate(o[i]);
                }
            }
        }
        return new OwnerSequences(o, sequences.clone());
    }

    /** {@code map} itself if it is one of these, otherwise an immutable copy. */
    static Map<String, Long> copyOf(Map<String, Long> map) {
        return map instanceof OwnerSequences ? map : Map.copyOf(map);
    }

    private static IllegalArgumentException duplicate(String owner) {
        return new IllegalArgumentException("owners: " + owner + " twice (expected: distinct owners)");
    }

    private int indexOf(Object owner) {
        for (int i = 0; i < owners.length; i++) {
            if (owners[i].equals(owner)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public int size() {
        return owners.length;
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public Long get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : sequences[i];
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super Long> action) {
        for (int i = 0; i < owners.length; i++) {
            action.accept(owners[i], sequences[i]);
        }
    }

    @Override
    public Set<Entry<String, Long>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, Long>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < owners.length;
                    }

                    @Override
                    public Entry<String, Long> next() {
                        if (next >= owners.length) {
                            throw new NoSuchElementException();
                        }
                        int i = next++;
                        return Map.entry(owners[i], sequences[i]);
                    }
                };
            }

            @Override
            public int size() {
                return owners.length;
            }
        };
    }

    @Override
    public Long remove(Object key) {
        throw new UnsupportedOperationException("immutable");
    }
}
