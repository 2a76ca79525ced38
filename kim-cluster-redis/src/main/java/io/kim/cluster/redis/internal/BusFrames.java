package io.kim.cluster.redis.internal;

import io.kim.spi.RemoteKick;
import io.kim.spi.RemotePresence;
import io.kim.spi.RemotePush;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The binary form of one bus message: many pushes and kicks for one target node, or presence changes for every
 * node. Big-endian:
 *
 * <pre>
 * magic 'k' 'b', version 1
 * source node (string), sent-at epoch millis (int64)
 * payload count (int32), each: length (int32) + bytes      a payload shared by consecutive pushes is sent once
 * entry count (int32), each: type (1 push, 2 kick, 3 presence)
 *   push: tenant, user, channel (strings), sequence (int64), payload index (int32)
 *   kick: tenant, user, channel, reason (strings)
 *   presence: tenant, user (strings), online (1) or offline (0) (byte), at epoch millis (int64)
 * string = length (uint16) + UTF-8 bytes
 * </pre>
 *
 * Presence entries came later without a new version: they travel only on the channel to every node, which a node
 * of the version before does not subscribe, so it never meets one.
 */
public final class BusFrames {

    private static final byte MAGIC_0 = 'k';
    private static final byte MAGIC_1 = 'b';
    private static final byte VERSION = 1;
    private static final byte PUSH = 1;
    private static final byte KICK = 2;
    private static final byte PRESENCE = 3;
    /** Upper bound of entries and payloads in one frame, checked while decoding. */
    private static final int MAX_COUNT = 1 << 20;

    /** A decoded frame; each entry a {@link RemotePush}, a {@link RemoteKick} or a {@link RemotePresence}. */
    public record Frame(String source, long sentAtMillis, List<Object> entries) {
    }

    private BusFrames() {
    }

    /** The size an entry adds to a frame, about: for splitting batches by bytes. */
    public static int estimate(Object entry) {
        if (entry instanceof RemotePush p) {
            return 32 + p.tenant().length() + p.userId().length() + p.channelId().length() + p.payload().length;
        }
        if (entry instanceof RemotePresence p) {
            return 16 + p.tenant().length() + p.userId().length();
        }
        RemoteKick k = (RemoteKick) entry;
        return 16 + k.tenant().length() + k.userId().length() + k.channelId().length() + k.reason().length();
    }

    /**
     * Encodes {@code entries} (pushes, kicks and presence changes) from {@code source}, straight into one array
     * sized from the entries (ASCII ids are copied char by char; others through {@link String#getBytes}). A payload
     * array shared by consecutive pushes (the pushes of one fan-out, which the bus queues together) is written once;
     * the same array further on is written again.
     *
     * @throws IllegalArgumentException if an entry is no push, kick or presence change, or a string has more than
     *                                  65535 UTF-8 bytes
     */
    public static byte[] encode(String source, long sentAtMillis, List<?> entries) {
        List<byte[]> payloads = new ArrayList<>();
        int[] payloadOf = new int[entries.size()];
        long bound = 3 + bound(source) + 8 + 4 + 4;
        for (int i = 0; i < entries.size(); i++) {
            Object e = entries.get(i);
            if (e instanceof RemotePush p) {
                int last = payloads.size() - 1;
                if (last >= 0 && payloads.get(last) == p.payload()) {
                    payloadOf[i] = last;
                } else {
                    payloadOf[i] = payloads.size();
                    payloads.add(p.payload());
                    bound += 4 + p.payload().length;
                }
                bound += 1 + bound(p.tenant()) + bound(p.userId()) + bound(p.channelId()) + 8 + 4;
            } else if (e instanceof RemoteKick k) {
                bound += 1 + bound(k.tenant()) + bound(k.userId()) + bound(k.channelId()) + bound(k.reason());
            } else if (e instanceof RemotePresence p) {
                bound += 1 + bound(p.tenant()) + bound(p.userId()) + 1 + 8;
            } else {
                throw new IllegalArgumentException("entry: " + e
                        + " (expected: a RemotePush, RemoteKick or RemotePresence)");
            }
        }
        if (bound > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("bus frame: about " + bound + " bytes (expected: less than 2 GiB)");
        }
        ByteBuffer out = ByteBuffer.allocate((int) bound);
        out.put(MAGIC_0).put(MAGIC_1).put(VERSION);
        string(out, source);
        out.putLong(sentAtMillis);
        out.putInt(payloads.size());
        for (byte[] p : payloads) {
            out.putInt(p.length).put(p);
        }
        out.putInt(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            Object e = entries.get(i);
            if (e instanceof RemotePush p) {
                out.put(PUSH);
                string(out, p.tenant());
                string(out, p.userId());
                string(out, p.channelId());
                out.putLong(p.sequence()).putInt(payloadOf[i]);
            } else if (e instanceof RemoteKick k) {
                out.put(KICK);
                string(out, k.tenant());
                string(out, k.userId());
                string(out, k.channelId());
                string(out, k.reason());
            } else {
                RemotePresence p = (RemotePresence) e;
                out.put(PRESENCE);
                string(out, p.tenant());
                string(out, p.userId());
                out.put(p.online() ? (byte) 1 : 0).putLong(p.atMillis());
            }
        }
        return out.position() == out.capacity() ? out.array() : Arrays.copyOf(out.array(), out.position());
    }

    /** The most bytes {@code s} takes in a frame: its length, and at most 3 UTF-8 bytes per char. */
    private static long bound(String s) {
        return 2 + 3L * s.length();
    }

    /**
     * Decodes one frame.
     *
     * @throws IllegalArgumentException if {@code data} is not a whole, valid frame
     */
    public static Frame decode(byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            if (in.get() != MAGIC_0 || in.get() != MAGIC_1) {
                throw new IllegalArgumentException("bus frame: bad magic (expected: 'kb')");
            }
            byte version = in.get();
            if (version != VERSION) {
                throw new IllegalArgumentException("bus frame: version " + version + " (expected: " + VERSION + ")");
            }
            String source = string(in);
            long sentAt = in.getLong();
            int payloadCount = count(in.getInt(), "payload count");
            List<byte[]> payloads = new ArrayList<>(Math.min(payloadCount, 1024));
            for (int i = 0; i < payloadCount; i++) {
                int len = in.getInt();
                if (len < 0 || len > in.remaining()) {
                    throw new IllegalArgumentException("bus frame: payload length " + len + " (expected: 0 to "
                            + in.remaining() + ")");
                }
                byte[] p = new byte[len];
                in.get(p);
                payloads.add(p);
            }
            int entryCount = count(in.getInt(), "entry count");
            List<Object> entries = new ArrayList<>(Math.min(entryCount, 4096));
            for (int i = 0; i < entryCount; i++) {
                byte type = in.get();
                if (type == PUSH) {
                    String tenant = string(in);
                    String user = string(in);
                    String channel = string(in);
                    long seq = in.getLong();
                    int p = in.getInt();
                    if (p < 0 || p >= payloads.size()) {
                        throw new IllegalArgumentException("bus frame: payload index " + p + " (expected: 0 to "
                                + (payloads.size() - 1) + ")");
                    }
                    entries.add(new RemotePush(tenant, user, channel, seq, payloads.get(p)));
                } else if (type == KICK) {
                    entries.add(new RemoteKick(string(in), string(in), string(in), string(in)));
                } else if (type == PRESENCE) {
                    String tenant = string(in);
                    String user = string(in);
                    byte online = in.get();
                    if (online != 0 && online != 1) {
                        throw new IllegalArgumentException("bus frame: presence state " + online
                                + " (expected: 0 or 1)");
                    }
                    long at = in.getLong();
                    entries.add(new RemotePresence(tenant, user, online == 1, at));
                } else {
                    throw new IllegalArgumentException("bus frame: entry type " + type + " (expected: 1 to 3)");
                }
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("bus frame: " + in.remaining() + " bytes after the last entry");
            }
            return new Frame(source, sentAt, List.copyOf(entries));
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("bus frame: truncated (" + data.length + " bytes)");
        }
    }

    private static int count(int n, String what) {
        if (n < 0 || n > MAX_COUNT) {
            throw new IllegalArgumentException("bus frame: " + what + " " + n + " (expected: 0 to " + MAX_COUNT + ")");
        }
        return n;
    }

    private static void string(ByteBuffer out, String s) {
        int at = out.position();
        int len = s.length();
        byte[] array = out.array();
        int p = at + 2;
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) { // not ASCII
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                System.arraycopy(b, 0, array, at + 2, b.length);
                p = at + 2 + b.length;
                break;
            }
            array[p++] = (byte) c;
        }
        int n = p - at - 2;
        if (n > 0xFFFF) {
            throw new IllegalArgumentException("string: " + n + " bytes (expected: at most 65535)");
        }
        out.putShort(at, (short) n);
        out.position(p);
    }

    private static String string(ByteBuffer in) {
        int len = in.getShort() & 0xFFFF;
        if (len > in.remaining()) {
            throw new IllegalArgumentException("bus frame: string length " + len + " (expected: at most "
                    + in.remaining() + ")");
        }
        String s = new String(in.array(), in.arrayOffset() + in.position(), len, StandardCharsets.UTF_8);
        in.position(in.position() + len);
        return s;
    }
}
