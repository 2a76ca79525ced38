package io.kim.net.internal;

import io.kim.net.Acceptance;
import io.kim.net.Acceptor;
import io.kim.net.ChannelMap;
import io.kim.net.CloseStatus;
import io.kim.net.Frame;
import io.kim.net.Handshake;
import io.kim.net.MessageListener;
import io.kim.net.OpCode;
import io.kim.net.ServerObserver;
import io.kim.net.StateListener;
import io.kim.net.TransportEvent;
import io.kim.net.UpgradeRequest;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-connection state machine of a server: the connection limits of the {@link ConnectionGate} (in total at
 * once, per client address once it is known), handshake through the {@link Acceptor} within the login timeout,
 * then hand binary payloads to the {@link MessageListener}; heartbeats, idle and slow-consumer closes, and the
 * {@link StateListener} call when an accepted channel goes away. All methods run on the channel's event loop.
 *
 * <p>The client address is the socket's peer, unless that peer is a trusted proxy: then it is the address the
 * proxy reported (a {@link ProxiedAddress} event from the PROXY protocol decoder, or the {@code X-Forwarded-For}
 * header of an {@link UpgradeRequest}); a trusted proxy that reports none is not limited per address.
 */
public final class ServerConnectionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ServerConnectionHandler.class);
    private static final PeerFaultLog faults = PeerFaultLog.perSecond(log);
    /** Frames a client may send after its handshake frame before the acceptor has answered. */
    private static final int MAX_EARLY_FRAMES = 64;

    /** What every connection of one listener shares. */
    public record Settings(String transport, Acceptor acceptor, MessageListener messageListener,
            StateListener stateListener, ChannelMap channelMap, Duration loginTimeout, ServerObserver observer,
            ConnectionGate gate, AddressMatcher trustedProxies) {
    }

    private enum State { AWAITING_HANDSHAKE, HANDSHAKING, ACCEPTED, CLOSED }

    private final Settings settings;
    private State state = State.AWAITING_HANDSHAKE;
    private ScheduledFuture<?> loginTimer;
    private NettyChannel channel;
    private ArrayDeque<byte[]> early;
    private boolean counted;
    private InetAddress admitted;
    private SocketAddress clientAddress;
    private UpgradeRequest upgrade;

    public ServerConnectionHandler(Settings settings) {
        this.settings = settings;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        SocketAddress peer = ctx.channel().remoteAddress();
        clientAddress = peer;
        String refused = settings.gate().open();
        if (refused == null) {
            counted = true;
            if (!settings.trustedProxies().matches(peer) && peer instanceof InetSocketAddress inet) {
                refused = admit(inet.getAddress());
            }
        }
        if (refused != null) {
            refuse(ctx, refused);
            return;
        }
        Duration timeout = settings.loginTimeout();
        if (!timeout.isZero()) {
            loginTimer = ctx.executor().schedule(() -> {
                if (state == State.AWAITING_HANDSHAKE || state == State.HANDSHAKING) {
                    closeWith(ctx, CloseStatus.LOGIN_TIMEOUT, "no accepted handshake within " + timeout);
                }
            }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelActive();
    }

    private String admit(InetAddress address) {
        if (address == null || settings.gate().perAddressUnlimited()) {
            return null;
        }
        String refused = settings.gate().admit(address);
        if (refused == null) {
            admitted = address;
        }
        return refused;
    }

    private void refuse(ChannelHandlerContext ctx, String why) {
        faults.info("{} refused: {}", ctx.channel(), why);
        state = State.CLOSED;
        ctx.channel().config().setAutoRead(false);
        Outbox.close(ctx.channel(), CloseStatus.TOO_MANY_CONNECTIONS.withReason(why));
    }

    /** A client address a trusted proxy reported: used for the per-address limits and the handshake. */
    private void proxied(ChannelHandlerContext ctx, SocketAddress reported) {
        if (state == State.CLOSED || admitted != null || !settings.trustedProxies().matches(ctx.channel().remoteAddress())
                || !(reported instanceof InetSocketAddress inet)) {
            return;
        }
        clientAddress = reported;
        String refused = admit(inet.getAddress());
        if (refused != null) {
            refuse(ctx, refused);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.CLOSED) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof Frame frame)) {
            // A codec must turn everything into frames; anything else is a programming error in the transport.
            io.netty.util.ReferenceCountUtil.release(msg);
            closeWith(ctx, CloseStatus.SERVER_ERROR, "transport produced " + msg.getClass().getName());
            return;
        }
        switch (frame.opCode()) {
            case PING -> ctx.writeAndFlush(new Frame(OpCode.PONG, frame.payload()), ctx.voidPromise());
            case PONG -> { }
            case CLOSE -> {
                log.debug("{} closed by peer: {}", ctx.channel(), CloseStatus.decode(frame.payload()));
                ctx.close();
            }
            case BINARY -> onBinary(ctx, frame.payload());
            default -> closeWith(ctx, CloseStatus.UNSUPPORTED_DATA.withReason(
                    frame.opCode().name().toLowerCase() + " frames are not supported; send binary frames"),
                    "unsupported " + frame.opCode() + " frame");
        }
    }

    private void onBinary(ChannelHandlerContext ctx, byte[] payload) {
        switch (state) {
            case ACCEPTED -> deliver(payload);
            case AWAITING_HANDSHAKE -> startHandshake(ctx, payload);
            case HANDSHAKING -> {
                if (early == null) {
                    early = new ArrayDeque<>();
                }
                if (early.size() >= MAX_EARLY_FRAMES) {
                    closeWith(ctx, CloseStatus.POLICY_VIOLATION.withReason("too many frames before the handshake completed"),
                            "more than " + MAX_EARLY_FRAMES + " frames during the handshake");
                    return;
                }
                early.add(payload);
            }
            case CLOSED -> { }
        }
    }

    private void startHandshake(ChannelHandlerContext ctx, byte[] payload) {
        state = State.HANDSHAKING;
        ctx.channel().config().setAutoRead(false);
        CompletionStage<Acceptance> verdict;
        try {
            UpgradeRequest up = upgrade;
            verdict = settings.acceptor().accept(new Handshake(settings.transport(), ctx.channel().remoteAddress(),
                    clientAddress, up == null ? Map.of() : up.headers(), up == null ? "" : up.query(), payload,
                    ctx.channel().eventLoop()));
        } catch (RuntimeException e) {
            log.warn("{} acceptor failed", ctx.channel(), e);
            closeWith(ctx, CloseStatus.SERVER_ERROR, "acceptor threw " + e);
            return;
        }
        verdict.whenComplete((acceptance, error) -> {
            if (ctx.executor().inEventLoop()) {
                onVerdict(ctx, acceptance, error);
            } else {
                ctx.executor().execute(() -> onVerdict(ctx, acceptance, error));
            }
        });
    }

    private void onVerdict(ChannelHandlerContext ctx, Acceptance acceptance, Throwable error) {
        if (state != State.HANDSHAKING) {
            if (error == null && acceptance != null && acceptance.accepted()) {
                abandon(acceptance); // closed (timeout, peer) while the acceptor was working
            }
            return;
        }
        if (error != null || acceptance == null) {
            log.warn("{} acceptor failed", ctx.channel(), error);
            closeWith(ctx, CloseStatus.SERVER_ERROR, "acceptor failed");
            return;
        }
        if (!acceptance.accepted()) {
            if (acceptance.reply() != null) {
                ctx.write(Frame.binary(acceptance.reply()), ctx.voidPromise());
            }
            settings.observer().handshakeRejected(settings.transport());
            closeWith(ctx, acceptance.rejection(), "handshake rejected");
            return;
        }
        NettyChannel accepted = new NettyChannel(acceptance.channelId(), settings.transport(), ctx.channel(),
                acceptance.attachment());
        if (acceptance.reply() != null) {
            ctx.write(Frame.binary(acceptance.reply()), ctx.voidPromise());
        }
        if (!settings.channelMap().add(accepted)) {
            abandon(acceptance);
            closeWith(ctx, CloseStatus.POLICY_VIOLATION.withReason("channel id in use"),
                    "channel id " + PeerFaultLog.shorten(acceptance.channelId()) + " is already registered");
            return;
        }
        ctx.flush();
        cancelLoginTimer();
        channel = accepted;
        state = State.ACCEPTED;
        upgrade = null;
        ctx.pipeline().fireUserEventTriggered(TransportEvent.ACCEPTED); // codecs raise their frame limits
        settings.observer().channelOpened(accepted);
        try {
            settings.acceptor().accepted(accepted);
        } catch (RuntimeException e) {
            log.warn("{} acceptor failed after registration", accepted, e);
        }
        // reading resumes before the early frames go in, so that a listener that pauses reading for them wins
        NettyChannel.resumeReading(ctx.channel());
        if (early != null) {
            byte[] next;
            while (state == State.ACCEPTED && (next = early.poll()) != null) {
                deliver(next);
            }
            early = null;
        }
    }

    private void abandon(Acceptance acceptance) {
        try {
            settings.acceptor().abandoned(acceptance);
        } catch (RuntimeException e) {
            log.warn("acceptor failed to abandon {}", PeerFaultLog.shorten(acceptance.channelId()), e);
        }
    }

    private void deliver(byte[] payload) {
        try {
            settings.messageListener().receive(channel, payload);
        } catch (RuntimeException e) {
            log.warn("{} message listener failed", channel, e);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            closeWith(ctx, CloseStatus.IDLE_TIMEOUT, "nothing read within the read-wait");
            return;
        }
        if (evt == TransportEvent.ACCEPTED) {
            return; // fired by this handler for the codecs in front of it
        }
        if (evt instanceof UpgradeRequest up) {
            upgrade = up;
            if (settings.trustedProxies().matches(ctx.channel().remoteAddress())) {
                SocketAddress forwarded = ForwardedFor.client(up.headers(), settings.trustedProxies());
                if (forwarded != null) {
                    proxied(ctx, forwarded);
                }
            }
            return;
        }
        if (evt instanceof ProxiedAddress p) {
            proxied(ctx, p.source());
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable() && ctx.channel().isActive()) {
            log.info("{} outbound buffer passed the high-water mark of {} bytes: closing slow consumer",
                    ctx.channel(), ctx.channel().config().getWriteBufferHighWaterMark());
            settings.observer().slowConsumer(settings.transport());
            ctx.close(); // its buffer is full: a close frame would only queue behind it
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof EncoderException) {
            // our own outbound frame was refused (too large for the transport): the server's fault, not the peer's
            log.warn("{} cannot encode an outbound frame", ctx.channel(), cause);
            closeWith(ctx, CloseStatus.SERVER_ERROR, String.valueOf(cause.getMessage()));
            return;
        }
        boolean wrapper = cause.getClass() == DecoderException.class && cause.getCause() != null;
        Throwable root = wrapper ? cause.getCause() : cause;
        if (root instanceof TooLongFrameException) {
            closeWith(ctx, CloseStatus.TOO_BIG.withReason(String.valueOf(root.getMessage())), root.getMessage());
        } else if (root instanceof CorruptedFrameException) {
            closeWith(ctx, CloseStatus.PROTOCOL_ERROR.withReason(root.getMessage()), root.getMessage());
        } else if (root instanceof DecoderException) {
            closeWith(ctx, CloseStatus.PROTOCOL_ERROR, String.valueOf(root.getMessage()));
        } else if (root instanceof IOException) {
            log.debug("{} I/O error: {}", ctx.channel(), root.toString());
            ctx.close();
        } else {
            log.warn("{} unexpected error", ctx.channel(), root);
            closeWith(ctx, CloseStatus.SERVER_ERROR, root.toString());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelLoginTimer();
        if (counted) {
            counted = false;
            settings.gate().closed();
        }
        if (admitted != null) {
            settings.gate().release(admitted);
            admitted = null;
        }
        State was = state;
        state = State.CLOSED;
        early = null;
        if (was == State.ACCEPTED) {
            settings.channelMap().remove(channel);
            settings.observer().channelClosed(channel);
            try {
                settings.stateListener().disconnected(channel);
            } catch (RuntimeException e) {
                log.warn("{} state listener failed", channel, e);
            }
        }
        ctx.fireChannelInactive();
    }

    private void closeWith(ChannelHandlerContext ctx, CloseStatus status, String why) {
        if (status.code() >= 4000 || status.code() == 1000 || status.code() == 1001) {
            log.debug("{} closing: {} ({})", ctx.channel(), status, why);
        } else if (status.code() == CloseStatus.SERVER_ERROR.code()) {
            log.warn("{} closing: {} ({})", ctx.channel(), status, why);
        } else {
            faults.info("{} closing: {} ({})", ctx.channel(), status, why); // the peer's fault: no stack, no alarm
        }
        if (state != State.ACCEPTED) {
            state = State.CLOSED;
        }
        Outbox.close(ctx.channel(), status);
    }

    private void cancelLoginTimer() {
        if (loginTimer != null) {
            loginTimer.cancel(false);
            loginTimer = null;
        }
    }
}
