package io.kim.transport.ws.internal;

import io.kim.net.TransportEvent;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.util.List;

/**
 * Netty's WebSocket 13 frame decoder with a lower limit until the login is accepted. Until
 * {@link TransportEvent#ACCEPTED} passes, a frame whose header declares a payload longer than the handshake limit,
 * or a fragment that takes the declared length of its message past it, fails with a {@link TooLongFrameException}
 * as soon as its header has arrived, before any of its payload is read (the {@link FrameConverter} answers it with a
 * 1009 close frame, as it does Netty's own limit); everything the peer sends after it is discarded. From
 * {@code ACCEPTED} on only the decoder's {@link WebSocketDecoderConfig#maxFramePayloadLength()} applies to a frame,
 * and the {@link FragmentAggregator}'s limit to a message.
 *
 * <p>Netty's decoder takes its limit once, when it is built, and cannot be swapped for another in the middle of a
 * frame, so this one reads each frame header itself, without consuming it, before handing the bytes to Netty's:
 * that decoder emits one frame per call and returns with the input at the start of the next frame, so the call
 * after one that emitted a frame starts at a header.
 *
 * <p>One instance per connection; runs on its event loop.
 */
public final class ServerFrameDecoder extends WebSocket13FrameDecoder {

    private static final int OPCODE_CONTINUATION = 0;
    private static final int FIRST_CONTROL_OPCODE = 8;

    private final int handshakeMaxFrameLength;
    /** Whether frames are still held to the handshake limit. */
    private boolean limited;
    /** Whether the next byte the decoder reads is the first of a frame header. */
    private boolean atFrameStart = true;
    /** The declared payload length of the fragments of the message under way so far; 0 between messages. */
    private long messageLength;
    private boolean failed;

    /**
     * @param config                  Netty's decoder configuration; its {@code maxFramePayloadLength} is the limit
     *                                after {@link TransportEvent#ACCEPTED}
     * @param handshakeMaxFrameLength the largest payload of a frame, and of a fragmented message, before it; from 1
     *                                to the config's {@code maxFramePayloadLength}
     */
    public ServerFrameDecoder(WebSocketDecoderConfig config, int handshakeMaxFrameLength) {
        super(config);
        int max = config.maxFramePayloadLength();
        if (handshakeMaxFrameLength <= 0 || handshakeMaxFrameLength > max) {
            throw new IllegalArgumentException("handshakeMaxFrameLength: " + handshakeMaxFrameLength
                    + " (expected: 1 to " + max + ")");
        }
        this.handshakeMaxFrameLength = handshakeMaxFrameLength;
        this.limited = handshakeMaxFrameLength < max;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == TransportEvent.ACCEPTED) {
            limited = false;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (limited && atFrameStart && !headerWithinLimit(in)) {
            return; // the header has not arrived whole: wait for more
        }
        atFrameStart = false; // stays so if Netty's decoder fails: it discards the rest itself
        int emitted = out.size();
        super.decode(ctx, in, out);
        atFrameStart = out.size() > emitted;
        if (atFrameStart && out.get(out.size() - 1) instanceof CloseWebSocketFrame) {
            limited = false; // Netty's decoder discards whatever follows the peer's close frame: nothing to check
        }
    }

    /**
     * Checks the header at the reader index against the handshake limit, without consuming it.
     *
     * @return {@code false} if the header is not complete yet
     * @throws TooLongFrameException if the frame, or the message it continues, is over the limit
     */
    private boolean headerWithinLimit(ByteBuf in) {
        int at = in.readerIndex();
        int readable = in.readableBytes();
        if (readable < 2) {
            return false;
        }
        int first = in.getUnsignedByte(at);
        int length7 = in.getUnsignedByte(at + 1) & 0x7F;
        long length;
        if (length7 == 126) {
            if (readable < 4) {
                return false;
            }
            length = in.getUnsignedShort(at + 2);
        } else if (length7 == 127) {
            if (readable < 10) {
                return false;
            }
            length = in.getLong(at + 2);
        } else {
            length = length7;
        }
        if (length < 0) {
            return true; // no valid length: Netty's decoder reports it as a protocol error
        }
        int opcode = first & 0x0F;
        boolean fin = (first & 0x80) != 0;
        if (opcode >= FIRST_CONTROL_OPCODE) { // between the fragments of a message, and not part of it
            if (length > handshakeMaxFrameLength) {
                throw fail(in, "frame payload of " + length + " bytes exceeds the maximum of "
                        + handshakeMaxFrameLength + " before login");
            }
            return true;
        }
        long sofar = opcode == OPCODE_CONTINUATION ? messageLength : 0;
        if (length > handshakeMaxFrameLength - sofar) {
            throw fail(in, sofar == 0
                    ? "frame payload of " + length + " bytes exceeds the maximum of " + handshakeMaxFrameLength
                            + " before login"
                    : "fragmented message exceeds the maximum of " + handshakeMaxFrameLength + " before login ("
                            + sofar + " bytes, then a fragment of " + length + ")");
        }
        messageLength = fin ? 0 : sofar + length;
        return true;
    }

    private TooLongFrameException fail(ByteBuf in, String message) {
        failed = true;
        in.skipBytes(in.readableBytes());
        return new TooLongFrameException(message);
    }
}
