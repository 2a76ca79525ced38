package io.kim.server.internal.conversation;

import com.google.protobuf.ByteString;
import io.kim.protocol.ChatMessage;
import io.kim.protocol.ConversationInfo;
import io.kim.protocol.ConversationsRequest;
import io.kim.protocol.ConversationsResponse;
import io.kim.protocol.ReadReceipt;
import io.kim.protocol.ReadersRequest;
import io.kim.protocol.ReadersResponse;
import io.kim.protocol.ReadRequest;
import io.kim.protocol.ReadResponse;
import io.kim.protocol.TargetType;
import io.kim.server.internal.Delivery;
import io.kim.server.internal.Ids;
import io.kim.server.internal.Stages;
import io.kim.server.internal.WireMessages;
import io.kim.server.internal.dispatch.Fields;
import io.kim.server.internal.dispatch.Request;
import io.kim.server.internal.dispatch.RequestException;
import io.kim.spi.ChatType;
import io.kim.spi.Conversation;
import io.kim.spi.InboxEntry;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import io.kim.spi.Session;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * CONVERSATIONS (a page of the caller's conversations, newest first) and READ (marks a conversation read up to an
 * entry of the caller's inbox; in a one-to-one chat with another user, appends a read receipt to both inboxes and
 * pushes it to the peer's devices and the reader's other devices). {@code limit} is a uint32 read as unsigned: 0
 * means the default, anything over the maximum is the maximum.
 */
public final class ConversationCommands {

    /** Conversations per page when the request asks for 0. */
    public static final int DEFAULT_LIMIT = 20;
    /** The most conversations per page. */
    public static final int MAX_LIMIT = 100;

    private final MessageStore messages;
    private final Delivery delivery;
    private final Ids ids;
    private final Clock clock;

    public ConversationCommands(MessageStore messages, Delivery delivery, Ids ids, Clock clock) {
        this.messages = messages;
        this.delivery = delivery;
        this.ids = ids;
        this.clock = clock;
    }

    public CompletionStage<byte[]> conversations(Request r) throws Exception {
        ConversationsRequest req = r.body(ConversationsRequest.parser());
        long before = Fields.uint64("before_sequence", req.getBeforeSequence());
        int limit = req.getLimit() == 0 ? DEFAULT_LIMIT : Math.max(1, Fields.uint32AtMost(req.getLimit(), MAX_LIMIT));
        Session me = r.session();
        // one more than asked: whether there are more
        return Stages.then(r.loop(), messages.conversations(me.tenant(), me.userId(), before, limit + 1), page -> {
            ConversationsResponse.Builder out = ConversationsResponse.newBuilder();
            for (int i = 0; i < page.size() && i < limit; i++) {
                out.addConversations(info(page.get(i)));
            }
            out.setHasMore(page.size() > limit);
            return Stages.done(r.ok(out.build()));
        });
    }

    public CompletionStage<byte[]> read(Request r) throws Exception {
        ReadRequest req = r.body(ReadRequest.parser());
        ChatType type = chatType(req.getChatType(), req.getChatTypeValue());
        String peer = Fields.id("target", req.getTarget());
        long sequence = Fields.uint64("sequence", req.getSequence());
        if (sequence == 0) {
            throw RequestException.invalid("sequence: 0 (expected: > 0, an entry of the conversation)");
        }
        Session me = r.session();
        return Stages.then(r.loop(), messages.read(me.tenant(), me.userId(), sequence - 1, 1), page -> {
            List<InboxEntry> entries = page.entries();
            if (entries.isEmpty() || entries.get(0).sequence() != sequence) {
                throw RequestException.invalid("sequence: " + sequence + " (expected: a kept entry of the inbox, "
                        + page.oldestSequence() + " to " + page.headSequence() + ")");
            }
            Message read = entries.get(0).message();
            if (read.isNotice() || read.chatType() != type || !Conversation.peerOf(read, me.userId()).equals(peer)) {
                throw RequestException.invalid("sequence: " + sequence + " (expected: a message of the conversation"
                        + " with " + peer + ")");
            }
            return Stages.then(r.loop(), messages.markRead(me.tenant(), me.userId(), type, peer, sequence), c -> {
                if (c.isEmpty()) { // the store lost it meanwhile (retention): nothing to mark
                    throw RequestException.invalid("sequence: " + sequence + " (expected: a message of a kept"
                            + " conversation)");
                }
                byte[] answer = r.ok(ReadResponse.newBuilder().setConversation(info(c.get())).build());
                if (type != ChatType.USER || peer.equals(me.userId()) || c.get().readSequence() != sequence) {
                    return Stages.done(answer); // groups, notes to self and stale reads send no receipt
                }
                return Stages.then(r.loop(), receipt(r, peer, read, sequence), v -> Stages.done(answer));
            });
        });
    }

    /** READERS: who has read a message of the caller's inbox (for groups; in a one-to-one chat, the peer or none). */
    public CompletionStage<byte[]> readers(Request r) throws Exception {
        ReadersRequest req = r.body(ReadersRequest.parser());
        long sequence = Fields.uint64("sequence", req.getSequence());
        if (sequence == 0) {
            throw RequestException.invalid("sequence: 0 (expected: > 0, the message's entry in the caller's inbox)");
        }
        String messageId = Fields.id("message_id", req.getMessageId());
        Session me = r.session();
        return Stages.then(r.loop(), messages.readers(me.tenant(), me.userId(), sequence, messageId), readers -> {
            if (readers.isEmpty()) {
                throw RequestException.invalid("sequence: " + sequence + " (expected: the kept entry of message "
                        + messageId + ")");
            }
            return Stages.done(r.ok(ReadersResponse.newBuilder().addAllReaders(readers.get()).build()));
        });
    }

    /** Appends the receipt to the peer's inbox and the reader's, then pushes it to their devices but this one. */
    private CompletionStage<Void> receipt(Request r, String peer, Message read, long sequence) {
        Session me = r.session();
        byte[] body = ReadReceipt.newBuilder().setMessageId(read.messageId()).setTimestamp(read.timestamp())
                .setReaderSequence(sequence).build().toByteArray();
        String id = ids.newMessageId();
        Message receipt = new Message(me.tenant(), id, me.userId(), me.identity().deviceId(), ChatType.USER, peer,
                "read:" + id, Message.READ_RECEIPT, body, clock.millis());
        return Stages.then(r.loop(), messages.append(receipt, List.of(peer, me.userId())), result -> {
            delivery.deliverMessage(r.loop(), me.tenant(), result.sequences(), WireMessages.message(result.message()),
                    r.channel().id(), result.message().timestamp());
            return Stages.done(null);
        });
    }

    private static ChatType chatType(TargetType type, int value) {
        return switch (type) {
            case CHAT_USER -> ChatType.USER;
            case CHAT_GROUP -> ChatType.GROUP;
            default -> throw RequestException.invalid("chat_type: " + value + " (expected: CHAT_USER or CHAT_GROUP)");
        };
    }

    static ConversationInfo info(Conversation c) {
        ConversationInfo.Builder b = ConversationInfo.newBuilder()
                .setChatType(c.chatType() == ChatType.GROUP ? TargetType.CHAT_GROUP : TargetType.CHAT_USER)
                .setPeer(c.peer())
                .setLastSequence(c.lastSequence())
                .setLastTimestamp(c.lastTimestamp())
                .setReadSequence(c.readSequence())
                .setUnread(c.unread());
        if (c.lastMessage() != null) {
            b.setLastMessage(chatMessage(c.lastMessage()));
        }
        return b.build();
    }

    private static ChatMessage chatMessage(Message m) {
        return ChatMessage.newBuilder()
                .setMessageId(m.messageId())
                .setSenderId(m.senderId())
                .setSenderDevice(m.senderDevice())
                .setChatType(m.chatType() == ChatType.GROUP ? TargetType.CHAT_GROUP : TargetType.CHAT_USER)
                .setTarget(m.target())
                .setClientMessageId(m.clientMessageId())
                .setContentType(m.contentType())
                .setBody(ByteString.copyFrom(m.body()))
                .setTimestamp(m.timestamp())
                .build();
    }
}
