package io.kim.server.internal.conversation;

import com.google.protobuf.ByteString;
import io.kim.protocol.EditNotice;
import io.kim.protocol.EditRequest;
import io.kim.protocol.EditResponse;
import io.kim.protocol.RecallNotice;
import io.kim.protocol.RecallRequest;
import io.kim.protocol.Status;
import io.kim.server.internal.Delivery;
import io.kim.server.internal.Ids;
import io.kim.server.internal.ImMetrics;
import io.kim.server.internal.Stages;
import io.kim.server.internal.WireMessages;
import io.kim.server.internal.dispatch.Fields;
import io.kim.server.internal.dispatch.Request;
import io.kim.server.internal.dispatch.RequestException;
import io.kim.spi.AmendResult;
import io.kim.spi.ChatType;
import io.kim.spi.ContentFilter;
import io.kim.spi.FilterPolicy;
import io.kim.spi.FilterResult;
import io.kim.spi.GroupStore;
import io.kim.spi.InboxEntry;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import io.kim.spi.Session;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * RECALL and EDIT: the message at an entry of the caller's inbox gets a new content in the store (recalled: content
 * type {@link Message#RECALLED} and no body), then a notice ({@link Message#RECALL} or {@link Message#EDIT}) is
 * appended to every inbox that holds it and pushed, so that devices offline now learn it when they sync. Its sender
 * may recall or edit within the tenant's window; a group's owner may recall any message of the group at any time.
 * An edit's body goes through the size limit and the content filter like a SEND's.
 */
public final class AmendCommands {

    private final MessageStore messages;
    private final GroupStore groups;
    private final ContentFilter filter;
    private final Function<String, FilterPolicy> filterPolicy;
    private final Function<String, Duration> recallWindow;
    private final Function<String, Duration> editWindow;
    private final Delivery delivery;
    private final Ids ids;
    private final ImMetrics metrics;
    private final Clock clock;
    private final int maxBodyLength;

    public AmendCommands(MessageStore messages, GroupStore groups, ContentFilter filter,
            Function<String, FilterPolicy> filterPolicy, Function<String, Duration> recallWindow,
            Function<String, Duration> editWindow, Delivery delivery, Ids ids, ImMetrics metrics, Clock clock,
            int maxBodyLength) {
        this.messages = messages;
        this.groups = groups;
        this.filter = filter;
        this.filterPolicy = filterPolicy;
        this.recallWindow = recallWindow;
        this.editWindow = editWindow;
        this.delivery = delivery;
        this.ids = ids;
        this.metrics = metrics;
        this.clock = clock;
        this.maxBodyLength = maxBodyLength;
    }

    public CompletionStage<byte[]> recall(Request r) throws Exception {
        RecallRequest req = r.body(RecallRequest.parser());
        long sequence = sequence(req.getSequence());
        String messageId = Fields.id("message_id", req.getMessageId());
        Session me = r.session();
        return Stages.then(r.loop(), entry(r, sequence, messageId), m -> {
            boolean sender = m.senderId().equals(me.userId());
            if (sender && within(m, recallWindow.apply(me.tenant()))) {
                return recalled(r, sequence, m);
            }
            if (m.chatType() != ChatType.GROUP) {
                throw forbidden(sender ? "the recall window has passed" : "only its sender may recall a message");
            }
            return Stages.then(r.loop(), groups.find(me.tenant(), m.target()), group -> {
                if (group.isEmpty() || !group.get().ownerId().equals(me.userId())) {
                    throw forbidden(sender ? "the recall window has passed"
                            : "only its sender or the group's owner may recall a message");
                }
                return recalled(r, sequence, m);
            });
        });
    }

    private CompletionStage<byte[]> recalled(Request r, long sequence, Message m) {
        byte[] notice = RecallNotice.newBuilder().setMessageId(m.messageId()).build().toByteArray();
        return amend(r, sequence, m, Message.RECALLED, new byte[0], Message.RECALL, notice,
                result -> r.ok(null));
    }

    public CompletionStage<byte[]> edit(Request r) throws Exception {
        EditRequest req = r.body(EditRequest.parser());
        long sequence = sequence(req.getSequence());
        String messageId = Fields.id("message_id", req.getMessageId());
        Fields.contentType("content_type", req.getContentType());
        if (req.getBody().size() > maxBodyLength) {
            metrics.rejected("too_large");
            throw new RequestException(Status.TOO_LARGE, "body: " + req.getBody().size()
                    + " bytes (expected: at most " + maxBodyLength + ")");
        }
        Session me = r.session();
        String contentType = req.getContentType().isEmpty() ? "application/octet-stream" : req.getContentType();
        byte[] body = req.getBody().toByteArray();
        if (contentType.startsWith("text")) {
            body = filter(me.tenant(), body);
            if (body == null) {
                metrics.rejected("filter");
                throw new RequestException(Status.CONTENT_REJECTED, "the message contains blocked words");
            }
        }
        byte[] content = body;
        return Stages.then(r.loop(), entry(r, sequence, messageId), m -> {
            if (!m.senderId().equals(me.userId())) {
                throw forbidden("only its sender may edit a message");
            }
            if (!within(m, editWindow.apply(me.tenant()))) {
                throw forbidden("the edit window has passed");
            }
            return amend(r, sequence, m, contentType, content, Message.EDIT, null, result -> r.ok(
                    EditResponse.newBuilder().setVersion(result.version()).build()));
        });
    }

    /** The message at the caller's entry {@code sequence}, checked to be {@code messageId} and not a notice. */
    private CompletionStage<Message> entry(Request r, long sequence, String messageId) {
        Session me = r.session();
        return Stages.then(r.loop(), messages.read(me.tenant(), me.userId(), sequence - 1, 1), page -> {
            List<InboxEntry> entries = page.entries();
            if (entries.isEmpty() || entries.get(0).sequence() != sequence
                    || !entries.get(0).message().messageId().equals(messageId)) {
                throw RequestException.invalid("sequence: " + sequence + " (expected: the kept entry of message "
                        + messageId + ")");
            }
            Message m = entries.get(0).message();
            if (m.isNotice()) {
                throw forbidden(m.contentType().equals(Message.RECALLED) ? "the message was recalled"
                        : "a notice cannot be changed");
            }
            return Stages.done(m);
        });
    }

    /**
     * Stores the new content, then appends the notice ({@code noticeBody}, or for an edit an {@code EditNotice}
     * with the new version) to every inbox holding the message and pushes it.
     */
    private CompletionStage<byte[]> amend(Request r, long sequence, Message m, String contentType, byte[] body,
            String noticeType, byte[] noticeBody, Function<AmendResult, byte[]> answer) {
        Session me = r.session();
        return Stages.then(r.loop(),
                messages.amend(me.tenant(), me.userId(), sequence, m.messageId(), contentType, body), amended -> {
                    if (amended.isEmpty()) { // dropped by retention meanwhile
                        throw RequestException.invalid("sequence: " + sequence + " (expected: a kept entry)");
                    }
                    AmendResult result = amended.get();
                    byte[] payload = noticeBody != null ? noticeBody : EditNotice.newBuilder()
                            .setMessageId(m.messageId()).setVersion(result.version()).setContentType(contentType)
                            .setBody(ByteString.copyFrom(body)).build().toByteArray();
                    String id = ids.newMessageId();
                    Message notice = new Message(me.tenant(), id, me.userId(), me.identity().deviceId(), m.chatType(),
                            m.target(), "notice:" + id, noticeType, payload, clock.millis());
                    return Stages.then(r.loop(), messages.append(notice, result.sequences().keySet()), appended -> {
                        delivery.deliverMessage(r.loop(), me.tenant(), appended.sequences(),
                                WireMessages.message(appended.message()), r.channel().id(),
                                appended.message().timestamp());
                        return Stages.done(answer.apply(result));
                    });
                });
    }

    private boolean within(Message m, Duration window) {
        return clock.millis() - m.timestamp() <= window.toMillis();
    }

    private static long sequence(long value) {
        long sequence = Fields.uint64("sequence", value);
        if (sequence == 0) {
            throw RequestException.invalid("sequence: 0 (expected: > 0, the message's entry in the caller's inbox)");
        }
        return sequence;
    }

    private static RequestException forbidden(String why) {
        return new RequestException(Status.FORBIDDEN, why);
    }

    /** As SEND does: the body unchanged, masked, or {@code null} if the tenant's policy rejects it. */
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
