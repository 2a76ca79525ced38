package io.kim.server.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.google.protobuf.ByteString;
import io.kim.protocol.MessagePush;
import io.kim.protocol.SyncResponse;
import io.kim.spi.ChatType;
import io.kim.spi.InboxEntry;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The hand-written encodings are byte for byte what the generated protobuf classes give. */
class WireMessagesTest {

    static Stream<Message> messages() {
        String unicode = "\u00e9\u4e2d\ud83d\ude00";
        return Stream.of(
                new Message("t", "m-1", "alice", "phone", ChatType.USER, "bob", "c-1", "text/plain",
                        "hi".getBytes(java.nio.charset.StandardCharsets.UTF_8), 1_700_000_000_000L),
                new Message("t", "m-2", "alice", "phone", ChatType.GROUP, "g1", "c-2", "application/octet-stream",
                        new byte[0], 0),
                new Message("t", "m-" + unicode, "a" + unicode, "d" + unicode, ChatType.GROUP, "g" + unicode,
                        "c" + unicode, "text/" + unicode, new byte[300], 1),
                new Message("t", "m".repeat(200), "s".repeat(130), "d", ChatType.USER, "b", "c".repeat(128), "x",
                        new byte[70_000], Long.MAX_VALUE));
    }

    private static io.kim.protocol.ChatMessage protobuf(Message m) {
        return io.kim.protocol.ChatMessage.newBuilder()
                .setMessageId(m.messageId()).setSenderId(m.senderId()).setSenderDevice(m.senderDevice())
                .setChatType(m.chatType() == ChatType.USER ? io.kim.protocol.TargetType.CHAT_USER
                        : io.kim.protocol.TargetType.CHAT_GROUP)
                .setTarget(m.target()).setClientMessageId(m.clientMessageId()).setContentType(m.contentType())
                .setBody(ByteString.copyFrom(m.body())).setTimestamp(m.timestamp()).build();
    }

    @ParameterizedTest
    @MethodSource("messages")
    void message_isWhatProtobufEncodes(Message m) {
        assertArrayEquals(protobuf(m).toByteArray(), WireMessages.message(m));
    }

    @ParameterizedTest
    @MethodSource("messages")
    void syncResponse_isWhatProtobufEncodes(Message m) {
        List<InboxEntry> entries = new ArrayList<>();
        SyncResponse.Builder expected = SyncResponse.newBuilder().setHeadSequence(300).setOldestSequence(2)
                .setTruncated(true).setInboxEpoch("m-0123456789ab");
        for (long seq = 2; seq <= 4; seq++) {
            entries.add(new InboxEntry(seq, m));
            expected.addEntries(MessagePush.newBuilder().setSequence(seq).setMessage(protobuf(m)));
        }
        InboxPage page = new InboxPage(entries, 300, 2, true, true);
        expected.setHasMore(true);

        assertArrayEquals(expected.build().toByteArray(), WireMessages.syncResponse(page, "m-0123456789ab", 1 << 20).body());
    }

    @Test
    void emptySyncResponse_isWhatProtobufEncodes() {
        assertArrayEquals(SyncResponse.newBuilder().setHeadSequence(7).setOldestSequence(8).build().toByteArray(),
                WireMessages.syncResponse(new InboxPage(List.of(), 7, 8, false, false), "", 1000).body());
        assertArrayEquals(SyncResponse.newBuilder().setOldestSequence(1).build().toByteArray(),
                WireMessages.syncResponse(InboxPage.empty(), "", 1000).body());
    }
}
