package io.kim.transport.ws;

import io.kim.net.CloseStatus;
import io.kim.net.Frame;
import io.kim.net.OpCode;
import io.kim.net.Transport;
import io.kim.net.TransportEvent;
import io.kim.net.TransportOptions;
import io.kim.transport.ws.internal.ClientUpgradeHandler;
import io.kim.transport.ws.internal.FragmentAggregator;
import io.kim.transport.ws.internal.FrameConverter;
import io.kim.transport.ws.internal.ServerUpgradeHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The WebSocket transport, named {@code "ws"}: RFC 6455 (version 13) over plain TCP, one kim {@link Frame} per
 * WebSocket message.
 *
 * <p><b>Server.</b> A connection starts as HTTP/1.1. A {@code GET} of {@link #path()} (any query string is
 * allowed, for instance a token) with {@code Connection: Upgrade}, {@code Upgrade: websocket} and
 * {@code Sec-WebSocket-Version: 13} is upgraded; every other request gets an HTTP error and the connection is
 * closed: another path {@code 404 Not Found}, another method {@code 405 Method Not Allowed}, a request without the
 * upgrade headers or of another WebSocket version {@code 426 Upgrade Required}, a malformed request or one without
 * a {@code Sec-WebSocket-Key} that is the base64 of 16 bytes {@code 400 Bad Request}, an {@code Origin} outside
 * {@link Builder#allowedOrigins} {@code 403 Forbidden}. The upgrade request may be at most 8 KiB. No subprotocol or
 * extension (compression) is negotiated. Once the {@code 101} response is written the codec fires an
 * {@link io.kim.net.UpgradeRequest} (path, query, headers; the server hands them to the acceptor) and
 * {@link TransportEvent#READY}. Frames that arrive with the upgrade request, before the {@code 101}, are handled.
 *
 * <p><b>Client.</b> Sends the upgrade request for {@code ws://host:port}{@link #path()} (host as given in the
 * remote address), masks every frame it sends, and fires {@link TransportEvent#READY} once the server's
 * {@code 101} response is verified. Any other response, for example a {@code 404}, is reported through
 * {@code exceptionCaught} as a
 * {@link io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException} whose message names the status,
 * and the connection is closed, so {@link io.kim.net.Client#connect} fails with it.
 *
 * <p><b>Frames.</b> Binary messages become {@link OpCode#BINARY} frames, text messages {@link OpCode#TEXT} (kim servers
 * close those with {@link CloseStatus#UNSUPPORTED_DATA}); fragmented messages are reassembled first. Pings, pongs and
 * close frames are handed on as {@link OpCode#PING}, {@link OpCode#PONG} and {@link OpCode#CLOSE} (the payload of a
 * close is the status code and reason, as {@link CloseStatus#decode} reads them); pings are not answered here but by
 * the server or client above, so that they count as reads for idle detection. A close frame from the peer is answered
 * with a close frame carrying the same code (the closing handshake of RFC 6455, section 5.5.1); after a close frame has
 * been sent nothing else is written, inbound frames other than the peer's close are dropped (the fragments of a message
 * the peer had started are released at once), and closing the connection waits for the peer's close frame, at most
 * {@link Builder#closeTimeout}, so that the peer sees a clean close. Outbound {@link OpCode#BINARY} payload arrays are
 * wrapped, not copied, so one array may be written to many connections. A close status whose code WebSocket forbids on
 * the wire (1004-1006, 1015-2999) is sent as 1008 with the same reason; reasons are cut to 123 bytes at a character
 * boundary.
 *
 * <p><b>Errors.</b> A message or frame longer than {@link TransportOptions#maxFrameLength()} (on the server, until
 * {@link TransportEvent#ACCEPTED} has passed, than {@link TransportOptions#handshakeMaxFrameLength()}) is reported as
 * a {@link io.netty.handler.codec.TooLongFrameException}: a frame as soon as its header has arrived, before its
 * payload is read, a fragmented message as soon as its fragments add up to more (before {@code ACCEPTED} on the
 * header of the fragment that takes it over); any other framing error (an unmasked client frame, a bad
 * opcode, a bad close frame, ...) as a {@link io.netty.handler.codec.CorruptedFrameException}; in both cases the
 * codec first sends the matching close frame (1009, 1002 or 1007) and discards whatever the peer sends after it.
 * Writing a {@link OpCode#BINARY} or {@link OpCode#TEXT} frame longer than the maximum sends nothing and fails that
 * write with an {@link io.netty.handler.codec.EncoderException} wrapping a
 * {@link io.netty.handler.codec.TooLongFrameException}; a close, ping or pong written before the upgrade or any frame
 * written after a close frame is dropped (its write fails with a
 * {@link java.nio.channels.ClosedChannelException} unless it has a void promise).
 *
 * <p>Immutable and thread-safe: one instance may configure any number of pipelines at once. The
 * {@code configure} methods are called on the connection's event loop. The no-argument constructor gives the
 * defaults and is what {@link java.util.ServiceLoader} (and so {@link io.kim.net.Transports#get}) uses.
 */
public final class WebSocketTransport implements Transport {

    /** The transport's {@link #name()}. */
    public static final String NAME = "ws";
    /** The default {@link #path()}. */
    public static final String DEFAULT_PATH = "/ws";

    /** The largest HTTP upgrade request or response accepted, in bytes (headers are limited by the HTTP codec). */
    private static final int MAX_HTTP_MESSAGE_BYTES = 8192;

    /** The default {@link Builder#closeTimeout}: 2 seconds. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(2);

    private final String path;
    private final Set<String> allowedOrigins;
    private final Duration closeTimeout;

    /** The transport with the defaults: path {@value #DEFAULT_PATH}, any origin, a 2 second close timeout. */
    public WebSocketTransport() {
        this(DEFAULT_PATH, Set.of(), DEFAULT_CLOSE_TIMEOUT);
    }

    private WebSocketTransport(String path, Set<String> allowedOrigins, Duration closeTimeout) {
        this.path = path;
        this.allowedOrigins = Set.copyOf(allowedOrigins);
        this.closeTimeout = closeTimeout;
    }

    /** The {@code Origin} values the server accepts, lower case; empty: any. */
    public Set<String> allowedOrigins() {
        return allowedOrigins;
    }

    /** A new builder, starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Always {@value #NAME}. */
    @Override
    public String name() {
        return NAME;
    }

    /** The HTTP path the server upgrades and the client requests, such as {@code "/ws"}. */
    public String path() {
        return path;
    }

    /**
     * Adds the HTTP codec, the upgrade handler, the fragment aggregator and the frame converter. Inbound frames and
     * messages are held to {@link TransportOptions#handshakeMaxFrameLength()} until {@link TransportEvent#ACCEPTED}
     * passes through the pipeline, then to {@link TransportOptions#maxFrameLength()}. Called on the connection's
     * event loop.
     */
    @Override
    public void configureServer(ChannelPipeline pipeline, TransportOptions options) {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(options, "options");
        int max = options.maxFrameLength();
        pipeline.addLast("ws-http", new HttpServerCodec());
        pipeline.addLast("ws-http-aggregator", new ServerUpgradeHandler.RequestAggregator(MAX_HTTP_MESSAGE_BYTES));
        pipeline.addLast("ws-upgrade",
                new ServerUpgradeHandler(path, allowedOrigins, max, options.handshakeMaxFrameLength()));
        pipeline.addLast("ws-aggregator", new FragmentAggregator(max));
        pipeline.addLast("ws-frames", new FrameConverter(max, closeTimeout, true));
    }

    /**
     * Adds the HTTP codec, the client upgrade handler for {@code ws://host:port}{@link #path()}, the fragment
     * aggregator and the frame converter. Called on the connection's event loop.
     */
    @Override
    public void configureClient(ChannelPipeline pipeline, InetSocketAddress remote, TransportOptions options) {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(options, "options");
        int max = options.maxFrameLength();
        pipeline.addLast("ws-http", new HttpClientCodec());
        pipeline.addLast("ws-http-aggregator", new HttpObjectAggregator(MAX_HTTP_MESSAGE_BYTES));
        pipeline.addLast("ws-upgrade", new ClientUpgradeHandler(uri(remote), max));
        pipeline.addLast("ws-aggregator", new FragmentAggregator(max));
        pipeline.addLast("ws-frames", new FrameConverter(max, closeTimeout, false));
    }

    /** The URI the client requests from {@code remote}: {@code ws://host:port/path}. */
    URI uri(InetSocketAddress remote) {
        try {
            return new URI("ws", null, remote.getHostString(), remote.getPort(), path, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("remote: " + remote + " (expected: a host usable in a URI)", e);
        }
    }

    @Override
    public String toString() {
        return "WebSocketTransport[path=" + path + (allowedOrigins.isEmpty() ? "" : ", origins=" + allowedOrigins)
                + "]";
    }

    /** Configures a {@link WebSocketTransport}. Not thread-safe; {@link #build()} copies the settings. */
    public static final class Builder {
        private String path = DEFAULT_PATH;
        private final Set<String> allowedOrigins = new LinkedHashSet<>();
        private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;

        private Builder() {
        }

        /**
         * The origins whose web pages may connect, such as {@code "https://chat.example.com"} (scheme, host and a
         * port unless it is the scheme's default, as browsers send {@code Origin}; compared ignoring case). An
         * upgrade request whose {@code Origin} is not listed gets {@code 403 Forbidden}; one without
         * {@code Origin} (not sent by a browser: a native client) is accepted. Default: none listed, any origin is
         * accepted, since a connection is trusted only after its login anyway; list them when a browser's cookies
         * or network position must not be usable by other sites.
         */
        public Builder allowedOrigins(Set<String> origins) {
            allowedOrigins.clear();
            for (String o : origins) {
                String trimmed = Objects.requireNonNull(o, "origin").trim();
                if (trimmed.isEmpty() || trimmed.endsWith("/")) {
                    throw new IllegalArgumentException("origin: '" + o
                            + "' (expected: scheme://host[:port] without a path, such as https://chat.example.com)");
                }
                allowedOrigins.add(trimmed.toLowerCase(Locale.ROOT));
            }
            return this;
        }

        /**
         * How long closing a connection that sent a close frame waits for the peer's close frame before it drops
         * the TCP connection anyway. Default 2 seconds; zero closes at once (the peer may then report an unclean
         * close).
         */
        public Builder closeTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "closeTimeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("closeTimeout: " + timeout + " (expected: >= 0)");
            }
            this.closeTimeout = timeout;
            return this;
        }

        /**
         * The HTTP path to upgrade: an absolute path without query or fragment, such as {@code "/ws"} or
         * {@code "/im/socket"}. Default {@value WebSocketTransport#DEFAULT_PATH}. Requests for this path with a query
         * string are upgraded too.
         *
         * @throws IllegalArgumentException if {@code path} is not such a path
         */
        public Builder path(String path) {
            Objects.requireNonNull(path, "path");
            if (!isAbsolutePath(path)) {
                throw new IllegalArgumentException("path: '" + path
                        + "' (expected: an absolute path such as /ws, without query or fragment)");
            }
            this.path = path;
            return this;
        }

        /** Builds the transport. */
        public WebSocketTransport build() {
            return new WebSocketTransport(path, allowedOrigins, closeTimeout);
        }

        private static boolean isAbsolutePath(String path) {
            if (!path.startsWith("/") || path.startsWith("//")) {
                return false;
            }
            try {
                URI uri = new URI(path);
                return path.equals(uri.getRawPath()) && uri.getRawQuery() == null && uri.getRawFragment() == null;
            } catch (URISyntaxException e) {
                return false;
            }
        }
    }
}
