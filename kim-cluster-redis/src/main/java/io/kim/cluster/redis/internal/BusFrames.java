package io.kim.cluster.redis.internal;

import io.kim.spi.RemoteKick;
import io.kim.spi.RemotePush;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary form of one bus message: many pushes and kicks for one target node. Big-endian:
 *
 * <pre>
 * magic 'k' 'b', version 1
 * source node (string), sent-at epoch millis (int64)
 * payload count (int32), each: length (int32) + bytes      payloads shared by several pushes are sent once
 * entry count (int32), each: type (1 push, 2 kick)
 *   push: tenant, user, channel (strings), sequence (int64), payload index (int32)
 *   kick: tenant, user, channel, reason (strings)
 * string = length (uint16) + UTF-8 bytes
 * </pre>
 */
public final class BusFrames {

    private static final byte MAGIC_0 = 'k';
    private static final byte MAGIC_1 = 'b';
    private static final byte VERSION = 1;
    private static final byte PUSH = 1;
    private static final byte KICK = 2;
    /** Upper bound of entries and payloads in one frame, checked while decoding. */
    private static final int MAX_COUNT = 1 << 20;

    /** A decoded frame; each entry a {@link RemotePush} or a {@link RemoteKick}. */
    public record Frame(String source, long sentAtMillis, List<Object> entries) {
    }

    private BusFrames() {
    }

    /** The size an entry adds to a frame, about: for splitting batches by bytes. */
    public static int estimate(Object entry) {
        if (entry instanceof RemotePush p) {
            return 32 + p.tenant().length() + p.userId().length() + p.channelId().length() + p.payload().length;
        }
        RemoteKick k = (RemoteKick) entry;
        return 16 + k.tenant().length() + k.userId().length() + k.channelId().length() + k.reason().length();
    }

    /** Encodes {@code entries} (pushes and kicks) from {@code source}. */
    public static byte[] encode(String source, long sentAtMillis, List<?> entries) {
        Map<byte[], Integer> index = new IdentityHashMap<>();
        List<byte[]> payloads = new ArrayList<>();
        int size = 64;
        for (Object e : entries) {
            if (e instanceof RemotePush p && !index.containsKey(p.payload())) {
                index.put(p.payload(), payloads.size());
                payloads.add(p.payload());
                size += p.payload().length;
            }
            size += 64;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(size);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(MAGIC_0);
            out.writeByte(MAGIC_1);
            out.writeByte(VERSION);
            string(out, source);
            out.writeLong(sentAtMillis);
            out.writeInt(payloads.size());
            for (byte[] p : payloads) {
                out.writeInt(p.length);
                out.write(p);
            }
            out.writeInt(entries.size());
            for (Object e : entries) {
                if (e instanceof RemotePush p) {
                    out.writeByte(PUSH);
                    string(out, p.tenant());
                    string(out, p.userId());
                    string(out, p.channelId());
                    out.writeLong(p.sequence());
                    out.writeInt(index.get(p.payload()));
                } else if (e instanceof RemoteKick k) {
                    out.writeByte(KICK);
                    string(out, k.tenant());
                    string(out, k.userId());
                    string(out, k.channelId());
                    string(out, k.reason());
                } else {
                    throw new IllegalArgumentException("entry: " + e + " (expected: a RemotePush or RemoteKick)");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
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
                } else {
                    throw new IllegalArgumentException("bus frame: entry type " + type + " (expected: 1 or 2)");
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

    private static void string(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("string: " + b.length + " bytes (expected: at most 65535)");
        }
        out.writeShort(b.length);
        out.write(b);
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
