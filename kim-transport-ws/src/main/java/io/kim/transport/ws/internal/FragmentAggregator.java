package io.kim.transport.ws.internal;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;

/**
 * Netty's {@link WebSocketFrameAggregator} that can be told to stop: once the connection is closing (this side sent
 * a close frame, or the peer broke the framing), a message the peer had started is of no use. {@link #stop()}
 * releases its fragments at once, instead of holding them until the connection is gone (which may take the close
 * timeout, or never come if the close is cancelled), and frames that arrive after it are passed on as they are,
 * without being aggregated, for the {@link FrameConverter} to drop.
 *
 * <p>One instance per connection; all methods run on its event loop.
 */
public final class FragmentAggregator extends WebSocketFrameAggregator {

    private boolean stopped;

    /** @param maxContentLength the largest message, in bytes, the fragments of one message may add up to */
    public FragmentAggregator(int maxContentLength) {
        super(maxContentLength);
    }

    /** Releases the message being aggregated, if any, and passes every later frame on unaggregated. Idempotent. */
    public void stop() {
        stopped = true;
        releaseCurrentMessage();
    }

    /** Whether {@link #stop()} was called. */
    boolean stopped() {
        return stopped;
    }

    @Override
    public boolean acceptInboundMessage(Object msg) throws Exception {
        return !stopped && super.acceptInboundMessage(msg);
    }

    /**
     * A framing error of the decoder ({@link DecoderException}: a corrupted or too long frame) ends the connection,
     * and the decoder reads nothing after it: the message it interrupted is dropped now.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (cause instanceof DecoderException) {
            stop();
        }
        super.exceptionCaught(ctx, cause);
    }
}
