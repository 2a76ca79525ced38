package io.kim.server.internal.sync;

import io.kim.protocol.AckRequest;
import io.kim.protocol.SyncRequest;
import io.kim.protocol.internal.Packets;
import io.kim.server.internal.ImMetrics;
import io.kim.server.internal.Stages;
import io.kim.server.internal.WireMessages;
import io.kim.server.internal.dispatch.Fields;
import io.kim.server.internal.dispatch.Request;
import io.kim.server.internal.dispatch.RequestException;
import io.kim.spi.EventListener;
import io.kim.spi.InboxPage;
import io.kim.spi.MessageStore;
import io.kim.spi.Session;
import java.util.concurrent.CompletionStage;

/**
 * SYNC (a page of the caller's inbox, which fits a frame) and ACK (the device's read position). {@code limit} is a
 * uint32 read as unsigned: 0 means the default, anything over the maximum is the maximum. A sequence over
 * {@link Long#MAX_VALUE} is {@code INVALID_PACKET}.
 */
public final class SyncCommands {

    /** Room left in a frame for the packet header and the page's own fields. */
    public static final int SYNC_FRAME_RESERVE = 1024;

    private final MessageStore messages;
    private final EventListener events;
    private final ImMetrics metrics;
    private final int defaultLimit;
    private final int maxLimit;
    private final int maxFrameLength;

    public SyncCommands(MessageStore messages, EventListener events, ImMetrics metrics, int defaultLimit,
            int maxLimit, int maxFrameLength) {
        this.messages = messages;
        this.events = events;
        this.metrics = metrics;
        this.defaultLimit = defaultLimit;
        this.maxLimit = maxLimit;
        this.maxFrameLength = maxFrameLength;
    }

    public CompletionStage<byte[]> sync(Request r) throws Exception {
        SyncRequest req = r.body(SyncRequest.parser());
        long after = Fields.uint64("after_sequence", req.getAfterSequence());
        int limit = req.getLimit() == 0 ? defaultLimit : Fields.uint32AtMost(req.getLimit(), maxLimit);
        Session me = r.session();
        CompletionStage<InboxPage> read = messages.read(me.tenant(), me.userId(), after, limit);
        CompletionStage<String> epoch = messages.epoch(me.tenant(), me.userId());
        return Stages.then(r.loop(), read, page -> Stages.then(r.loop(), epoch, inboxEpoch -> {
            WireMessages.SyncPage response = WireMessages.syncResponse(page, inboxEpoch,
                    maxFrameLength - SYNC_FRAME_RESERVE);
            metrics.syncPage(response.entries());
            return Stages.done(Packets.okWithBody(r.header(), response.body()));
        }));
    }

    public CompletionStage<byte[]> ack(Request r) throws Exception {
        AckRequest req = r.body(AckRequest.parser());
        long sequence = Fields.uint64("sequence", req.getSequence());
        Session me = r.session();
        String device = me.identity().deviceId();
        return Stages.then(r.loop(), messages.headSequence(me.tenant(), me.userId()), head -> {
            if (sequence > head) { // never let a device claim entries that do not exist yet
                throw RequestException.invalid("sequence: " + sequence + " (expected: at most the inbox head "
                        + head + ")");
            }
            return Stages.then(r.loop(), messages.acknowledge(me.tenant(), me.userId(), device, sequence), v -> {
                events.delivered(me.tenant(), me.userId(), device, sequence);
                return Stages.done(r.ok(null));
            });
        });
    }
}
