package io.kim.server.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.kim.protocol.internal.Packets;
import io.kim.net.Channel;
import io.kim.protocol.Command;
import io.kim.protocol.GroupCreateRequest;
import io.kim.protocol.GroupEventPush;
import io.kim.protocol.GroupProfile;
import io.kim.protocol.GroupMembers;
import io.kim.protocol.GroupRequest;
import io.kim.protocol.Header;
import io.kim.protocol.Status;
import io.kim.spi.Group;
import io.kim.spi.GroupExistsException;
import io.kim.spi.GroupFullException;
import io.kim.spi.GroupStore;
import io.kim.spi.NoSuchGroupException;
import io.kim.spi.Session;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group commands of the IM server: create, detail, join, quit, members, dissolve, and who a group message goes
 * to. Members hear of every change through a {@code GROUP_EVENT} push. Without a {@link GroupStore} every group
 * command answers {@code NO_SUCH_GROUP}.
 */
final class GroupCommands {

    private static final Logger log = LoggerFactory.getLogger(GroupCommands.class);
    private static final int MAX_FIELD_LENGTH = 128;
    private static final byte[] NO_PREFIX = new byte[0];

    private final ImHandler handler;
    private final ImHandler.Settings s;

    GroupCommands(ImHandler handler, ImHandler.Settings settings) {
        this.handler = handler;
        this.s = settings;
    }

    void handle(Channel channel, Session me, Header h, ByteString body) throws InvalidProtocolBufferException {
        GroupStore store = s.groups();
        if (store == null) {
            channel.push(Packets.error(h, Status.NO_SUCH_GROUP, "groups are not enabled on this server"));
            return;
        }
        CompletionStage<byte[]> reply = switch (h.getCommand()) {
            case GROUP_CREATE -> create(store, me, h, GroupCreateRequest.parseFrom(body));
            case GROUP_GET -> get(store, me, h, groupId(GroupRequest.parseFrom(body)));
            case GROUP_JOIN -> join(store, me, h, groupId(GroupRequest.parseFrom(body)));
            case GROUP_QUIT -> quit(store, me, h, groupId(GroupRequest.parseFrom(body)));
            case GROUP_MEMBERS -> members(store, me, h, groupId(GroupRequest.parseFrom(body)));
            case GROUP_DISSOLVE -> dissolve(store, me, h, groupId(GroupRequest.parseFrom(body)));
            default -> throw new IllegalArgumentException(h.getCommand().name());
        };
        reply.whenComplete((bytes, e) -> channel.push(e == null ? bytes : failure(h, e)));
    }

    private static String groupId(GroupRequest req) {
        return req.getGroupId();
    }

    private CompletionStage<byte[]> create(GroupStore store, Session me, Header h, GroupCreateRequest req) {
        String id = req.getGroupId().isEmpty() ? "g-" + handler.newMessageId() : req.getGroupId();
        String invalid = tooLong("group_id", id) != null ? tooLong("group_id", id)
                : req.getName().isBlank() ? "name: required" : tooLong("name", req.getName());
        for (String m : req.getMembersList()) {
            if (invalid == null && (m.isBlank() || m.length() > MAX_FIELD_LENGTH)) {
                invalid = "members: each must be 1-" + MAX_FIELD_LENGTH + " characters";
            }
        }
        if (invalid != null) {
            return done(Packets.error(h, Status.INVALID_PACKET, invalid));
        }
        Group group = new Group(me.tenant(), id, me.userId(), req.getName(), req.getAvatar(), req.getIntroduction(),
                s.clock().instant());
        Set<String> initial = new LinkedHashSet<>(req.getMembersList());
        return unknownUser(me.tenant(), initial).thenCompose(unknown -> {
            if (unknown != null) {
                return done(Packets.error(h, Status.NO_SUCH_USER, "no such user: " + unknown));
            }
            return store.create(group, initial)
                    .thenCompose(created -> store.members(me.tenant(), id).thenApply(members -> {
                        s.events().groupChanged(me.tenant(), id, "created", me.userId());
                        notify(me.tenant(), members, GroupEventPush.Kind.CREATED, id, me.userId());
                        return Packets.ok(h, info(created, members.size()));
                    }));
        });
    }

    /**
     * The first of {@code users} the server's user directory does not know, or {@code null} if it knows them all
     * (or the server has no directory).
     */
    private CompletionStage<String> unknownUser(String tenant, Collection<String> users) {
        if (s.users() == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletionStage<String> result = CompletableFuture.completedFuture(null);
        for (String user : users) {
            result = result.thenCompose(found -> found != null ? CompletableFuture.completedFuture(found)
                    : s.users().find(tenant, user).thenApply(u -> u.isPresent() ? null : user));
        }
        return result;
    }

    private CompletionStage<byte[]> get(GroupStore store, Session me, Header h, String id) {
        return store.find(me.tenant(), id).thenCompose(found -> {
            if (found.isEmpty()) {
                return done(Packets.error(h, Status.NO_SUCH_GROUP, "no such group: " + id));
            }
            return store.members(me.tenant(), id).thenApply(m -> Packets.ok(h, info(found.get(), m.size())));
        });
    }

    private CompletionStage<byte[]> join(GroupStore store, Session me, Header h, String id) {
        return store.addMember(me.tenant(), id, me.userId()).thenCompose(added -> {
            if (!added) {
                return done(Packets.ok(h, null)); // already a member: joining again changes nothing
            }
            s.events().groupChanged(me.tenant(), id, "joined", me.userId());
            return store.members(me.tenant(), id).thenApply(members -> {
                notify(me.tenant(), members, GroupEventPush.Kind.JOINED, id, me.userId());
                return Packets.ok(h, null);
            });
        });
    }

    private CompletionStage<byte[]> quit(GroupStore store, Session me, Header h, String id) {
        return store.find(me.tenant(), id).thenCompose(found -> {
            if (found.isEmpty()) {
                return done(Packets.error(h, Status.NO_SUCH_GROUP, "no such group: " + id));
            }
            if (found.get().ownerId().equals(me.userId())) {
                return done(Packets.error(h, Status.FORBIDDEN, "the owner cannot quit; dissolve the group"));
            }
            return store.removeMember(me.tenant(), id, me.userId()).thenCompose(removed -> {
                if (!removed) {
                    return done(Packets.error(h, Status.FORBIDDEN, "not a member of " + id));
                }
                s.events().groupChanged(me.tenant(), id, "quit", me.userId());
                return store.members(me.tenant(), id).thenApply(members -> {
                    List<String> told = new java.util.ArrayList<>(members);
                    told.add(me.userId());
                    notify(me.tenant(), told, GroupEventPush.Kind.QUIT, id, me.userId());
                    return Packets.ok(h, null);
                });
            });
        });
    }

    private CompletionStage<byte[]> members(GroupStore store, Session me, Header h, String id) {
        return store.isMember(me.tenant(), id, me.userId()).thenCompose(member -> {
            if (!member) {
                return store.find(me.tenant(), id).thenApply(g -> g.isEmpty()
                        ? Packets.error(h, Status.NO_SUCH_GROUP, "no such group: " + id)
                        : Packets.error(h, Status.FORBIDDEN, "only members see the member list"));
            }
            return store.members(me.tenant(), id).thenApply(m ->
                    Packets.ok(h, GroupMembers.newBuilder().setGroupId(id).addAllMembers(m).build()));
        });
    }

    private CompletionStage<byte[]> dissolve(GroupStore store, Session me, Header h, String id) {
        return store.find(me.tenant(), id).thenCompose(found -> {
            if (found.isEmpty()) {
                return done(Packets.error(h, Status.NO_SUCH_GROUP, "no such group: " + id));
            }
            if (!found.get().ownerId().equals(me.userId())) {
                return done(Packets.error(h, Status.FORBIDDEN, "only the owner may dissolve " + id));
            }
            return store.members(me.tenant(), id).thenCompose(members -> store.delete(me.tenant(), id)
                    .thenApply(deleted -> {
                        if (deleted) {
                            s.events().groupChanged(me.tenant(), id, "dissolved", me.userId());
                            notify(me.tenant(), members, GroupEventPush.Kind.DISSOLVED, id, me.userId());
                        }
                        return Packets.ok(h, null);
                    }));
        });
    }

    /**
     * The inboxes a group message goes to (every member, the sender included), or {@code null} after answering
     * {@code NO_SUCH_GROUP} or {@code FORBIDDEN} to a sender who is not a member.
     */
    CompletionStage<Collection<String>> sendTargets(Channel channel, Session me, Header h, String groupId) {
        GroupStore store = s.groups();
        if (store == null) {
            channel.push(Packets.error(h, Status.NO_SUCH_GROUP, "groups are not enabled on this server"));
            return CompletableFuture.completedFuture(null);
        }
        return store.isMember(me.tenant(), groupId, me.userId()).thenCompose(member -> {
            if (member) {
                return store.members(me.tenant(), groupId).<Collection<String>>thenApply(m -> m)
                        .exceptionally(e -> {
                            channel.push(failure(h, e)); // dissolved in the meantime
                            return null;
                        });
            }
            s.metrics().rejected("forbidden");
            return store.find(me.tenant(), groupId).thenApply(g -> {
                channel.push(g.isEmpty() ? Packets.error(h, Status.NO_SUCH_GROUP, "no such group: " + groupId)
                        : Packets.error(h, Status.FORBIDDEN, "not a member of " + groupId));
                return null;
            });
        });
    }

    private void notify(String tenant, Collection<String> members, GroupEventPush.Kind kind, String groupId,
            String userId) {
        byte[] push = Packets.push(Command.GROUP_EVENT,
                GroupEventPush.newBuilder().setKind(kind).setGroupId(groupId).setUserId(userId).build());
        for (String member : members) {
            handler.deliver(tenant, member, NO_PREFIX, push, null, Command.GROUP_EVENT, -1);
        }
    }

    private static GroupProfile info(Group g, int memberCount) {
        return GroupProfile.newBuilder().setGroupId(g.groupId()).setOwnerId(g.ownerId()).setName(g.name())
                .setAvatar(g.avatar() == null ? "" : g.avatar())
                .setIntroduction(g.introduction() == null ? "" : g.introduction())
                .setCreatedAt(g.createdAt().toEpochMilli()).setMemberCount(memberCount).build();
    }

    private static byte[] failure(Header h, Throwable error) {
        Throwable e = ImHandler.unwrap(error);
        if (e instanceof NoSuchGroupException) {
            return Packets.error(h, Status.NO_SUCH_GROUP, "no such group");
        } else if (e instanceof GroupFullException full) {
            return Packets.error(h, Status.GROUP_FULL, "the group is full (" + full.memberLimit() + " members)");
        } else if (e instanceof GroupExistsException) {
            return Packets.error(h, Status.FORBIDDEN, "group id taken");
        } else if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            return Packets.error(h, Status.INVALID_PACKET, e.getMessage());
        }
        log.warn("group command {} failed", h.getCommand(), e);
        return Packets.error(h, Status.UNAVAILABLE, "group store unavailable; retry");
    }

    private static String tooLong(String field, String value) {
        return value.length() > MAX_FIELD_LENGTH ? field + ": at most " + MAX_FIELD_LENGTH + " characters" : null;
    }

    private static CompletionStage<byte[]> done(byte[] reply) {
        return CompletableFuture.completedFuture(reply);
    }
}
