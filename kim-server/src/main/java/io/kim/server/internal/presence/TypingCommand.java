package io.kim.server.internal.presence;

import io.kim.protocol.Command;
import io.kim.protocol.Status;
import io.kim.protocol.TargetType;
import io.kim.protocol.TypingPush;
import io.kim.protocol.TypingRequest;
import io.kim.protocol.internal.Packets;
import io.kim.server.internal.Delivery;
import io.kim.server.internal.Stages;
import io.kim.server.internal.dispatch.Fields;
import io.kim.server.internal.dispatch.Request;
import io.kim.server.internal.dispatch.RequestException;
import io.kim.spi.GroupStore;
import io.kim.spi.Session;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * TYPING: pushes a {@code TypingPush} to the peer's devices, or to every other member of the group, and stores
 * nothing. Throttled per connection and conversation: within {@link #INTERVAL_MILLIS} of the last one pushed, a
 * TYPING is answered OK and pushes nothing.
 */
public final class TypingCommand {

    /** The least time between two typing pushes of one connection to one conversation. */
    public static final long INTERVAL_MILLIS = 2_000;

    private final GroupStore groups;
    private final Delivery delivery;
    private final Clock clock;

    public TypingCommand(GroupStore groups, Delivery delivery, Clock clock) {
        this.groups = groups;
        this.delivery = delivery;
        this.clock = clock;
    }

    public CompletionStage<byte[]> typing(Request r) throws Exception {
        TypingRequest req = r.body(TypingRequest.parser());
        if (req.getChatType() == TargetType.UNRECOGNIZED) {
            throw RequestException.invalid("chat_type: " + req.getChatTypeValue()
                    + " (expected: CHAT_USER or CHAT_GROUP)");
        }
        String target = Fields.id("target", req.getTarget());
        Session me = r.session();
        boolean group = req.getChatType() == TargetType.CHAT_GROUP;
        if (!r.connection().typingAllowed((group ? "g:" : "u:") + target, clock.millis(), INTERVAL_MILLIS)) {
            return Stages.done(r.ok(null));
        }
        byte[] push = Packets.push(Command.TYPING, TypingPush.newBuilder().setSenderId(me.userId())
                .setSenderDevice(me.identity().deviceId()).setChatType(req.getChatType()).setTarget(target).build());
        if (!group) {
            if (!target.equals(me.userId())) {
                delivery.deliverEvent(r.loop(), me.tenant(), List.of(target), push, Command.TYPING);
            }
            return Stages.done(r.ok(null));
        }
        return Stages.then(r.loop(), groups.isMember(me.tenant(), target, me.userId()), member -> {
            if (!member) {
                throw new RequestException(Status.FORBIDDEN, "not a member of group " + target);
            }
            return Stages.then(r.loop(), groups.members(me.tenant(), target), members -> {
                List<String> others = new ArrayList<>(members.size());
                for (String m : members) {
                    if (!m.equals(me.userId())) {
                        others.add(m);
                    }
                }
                delivery.deliverEvent(r.loop(), me.tenant(), others, push, Command.TYPING);
                return Stages.done(r.ok(null));
            });
        });
    }
}
