package io.kim.server.internal.dispatch;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.kim.net.Channel;
import io.kim.net.CloseStatus;
import io.kim.protocol.Header;
import io.kim.protocol.internal.Packets;
import io.kim.server.internal.Connection;
import io.kim.spi.Session;
import java.util.concurrent.Executor;

/**
 * One request as a {@link RequestHandler} sees it: who sent it, its header and body. The handler answers by
 * completing its stage; the {@link Dispatcher} sends the answer. Used on the channel's event loop only.
 */
public final class Request {

    private final Channel channel;
    private final Connection connection;
    private final Header header;
    private final ByteString body;
    private CloseStatus closeAfter;

    Request(Channel channel, Connection connection, Header header, ByteString body) {
        this.channel = channel;
        this.connection = connection;
        this.header = header;
        this.body = body;
    }

    /** The requesting channel. Handlers never push their answer to it themselves. */
    public Channel channel() {
        return channel;
    }

    public Connection connection() {
        return connection;
    }

    /** The requester's session. */
    public Session session() {
        return connection.session();
    }

    /** The channel's event loop, where every continuation of the request runs. */
    public Executor loop() {
        return channel.executor();
    }

    public Header header() {
        return header;
    }

    /** The body parsed with {@code parser}; a malformed body answers {@code INVALID_PACKET}. */
    public <T> T body(Parser<T> parser) throws InvalidProtocolBufferException {
        return Packets.parseBody(parser, body);
    }

    /** An OK answer with {@code body} ({@code null}: empty). */
    public byte[] ok(MessageLite body) {
        return Packets.ok(header, body);
    }

    /** Closes the channel with {@code status} once the answer is sent. */
    public void closeAfterAnswer(CloseStatus status) {
        this.closeAfter = status;
    }

    CloseStatus closeAfter() {
        return closeAfter;
    }
}
