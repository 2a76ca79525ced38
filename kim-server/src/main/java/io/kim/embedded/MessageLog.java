package io.kim.embedded;

import static io.kim.protocol.internal.ProtoArrays.putVarint;
import static io.kim.protocol.internal.ProtoArrays.varintSize;

import io.kim.spi.ChatType;
import io.kim.spi.Message;
import java.nio.charset.StandardCharsets;

/**
 * One tenant's messages as an append-only log of byte records in a few large arrays ("segments"), in the order
 * they were stored: what {@link InMemoryMessageStore} keeps instead of an object graph per message, so that the
 * garbage collector has a few arrays to look at rather than a dozen objects per stored message. A record is
 * addressed by its position, {@code segment number << 32 | offset}; positions grow with every append.
 *
 * <p>A record holds the time it was stored, the message (all fields but the tenant, which is the log's), and the
 * owners it was appended to with the sequence each got, as owner indexes (see {@link Owners}):
 * <pre>
 * stored at (8 bytes) | timestamp (8) | chat type (1) | client message id | message id | sender id | sender device
 *   | target | content type | body | owner count | (owner index, sequence) per owner
 * </pre>
 * Strings are a varint {@code byteLength << 1 | ascii} followed by the chars, one byte each if ascii, otherwise
 * each char on its own in 1-3 bytes (CESU-8, which keeps every Java string as it was, lone surrogates included);
 * the body is a varint length and the bytes; counts, indexes and sequences are varints.
 *
 * <p>Segments start at {@value #FIRST_SEGMENT} bytes and double up to {@value #MAX_SEGMENT} (a record larger than
 * that gets a segment of its own); the oldest segment is dropped once the newest record in it is retention old.
 * Stored times never go backwards within a log, even if the clock does.
 *
 * <p>Thread-safe: appends and drops synchronize on the log, briefly; look-ups take no lock. A record never changes
 * once written; whoever reads one has learnt its position from a structure the appender published it to under a
 * lock (an inbox, a table of client message ids), which makes the record's bytes visible too.
 */
final class MessageLog {

    static final int FIRST_SEGMENT = 4 << 10;
    static final int MAX_SEGMENT = 256 << 10;
    private static final ChatType[] CHAT_TYPES = ChatType.values();

    /** Maps the owner indexes of records to user ids and back; the store's per-tenant user table. */
    interface Owners {
        /** The id of the owner with index {@code index}, which a record of this log refers to. */
        String idOf(int index);
    }

    private final String tenant;
    private final Owners owners;
    private final long retentionMillis;

    /** The kept segments; a new view is published when one is added or dropped, and read without the lock. */
    private volatile Segments segments = new Segments(new Segment[4], 0, 0);
    // guarded by this
    private long lastStoredAt;
    private long usedBytes;
    private int lastSegmentSize;

    MessageLog(String tenant, Owners owners, long retentionMillis) {
        this.tenant = tenant;
        this.owners = owners;
        this.retentionMillis = retentionMillis;
    }

    /** A stored record: the array that holds it and where it starts. */
    record Ref(byte[] data, int offset) {
    }

    /**
     * Appends {@code message}, appended to {@code ownerIndexes[i]} with {@code sequences[i]}, and returns its
     * position. The record's stored time is {@code now}, or the last stored time if that is later.
     */
    long append(Message m, int[] ownerIndexes, long[] sequences, long now) {
        String[] strings = {m.clientMessageId(), m.messageId(), m.senderId(), m.senderDevice(), m.target(),
                m.contentType()};
        int[] bytes = new int[strings.length];
        long size = 8 + 8 + 1 + varintSize(m.body().length) + m.body().length + varintSize(ownerIndexes.length);
        for (int i = 0; i < strings.length; i++) {
            bytes[i] = charBytes(strings[i]);
            size += varintSize(((long) bytes[i]) << 1) + bytes[i];
        }
        for (int i = 0; i < ownerIndexes.length; i++) {
            size += varintSize(ownerIndexes[i]) + varintSize(sequences[i]);
        }
        if (size > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("message of " + size + " bytes is too large to store");
        }
        synchronized (this) {
            long storedAt = Math.max(now, lastStoredAt);
            dropExpired(storedAt);
            Segment s = segments.newest();
            if (s == null || s.data.length - s.used < size) {
                s = addSegment((int) size);
            }
            int at = s.used;
            byte[] d = s.data;
            int p = putLong(d, at, storedAt);
            p = putLong(d, p, m.timestamp());
            d[p++] = (byte) m.chatType().ordinal();
            for (int i = 0; i < strings.length; i++) {
                p = putString(d, p, strings[i], bytes[i]);
            }
            p = putVarint(d, p, m.body().length);
            System.arraycopy(m.body(), 0, d, p, m.body().length);
            p += m.body().length;
            p = putVarint(d, p, ownerIndexes.length);
            for (int i = 0; i < ownerIndexes.length; i++) {
                p = putVarint(d, p, ownerIndexes[i]);
                p = putVarint(d, p, sequences[i]);
            }
            s.used = p;
            s.newest = storedAt;
            lastStoredAt = storedAt;
            usedBytes += p - at;
            return s.number << 32 | at;
        }
    }

    /** Starts a new segment, for a record of {@code recordSize} bytes at least. Called holding the lock. */
    private Segment addSegment(int recordSize) {
        int size = lastSegmentSize == 0 ? FIRST_SEGMENT : Math.min(MAX_SEGMENT, 2 * lastSegmentSize);
        lastSegmentSize = size;
        if (recordSize > size) {
            size = recordSize; // a record of its own
        }
        Segments v = segments;
        Segment s = new Segment(new byte[size], v.end);
        Segment[] ring = v.ring;
        if (v.end - v.first == ring.length) {
            ring = new Segment[2 * ring.length];
            for (long n = v.first; n < v.end; n++) {
                ring[(int) (n & (ring.length - 1))] = v.ring[(int) (n & (v.ring.length - 1))];
            }
        }
        ring[(int) (s.number & (ring.length - 1))] = s; // outside every published view's range until published
        segments = new Segments(ring, v.first, v.end + 1);
        return s;
    }

    /** Drops the oldest segments whose newest record is retention old at {@code now}. */
    synchronized void dropExpired(long now) {
        Segments v = segments;
        long first = v.first;
        Segment oldest;
        while (first < v.end && now - (oldest = v.segment(first)).newest >= retentionMillis) {
            usedBytes -= oldest.used;
            v.ring[(int) (first & (v.ring.length - 1))] = null; // a reader of an older view finds nothing there
            first++;
        }
        if (first != v.first) {
            segments = new Segments(v.ring, first, v.end);
        }
    }

    /**
     * The record at {@code position}, or {@code null} if its segment was dropped. Lock-free: the caller has seen
     * the position published under a lock the appender held, which also publishes the record.
     */
    Ref ref(long position) {
        byte[] data = segments.data(position);
        return data == null ? null : new Ref(data, (int) position);
    }

    /** When the record at {@code position} was stored, or -1 if its segment was dropped. Lock-free, as {@link #ref}. */
    long storedAt(long position) {
        byte[] data = segments.data(position);
        return data == null ? -1 : getLong(data, (int) position);
    }

    /** {@code true} if the segment of {@code position} was dropped. */
    boolean dropped(long position) {
        return (position >>> 32) < segments.first;
    }

    /** Bytes of the records kept. */
    synchronized long usedBytes() {
        return usedBytes;
    }

    // ---- reading a record -------------------------------------------------------------------------------------

    static long storedAt(Ref r) {
        return getLong(r.data, r.offset);
    }

    /** {@code true} if the record's client message id is {@code id}, compared without decoding it. */
    boolean hasClientMessageId(Ref r, String id) {
        Reader in = new Reader(r);
        in.p += 17; // stored at, timestamp, chat type
        long header = in.varint();
        byte[] d = r.data;
        int p = in.p;
        int length = (int) (header >>> 1);
        if ((header & 1) == 0) {
            return readString(d, p, header).equals(id);
        }
        if (length != id.length()) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (d[p + i] != (byte) id.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Decodes the message of the record. */
    Message message(Ref r) {
        return new Reader(r).message();
    }

    /** Decodes the record: its message, and each owner with the sequence it got. */
    Message message(Ref r, String[] ownerIds, long[] sequences) {
        Reader in = new Reader(r);
        Message m = in.message();
        int n = (int) in.varint();
        for (int i = 0; i < n; i++) {
            ownerIds[i] = owners.idOf((int) in.varint());
            sequences[i] = in.varint();
        }
        return m;
    }

    /**
     * Overwrites the body of the record with zeros, so that the content is gone from memory. Its length stays: the
     * record's layout never changes. Whoever decodes the record afterwards must take the body from elsewhere (see
     * {@link InMemoryMessageStore}'s amendments).
     */
    void eraseBody(Ref r) {
        Reader in = new Reader(r);
        in.p += 17;
        for (int i = 0; i < 6; i++) {
            int length = (int) (in.varint() >>> 1);
            in.p += length;
        }
        int bodyLength = (int) in.varint();
        java.util.Arrays.fill(r.data, in.p, in.p + bodyLength, (byte) 0);
    }

    /** The number of owners of the record. */
    int ownerCount(Ref r) {
        Reader in = new Reader(r);
        in.skipMessage();
        return (int) in.varint();
    }

    private final class Reader {
        private final byte[] d;
        private int p;

        Reader(Ref r) {
            d = r.data;
            p = r.offset;
        }

        Message message() {
            p += 8; // stored at
            long timestamp = getLong(d, p);
            p += 8;
            ChatType type = CHAT_TYPES[d[p++]];
            String clientMessageId = string();
            String messageId = string();
            String senderId = string();
            String senderDevice = string();
            String target = string();
            String contentType = string();
            int bodyLength = (int) varint();
            byte[] body = new byte[bodyLength];
            System.arraycopy(d, p, body, 0, bodyLength);
            p += bodyLength;
            return new Message(tenant, messageId, senderId, senderDevice, type, target, clientMessageId,
                    contentType, body, timestamp);
        }

        void skipMessage() {
            p += 17;
            for (int i = 0; i < 6; i++) {
                int length = (int) (varint() >>> 1);
                p += length;
            }
            int bodyLength = (int) varint();
            p += bodyLength;
        }

        String string() {
            long header = varint();
            String s = readString(d, p, header);
            p += (int) (header >>> 1);
            return s;
        }

        long varint() {
            long v = 0;
            int shift = 0;
            byte b;
            do {
                b = d[p++];
                v |= (long) (b & 0x7F) << shift;
                shift += 7;
            } while (b < 0);
            return v;
        }
    }

    // ---- encoding ---------------------------------------------------------------------------------------------

    private static String readString(byte[] d, int p, long header) {
        int length = (int) (header >>> 1);
        if ((header & 1) != 0) {
            return new String(d, p, length, StandardCharsets.ISO_8859_1); // ascii: one byte per char
        }
        char[] chars = new char[length];
        int n = 0;
        int end = p + length;
        while (p < end) {
            int b = d[p++] & 0xFF;
            if (b < 0x80) {
                chars[n++] = (char) b;
            } else if (b < 0xE0) {
                chars[n++] = (char) ((b & 0x1F) << 6 | (d[p++] & 0x3F));
            } else {
                chars[n++] = (char) ((b & 0x0F) << 12 | (d[p++] & 0x3F) << 6 | (d[p++] & 0x3F));
            }
        }
        return new String(chars, 0, n);
    }

    /** The bytes the chars of {@code s} take: one each if all are ascii. */
    private static int charBytes(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                bytes += c < 0x800 ? 1 : 2;
            }
        }
        return bytes;
    }

    /** Writes {@code s}, whose chars take {@code bytes} bytes (see {@link #charBytes}). */
    private static int putString(byte[] d, int p, String s, int bytes) {
        int n = s.length();
        boolean ascii = bytes == n;
        p = putVarint(d, p, ((long) bytes) << 1 | (ascii ? 1 : 0));
        if (ascii) {
            for (int i = 0; i < n; i++) {
                d[p++] = (byte) s.charAt(i);
            }
            return p;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                d[p++] = (byte) c;
            } else if (c < 0x800) {
                d[p++] = (byte) (0xC0 | c >> 6);
                d[p++] = (byte) (0x80 | c & 0x3F);
            } else {
                d[p++] = (byte) (0xE0 | c >> 12);
                d[p++] = (byte) (0x80 | c >> 6 & 0x3F);
                d[p++] = (byte) (0x80 | c & 0x3F);
            }
        }
        return p;
    }

    private static int putLong(byte[] d, int p, long v) {
        for (int i = 56; i >= 0; i -= 8) {
            d[p++] = (byte) (v >>> i);
        }
        return p;
    }

    private static long getLong(byte[] d, int p) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (d[p + i] & 0xFF);
        }
        return v;
    }

    /**
     * A view of the kept segments: numbers {@code first} (inclusive) to {@code end} (exclusive), segment {@code n} in
     * {@code ring[n & (ring.length - 1)]}. Views share the ring: the appender only writes slots outside the newest
     * view's range, or drops a segment (the slot is cleared, or later reused by a segment with another number), so a
     * reader of an older view checks the number of what it finds.
     */
    private record Segments(Segment[] ring, long first, long end) {
        Segment segment(long number) {
            return ring[(int) (number & (ring.length - 1))];
        }

        Segment newest() {
            return first == end ? null : segment(end - 1);
        }

        byte[] data(long position) {
            long number = position >>> 32;
            if (number < first || number >= end) {
                return null;
            }
            Segment s = segment(number);
            return s == null || s.number != number ? null : s.data;
        }
    }

    /** One array of records. */
    private static final class Segment {
        final byte[] data;
        final long number;
        int used;
        long newest;

        Segment(byte[] data, long number) {
            this.data = data;
            this.number = number;
        }
    }
}
