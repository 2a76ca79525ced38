package io.kim.server.internal.chat;

import io.kim.protocol.Command;
import io.kim.protocol.SendRequest;
import io.kim.protocol.Status;
import io.kim.protocol.TargetType;
import io.kim.protocol.internal.Packets;
import io.kim.server.internal.Connection;
import io.kim.server.internal.Delivery;
import io.kim.server.internal.Ids;
import io.kim.server.internal.ImMetrics;
import io.kim.server.internal.Stages;
import io.kim.server.internal.WireMessages;
import io.kim.server.internal.dispatch.Fields;
import io.kim.server.internal.dispatch.Request;
import io.kim.server.internal.dispatch.RequestException;
import io.kim.server.internal.group.GroupCommands;
import io.kim.spi.AppendResult;
import io.kim.spi.ChatType;
import io.kim.spi.ContentFilter;
import io.kim.spi.EventListener;
import io.kim.spi.FilterPolicy;
import io.kim.spi.FilterResult;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import io.kim.spi.Session;
import io.kim.spi.UserDirectory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * SEND: checks the request, filters a text body, finds the inboxes it goes to (the receiver and the sender, or
 * every member of the group), stores it, answers with the acknowledgement and pushes it to the receivers' online
 * devices (encoded once). The answer is sent only after the store accepted the message.
 */
public final class SendCommand {

    private final MessageStore messages;
    private final KnownUsers users; // null: every receiver exists
    private final GroupCommands groups;
    private final ContentFilter filter;
    private final Function<String, FilterPolicy> filterPolicy;
    private final Delivery delivery;
    private final Ids ids;
    private final EventListener events;
    private final ImMetrics metrics;
    private final Clock clock;
    private final int maxBodyLength;

    /**
     * @param users the user directory, or {@code null} if the server has none (every receiver exists)
     * @param userCacheExpiry how long a receiver the directory found is remembered (see {@link KnownUsers})
     */
    public SendCommand(MessageStore messages, UserDirectory users, Duration userCacheExpiry, GroupCommands groups,
            ContentFilter filter, Function<String, FilterPolicy> filterPolicy, Delivery delivery, Ids ids,
            EventListener events, ImMetrics metrics, Clock clock, int maxBodyLength) {
        this.messages = messages;
        this.users = users == null ? null : new KnownUsers(users, userCacheExpiry, clock);
        this.groups = groups;
        this.filter = filter;
        this.filterPolicy = filterPolicy;
        this.delivery = delivery;
        this.ids = ids;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
        this.maxBodyLength = maxBodyLength;
    }

    public CompletionStage<byte[]> send(Request r) throws Exception {
        SendRequest req = r.body(SendRequest.parser());
        if (req.getChatType() == TargetType.UNRECOGNIZED) {
            throw RequestException.invalid("chat_type: " + req.getChatTypeValue()
                    + " (expected: CHAT_USER or CHAT_GROUP)");
        }
        String target = Fields.id("target", req.getTarget());
        Fields.id("client_message_id", req.getClientMessageId());
        Fields.contentType("content_type", req.getContentType());
        if (req.getBody().size() > maxBodyLength) {
            metrics.rejected("too_large");
            throw new RequestException(Status.TOO_LARGE, "body: " + req.getBody().size()
                    + " bytes (expected: at most " + maxBodyLength + ")");
        }
        Session me = r.session();
        byte[] body = req.getBody().toByteArray();
        String contentType = req.getContentType().isEmpty() ? "application/octet-stream" : req.getContentType();
        if (contentType.startsWith("text")) {
            body = filter(me.tenant(), body);
            if (body == null) {
                metrics.rejected("filter");
                throw new RequestException(Status.CONTENT_REJECTED, "the message contains blocked words");
            }
        }
        byte[] content = body;
        if (req.getChatType() == TargetType.CHAT_GROUP) {
            return inOrder(r, groups.sendTargets(r.loop(), me, target),
                    members -> store(r, ChatType.GROUP, req, contentType, content, members));
        }
        List<String> owners = target.equals(me.userId()) ? List.of(target) : List.of(target, me.userId());
        if (users == null) {
            return inOrder(r, Stages.done(null), none -> store(r, ChatType.USER, req, contentType, content, owners));
        }
        return inOrder(r, users.exists(me.tenant(), target), exists -> {
            if (!exists) {
                throw new RequestException(Status.NO_SUCH_USER, "no such user: " + target);
            }
            return store(r, ChatType.USER, req, contentType, content, owners);
        });
    }

    /**
     * Runs {@code store} with the value of {@code lookup} once every earlier SEND of the connection has handed its
     * message to the store: lookups run concurrently and may finish in any order (a remote directory), but the
     * store sees one connection's messages in the order they were sent, so their sequences follow that order.
     */
    private <T> CompletionStage<byte[]> inOrder(Request r, CompletionStage<T> lookup,
            Stages.Step<? super T, byte[]> store) {
        Connection c = r.connection();
        CompletableFuture<Void> previous = c.sendTurn();
        if (previous == null && Stages.isDone(lookup)) {
            return Stages.then(r.loop(), lookup, store); // hands the message to the store now
        }
        CompletableFuture<Void> mine = new CompletableFuture<>();
        c.sendTurn(mine);
        mine.thenRun(() -> { // on the loop: the step and the result below complete there
            if (c.sendTurn() == mine) {
                c.sendTurn(null);
            }
        });
        CompletionStage<T> ready = previous == null ? lookup : previous.thenCompose(done -> lookup);
        CompletionStage<byte[]> result = Stages.then(r.loop(), ready, value -> {
            try {
                return store.apply(value);
            } finally {
                mine.complete(null);
            }
        });
        result.whenComplete((ack, error) -> mine.complete(null)); // a failed lookup hands nothing over
        return result;
    }

    /** Stores the message in the inboxes of {@code owners}, then answers and delivers it. */
    private CompletionStage<byte[]> store(Request r, ChatType type, SendRequest req, String contentType,
            byte[] content, Collection<String> owners) {
        Session me = r.session();
        Message message = new Message(me.tenant(), ids.newMessageId(), me.userId(), me.identity().deviceId(), type,
                req.getTarget(), req.getClientMessageId(), contentType, content, clock.millis());
        return Stages.then(r.loop(), messages.append(message, owners), result -> accepted(r, result));
    }

    private CompletionStage<byte[]> accepted(Request r, AppendResult result) {
        Session me = r.session();
        Message m = result.message();
        byte[] ack = Packets.sendOk(r.header(), m.messageId(), m.timestamp(), result.sequence(me.userId()),
                result.duplicate());
        if (!result.duplicate()) { // a duplicate was delivered when it was first stored; a device that missed it syncs
            events.messageAccepted(m);
            byte[] shared = WireMessages.message(m); // encoded once, whatever the number of receivers
            delivery.deliverMessage(r.loop(), m.tenant(), result.sequences(), shared, r.channel().id(),
                    m.timestamp());
        }
        return Stages.done(ack);
    }

    /**
     * Applies the tenant's content policy to a text body: the body unchanged if clean or the policy is off, the
     * masked body under {@link FilterPolicy#MASK}, {@code null} if {@link FilterPolicy#REJECT} refuses it.
     */
    private byte[] filter(String tenant, byte[] body) {
        FilterPolicy policy = filterPolicy.apply(tenant);
        if (policy == FilterPolicy.OFF) {
            return body;
        }
        FilterResult result = filter.filter(tenant, new String(body, StandardCharsets.UTF_8));
        if (!result.matched()) {
            return body;
        }
        return policy == FilterPolicy.REJECT ? null : result.text().getBytes(StandardCharsets.UTF_8);
    }
}
