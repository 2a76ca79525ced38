package io.kim.server.internal.group;

import io.kim.protocol.Command;
import io.kim.protocol.GroupCreateRequest;
import io.kim.protocol.GroupEventPush;
import io.kim.protocol.GroupJoinResponse;
import io.kim.protocol.GroupMembersChange;
import io.kim.protocol.GroupMembers;
import io.kim.protocol.GroupProfile;
import io.kim.protocol.GroupRequest;
import io.kim.protocol.Status;
import io.kim.protocol.internal.Packets;
import io.kim.server.internal.Delivery;
import io.kim.server.internal.Ids;
import io.kim.server.internal.ImMetrics;
import io.kim.server.internal.Stages;
import io.kim.server.internal.dispatch.Failures;
import io.kim.server.internal.dispatch.Fields;
import io.kim.server.internal.dispatch.Request;
import io.kim.server.internal.dispatch.RequestException;
import io.kim.spi.ChatType;
import io.kim.spi.EventListener;
import io.kim.spi.Group;
import io.kim.spi.GroupStore;
import io.kim.spi.JoinPolicy;
import io.kim.spi.MessageStore;
import io.kim.spi.NoSuchGroupException;
import io.kim.spi.Session;
import io.kim.spi.UserDirectory;
import io.kim.spi.Validate;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * The group commands: create, detail, join, quit, members, dissolve, and who a group message goes to. Members
 * hear of every change through a {@code GROUP_EVENT} push. A {@code group_id} is checked like every id (not blank,
 * at most {@link Validate#MAX_ID_LENGTH} characters); GROUP_CREATE with an empty one lets the server choose one that
 * cannot be guessed ({@code g-} and 128 random bits in base32).
 *
 * <p><b>Consent.</b> Who becomes a member follows the group's {@link JoinPolicy}: a member may always add users
 * (GROUP_ADD); GROUP_JOIN is refused for an invite-only group, joins an open one, and files a join request for an
 * approval group, which the owner is told about and accepts with GROUP_APPROVE. Only members see the member list;
 * only the owner sees the join requests and dissolves the group.
 *
 * <p><b>Conversations.</b> A user who quits, and every member of a dissolved group, the owner included, loses the
 * group's conversation ({@link MessageStore#removeConversation}) before the members are told and the request is
 * answered, so a CONVERSATIONS after the answer or the {@code GROUP_EVENT} push no longer lists it. The inbox
 * entries stay. If the message store fails to drop it, the request is still answered OK, since the group change
 * itself happened and a retry would be refused; the failure is logged once per cause and the conversation stays
 * listed. A re-joined member's conversation starts again with the next group message.
 */
public final class GroupCommands {

    private static final byte[] NO_PREFIX = new byte[0];
    private static final String BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
    /** The most users one GROUP_ADD or GROUP_APPROVE names. */
    static final int MAX_USERS_PER_CHANGE = 100;

    private final SecureRandom random = new SecureRandom();

    private final GroupStore store;
    private final MessageStore messages;
    private final UserDirectory users;
    private final Delivery delivery;
    private final Ids ids;
    private final EventListener events;
    private final ImMetrics metrics;
    private final Clock clock;

    /** @param users the user directory, or {@code null} if the server has none */
    public GroupCommands(GroupStore store, MessageStore messages, UserDirectory users, Delivery delivery, Ids ids,
            EventListener events, ImMetrics metrics, Clock clock) {
        this.store = store;
        this.messages = messages;
        this.users = users;
        this.delivery = delivery;
        this.ids = ids;
        this.events = events;
        this.metrics = metrics;
        this.clock = clock;
    }

    private static String groupId(Request r) throws Exception {
        return Fields.id("group_id", r.body(GroupRequest.parser()).getGroupId());
    }

    public CompletionStage<byte[]> create(Request r) throws Exception {
        GroupCreateRequest req = r.body(GroupCreateRequest.parser());
        String id = req.getGroupId().isEmpty() ? newGroupId() : Fields.id("group_id", req.getGroupId());
        JoinPolicy policy = switch (req.getJoinPolicy()) {
            case INVITE_ONLY -> JoinPolicy.INVITE_ONLY;
            case OPEN -> JoinPolicy.OPEN;
            case APPROVAL -> JoinPolicy.APPROVAL;
            default -> throw new RequestException(Status.INVALID_PACKET,
                    "join_policy: " + req.getJoinPolicyValue() + " (expected: INVITE_ONLY, OPEN or APPROVAL)");
        };
        Fields.requiredText("name", req.getName(), Validate.MAX_TEXT_LENGTH);
        Fields.text("avatar", req.getAvatar(), Validate.MAX_TEXT_LENGTH);
        Fields.text("introduction", req.getIntroduction(), Validate.MAX_TEXT_LENGTH);
        for (String m : req.getMembersList()) {
            Fields.id("members", m);
        }
        Session me = r.session();
        Executor loop = r.loop();
        Group group = new Group(me.tenant(), id, me.userId(), req.getName(), req.getAvatar(), req.getIntroduction(),
                clock.instant(), policy);
        Set<String> initial = new LinkedHashSet<>(req.getMembersList());
        return Stages.then(loop, unknownUser(loop, me.tenant(), new ArrayList<>(initial), 0), unknown -> {
            if (unknown != null) {
                throw new RequestException(Status.NO_SUCH_USER, "no such user: " + unknown);
            }
            return Stages.then(loop, store.create(group, initial), created ->
                    Stages.then(loop, store.members(me.tenant(), id), members -> {
                        events.groupChanged(me.tenant(), id, "created", me.userId());
                        notify(loop, me.tenant(), members, GroupEventPush.Kind.CREATED, id, me.userId());
                        return Stages.done(r.ok(profile(created, members.size())));
                    }));
        });
    }

    /**
     * The first of {@code users} from index {@code i} the server's user directory does not know, or {@code null}
     * if it knows them all (or the server has no directory).
     */
    private CompletionStage<String> unknownUser(Executor loop, String tenant, List<String> candidates, int i) {
        if (users == null || i == candidates.size()) {
            return Stages.done(null);
        }
        String user = candidates.get(i);
        return Stages.then(loop, users.find(tenant, user),
                found -> found.isPresent() ? unknownUser(loop, tenant, candidates, i + 1) : Stages.done(user));
    }

    public CompletionStage<byte[]> get(Request r) throws Exception {
        String id = groupId(r);
        Session me = r.session();
        return Stages.then(r.loop(), store.find(me.tenant(), id), found -> {
            if (found.isEmpty()) {
                throw new RequestException(Status.NO_SUCH_GROUP, "no such group: " + id);
            }
            return Stages.then(r.loop(), store.members(me.tenant(), id),
                    m -> Stages.done(r.ok(profile(found.get(), m.size()))));
        });
    }

    /** A group id nobody can guess: 128 bits from a {@link SecureRandom}, base32 (26 characters). */
    private String newGroupId() {
        byte[] bits = new byte[16];
        random.nextBytes(bits);
        StringBuilder id = new StringBuilder("g-");
        int buffer = 0;
        int held = 0;
        for (byte b : bits) {
            buffer = (buffer << 8) | (b & 0xFF);
            held += 8;
            while (held >= 5) {
                id.append(BASE32.charAt((buffer >>> (held - 5)) & 31));
                held -= 5;
            }
        }
        if (held > 0) {
            id.append(BASE32.charAt((buffer << (5 - held)) & 31));
        }
        return id.toString();
    }

    public CompletionStage<byte[]> join(Request r) throws Exception {
        String id = groupId(r);
        Session me = r.session();
        Executor loop = r.loop();
        return Stages.then(loop, store.find(me.tenant(), id), found -> {
            if (found.isEmpty()) {
                throw new RequestException(Status.NO_SUCH_GROUP, "no such group: " + id);
            }
            Group g = found.get();
            return Stages.then(loop, store.isMember(me.tenant(), id, me.userId()), member -> {
                if (member) {
                    return Stages.done(r.ok(null)); // already a member: joining again changes nothing
                }
                switch (g.joinPolicy()) {
                    case OPEN:
                        return Stages.then(loop, addMembers(loop, me, id, List.of(me.userId()), 0, new ArrayList<>()),
                                added -> Stages.done(r.ok(null)));
                    case APPROVAL:
                        return Stages.then(loop, store.requestToJoin(me.tenant(), id, me.userId()), filed -> {
                            if (filed) {
                                events.groupChanged(me.tenant(), id, "join requested", me.userId());
                                notify(loop, me.tenant(), List.of(g.ownerId()), GroupEventPush.Kind.JOIN_REQUESTED, id,
                                        me.userId());
                            }
                            return Stages.done(r.ok(GroupJoinResponse.newBuilder().setPending(true).build()));
                        });
                    default:
                        metrics.rejected("forbidden");
                        throw new RequestException(Status.FORBIDDEN, "group " + id + " is invite-only: a member must "
                                + "add you");
                }
            });
        });
    }

    /** GROUP_ADD: a member adds users (an invitation); users already members are skipped. */
    public CompletionStage<byte[]> add(Request r) throws Exception {
        GroupMembersChange req = r.body(GroupMembersChange.parser());
        String id = Fields.id("group_id", req.getGroupId());
        List<String> users = userIds(req);
        Session me = r.session();
        Executor loop = r.loop();
        return Stages.then(loop, store.isMember(me.tenant(), id, me.userId()), member -> {
            if (!member) {
                return Stages.then(loop, store.find(me.tenant(), id), g -> {
                    throw g.isEmpty() ? new RequestException(Status.NO_SUCH_GROUP, "no such group: " + id)
                            : new RequestException(Status.FORBIDDEN, "only members add members to " + id);
                });
            }
            return Stages.then(loop, unknownUser(loop, me.tenant(), users, 0), unknown -> {
                if (unknown != null) {
                    throw new RequestException(Status.NO_SUCH_USER, "no such user: " + unknown);
                }
                return Stages.then(loop, addMembers(loop, me, id, users, 0, new ArrayList<>()), added ->
                        Stages.done(r.ok(GroupMembers.newBuilder().setGroupId(id).addAllMembers(added).build())));
            });
        });
    }

    /** GROUP_APPROVE: the owner accepts join requests; users without a pending request are skipped. */
    public CompletionStage<byte[]> approve(Request r) throws Exception {
        GroupMembersChange req = r.body(GroupMembersChange.parser());
        String id = Fields.id("group_id", req.getGroupId());
        List<String> users = userIds(req);
        Session me = r.session();
        Executor loop = r.loop();
        return Stages.then(loop, store.find(me.tenant(), id), found -> {
            if (found.isEmpty()) {
                throw new RequestException(Status.NO_SUCH_GROUP, "no such group: " + id);
            }
            if (!found.get().ownerId().equals(me.userId())) {
                throw new RequestException(Status.FORBIDDEN, "only the owner approves join requests of " + id);
            }
            return Stages.then(loop, store.joinRequests(me.tenant(), id), pending -> {
                List<String> approved = users.stream().filter(pending::contains).toList();
                return Stages.then(loop, addMembers(loop, me, id, approved, 0, new ArrayList<>()), added ->
                        Stages.done(r.ok(GroupMembers.newBuilder().setGroupId(id).addAllMembers(added).build())));
            });
        });
    }

    private static List<String> userIds(GroupMembersChange req) throws RequestException {
        if (req.getUserIdsCount() == 0 || req.getUserIdsCount() > MAX_USERS_PER_CHANGE) {
            throw new RequestException(Status.INVALID_PACKET, "user_ids: " + req.getUserIdsCount()
                    + " entries (expected: 1 to " + MAX_USERS_PER_CHANGE + ")");
        }
        Set<String> users = new LinkedHashSet<>();
        for (String u : req.getUserIdsList()) {
            users.add(Fields.id("user_ids", u));
        }
        return List.copyOf(users);
    }

    /** Adds {@code users} from index {@code i} one after the other, telling the members of each join. */
    private CompletionStage<List<String>> addMembers(Executor loop, Session me, String id, List<String> users, int i,
            List<String> added) {
        if (i == users.size()) {
            return Stages.done(added);
        }
        String user = users.get(i);
        return Stages.then(loop, store.addMember(me.tenant(), id, user), joined -> {
            store.removeJoinRequest(me.tenant(), id, user);
            if (!joined) {
                return addMembers(loop, me, id, users, i + 1, added);
            }
            added.add(user);
            events.groupChanged(me.tenant(), id, "joined", user);
            return Stages.then(loop, store.members(me.tenant(), id), members -> {
                notify(loop, me.tenant(), members, GroupEventPush.Kind.JOINED, id, user);
                return addMembers(loop, me, id, users, i + 1, added);
            });
        });
    }

    public CompletionStage<byte[]> quit(Request r) throws Exception {
        String id = groupId(r);
        Session me = r.session();
        return Stages.then(r.loop(), store.find(me.tenant(), id), found -> {
            if (found.isEmpty()) {
                throw new RequestException(Status.NO_SUCH_GROUP, "no such group: " + id);
            }
            if (found.get().ownerId().equals(me.userId())) {
                throw new RequestException(Status.FORBIDDEN, "the owner cannot quit; dissolve the group");
            }
            return Stages.then(r.loop(), store.removeMember(me.tenant(), id, me.userId()), removed -> {
                if (!removed) {
                    throw new RequestException(Status.FORBIDDEN, "not a member of " + id);
                }
                events.groupChanged(me.tenant(), id, "quit", me.userId());
                return Stages.then(r.loop(), store.members(me.tenant(), id), members ->
                        Stages.then(r.loop(), dropConversation(r.loop(), me.tenant(), id, List.of(me.userId())),
                                dropped -> {
                                    List<String> told = new ArrayList<>(members);
                                    told.add(me.userId());
                                    notify(r.loop(), me.tenant(), told, GroupEventPush.Kind.QUIT, id, me.userId());
                                    return Stages.done(r.ok(null));
                                }));
            });
        });
    }

    public CompletionStage<byte[]> members(Request r) throws Exception {
        String id = groupId(r);
        Session me = r.session();
        return Stages.then(r.loop(), store.isMember(me.tenant(), id, me.userId()), member -> {
            if (!member) {
                return Stages.then(r.loop(), store.find(me.tenant(), id), g -> {
                    throw g.isEmpty() ? new RequestException(Status.NO_SUCH_GROUP, "no such group: " + id)
                            : new RequestException(Status.FORBIDDEN, "only members see the member list");
                });
            }
            return Stages.then(r.loop(), store.members(me.tenant(), id), m -> {
                GroupMembers.Builder answer = GroupMembers.newBuilder().setGroupId(id).addAllMembers(m);
                if (!m.get(0).equals(me.userId())) { // the owner is listed first
                    return Stages.done(r.ok(answer.build()));
                }
                return Stages.then(r.loop(), store.joinRequests(me.tenant(), id),
                        pending -> Stages.done(r.ok(answer.addAllJoinRequests(pending).build())));
            });
        });
    }

    public CompletionStage<byte[]> dissolve(Request r) throws Exception {
        String id = groupId(r);
        Session me = r.session();
        return Stages.then(r.loop(), store.find(me.tenant(), id), found -> {
            if (found.isEmpty()) {
                throw new RequestException(Status.NO_SUCH_GROUP, "no such group: " + id);
            }
            if (!found.get().ownerId().equals(me.userId())) {
                throw new RequestException(Status.FORBIDDEN, "only the owner may dissolve " + id);
            }
            return Stages.then(r.loop(), store.members(me.tenant(), id), members ->
                    Stages.then(r.loop(), store.delete(me.tenant(), id), deleted -> {
                        if (!deleted) { // another request dissolved it meanwhile and tells the members
                            return Stages.done(r.ok(null));
                        }
                        events.groupChanged(me.tenant(), id, "dissolved", me.userId());
                        return Stages.then(r.loop(), dropConversation(r.loop(), me.tenant(), id, members), dropped -> {
                            notify(r.loop(), me.tenant(), members, GroupEventPush.Kind.DISSOLVED, id, me.userId());
                            return Stages.done(r.ok(null));
                        });
                    }));
        });
    }

    /**
     * The inboxes a group message of {@code me} to {@code groupId} goes to (every member, the sender included);
     * fails with {@code NO_SUCH_GROUP} or {@code FORBIDDEN} if the sender is not a member.
     */
    public CompletionStage<Collection<String>> sendTargets(Executor loop, Session me, String groupId) {
        // one call to the store (on kim-store-jdbc one query) per group message: the sender's membership is read
        // from the members, and a group that does not exist has none
        CompletionStage<List<String>> members = store.members(me.tenant(), groupId).exceptionally(e -> {
            if (Stages.unwrap(e) instanceof NoSuchGroupException) {
                return List.of();
            }
            throw e instanceof CompletionException c ? c : new CompletionException(e);
        });
        return Stages.then(loop, members, list -> {
            if (list.contains(me.userId())) {
                return Stages.done(list);
            }
            metrics.rejected("forbidden");
            throw list.isEmpty() ? new RequestException(Status.NO_SUCH_GROUP, "no such group: " + groupId)
                    : new RequestException(Status.FORBIDDEN, "not a member of " + groupId);
        });
    }

    /**
     * Drops group {@code groupId}'s conversation from the lists of {@code users} (see the class comment). The stage
     * completes on {@code loop} and never fails: a failure of the store is logged once per cause; a store that keeps
     * no conversations has none to drop.
     */
    private CompletionStage<Void> dropConversation(Executor loop, String tenant, String groupId,
            Collection<String> users) {
        CompletionStage<Void> removal;
        try {
            removal = messages.removeConversation(tenant, ChatType.GROUP, groupId, users);
        } catch (RuntimeException e) {
            removal = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        Stages.whenDone(loop, removal, (ignored, error) -> {
            if (error != null && !(error instanceof UnsupportedOperationException)) {
                Failures.logOncePerCause("dropping the conversation of group " + groupId + " from " + users.size()
                        + " users failed; it stays listed", error);
            }
            done.complete(null);
        });
        return done;
    }

    private void notify(Executor loop, String tenant, Collection<String> members, GroupEventPush.Kind kind,
            String groupId, String userId) {
        byte[] push = Packets.push(Command.GROUP_EVENT,
                GroupEventPush.newBuilder().setKind(kind).setGroupId(groupId).setUserId(userId).build());
        delivery.deliverEvent(loop, tenant, members, push, Command.GROUP_EVENT);
    }

    private static GroupProfile profile(Group g, int memberCount) {
        return GroupProfile.newBuilder().setGroupId(g.groupId()).setOwnerId(g.ownerId()).setName(g.name())
                .setAvatar(g.avatar() == null ? "" : g.avatar())
                .setIntroduction(g.introduction() == null ? "" : g.introduction())
                .setCreatedAt(g.createdAt().toEpochMilli()).setMemberCount(memberCount)
                .setJoinPolicyValue(g.joinPolicy().ordinal()).build();
    }
}
