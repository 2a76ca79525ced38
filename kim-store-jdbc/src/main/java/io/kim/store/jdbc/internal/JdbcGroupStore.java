package io.kim.store.jdbc.internal;

import io.kim.spi.Group;
import io.kim.spi.GroupExistsException;
import io.kim.spi.GroupFullException;
import io.kim.spi.GroupStore;
import io.kim.spi.JoinPolicy;
import io.kim.spi.NoSuchGroupException;
import io.kim.spi.Validate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The {@link GroupStore} on JDBC. A join or leave locks the group's row, which keeps the member count exact under
 * concurrent joins from any number of nodes; members keep their join order in a column.
 */
public final class JdbcGroupStore implements GroupStore {

    private final Db db;
    private final int memberLimit;

    public JdbcGroupStore(Db db, int memberLimit) {
        this.db = db;
        this.memberLimit = memberLimit;
    }

    @Override
    public CompletionStage<Group> create(Group group, Collection<String> initialMembers) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(initialMembers, "initialMembers");
        LinkedHashSet<String> members = new LinkedHashSet<>();
        members.add(group.ownerId());
        for (String m : initialMembers) {
            members.add(Validate.nonBlank(m, "initialMembers element"));
        }
        return db.tx(c -> {
            if (members.size() > memberLimit) {
                throw new GroupFullException(group.tenant(), group.groupId(), memberLimit);
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO kim_group (tenant, group_id, owner_id, name,"
                    + " avatar, introduction, created_at, member_count, next_join, join_policy)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, group.tenant());
                ps.setString(2, group.groupId());
                ps.setString(3, group.ownerId());
                ps.setString(4, group.name());
                ps.setString(5, group.avatar());
                ps.setString(6, group.introduction());
                ps.setLong(7, Times.toNanos(group.createdAt()));
                ps.setInt(8, members.size());
                ps.setLong(9, members.size());
                ps.setString(10, group.joinPolicy().name());
                ps.executeUpdate();
            } catch (SQLException e) {
                if (Db.isIntegrityViolation(e)) {
                    throw new GroupExistsException(group.tenant(), group.groupId());
                }
                throw e;
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO kim_group_member (tenant, group_id, user_id, joined) VALUES (?, ?, ?, ?)")) {
                long joined = 0;
                for (String m : members) {
                    ps.setString(1, group.tenant());
                    ps.setString(2, group.groupId());
                    ps.setString(3, m);
                    ps.setLong(4, joined++);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return group;
        });
    }

    @Override
    public CompletionStage<Optional<Group>> find(String tenant, String groupId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(groupId, "groupId");
        return db.async(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT owner_id, name, avatar, introduction, created_at,"
                    + " join_policy FROM kim_group WHERE tenant = ? AND group_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, groupId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new Group(tenant, groupId, rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.getString(4), Times.fromNanos(rs.getLong(5)), JoinPolicy.valueOf(rs.getString(6))));
                }
            }
        });
    }

    @Override
    public CompletionStage<Boolean> addMember(String tenant, String groupId, String userId) {
        check(tenant, groupId, userId);
        return db.tx(c -> {
            long nextJoin;
            int count;
            try (PreparedStatement ps = c.prepareStatement("SELECT member_count, next_join FROM kim_group"
                    + " WHERE tenant = ? AND group_id = ? FOR UPDATE")) {
                ps.setString(1, tenant);
                ps.setString(2, groupId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new NoSuchGroupException(tenant, groupId);
                    }
                    count = rs.getInt(1);
                    nextJoin = rs.getLong(2);
                }
            }
            if (isMember(c, tenant, groupId, userId)) {
                return false;
            }
            if (count >= memberLimit) {
                throw new GroupFullException(tenant, groupId, memberLimit);
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO kim_group_member (tenant, group_id, user_id, joined) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, tenant);
                ps.setString(2, groupId);
                ps.setString(3, userId);
                ps.setLong(4, nextJoin);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE kim_group SET member_count = member_count + 1,"
                    + " next_join = next_join + 1 WHERE tenant = ? AND group_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, groupId);
                ps.executeUpdate();
            }
            deleteJoinRequest(c, tenant, groupId, userId);
            return true;
        });
    }

    /** {@inheritDoc} At most as many requests wait as the member limit; more fail with {@link GroupFullException}. */
    @Override
    public CompletionStage<Boolean> requestToJoin(String tenant, String groupId, String userId) {
        check(tenant, groupId, userId);
        return db.tx(c -> {
            lockGroup(c, tenant, groupId);
            if (isMember(c, tenant, groupId, userId)) {
                return false;
            }
            List<String> pending = joinRequests(c, tenant, groupId);
            if (pending.contains(userId)) {
                return false;
            }
            if (pending.size() >= memberLimit) {
                throw new GroupFullException(tenant, groupId, memberLimit);
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO kim_group_join_request"
                    + " (tenant, group_id, user_id, requested) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, tenant);
                ps.setString(2, groupId);
                ps.setString(3, userId);
                ps.setLong(4, Times.toNanos(java.time.Instant.now()));
                ps.executeUpdate();
            }
            return true;
        });
    }

    @Override
    public CompletionStage<Boolean> removeJoinRequest(String tenant, String groupId, String userId) {
        check(tenant, groupId, userId);
        return db.tx(c -> deleteJoinRequest(c, tenant, groupId, userId));
    }

    @Override
    public CompletionStage<List<String>> joinRequests(String tenant, String groupId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(groupId, "groupId");
        return db.async(c -> joinRequests(c, tenant, groupId));
    }

    /** Locks the group's row until the transaction ends; its owner, or {@link NoSuchGroupException}. */
    private static String lockGroup(Connection c, String tenant, String groupId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT owner_id FROM kim_group WHERE tenant = ? AND group_id = ? FOR UPDATE")) {
            ps.setString(1, tenant);
            ps.setString(2, groupId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new NoSuchGroupException(tenant, groupId);
                }
                return rs.getString(1);
            }
        }
    }

    private static List<String> joinRequests(Connection c, String tenant, String groupId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT user_id FROM kim_group_join_request"
                + " WHERE tenant = ? AND group_id = ? ORDER BY requested, user_id")) {
            ps.setString(1, tenant);
            ps.setString(2, groupId);
            List<String> users = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    users.add(rs.getString(1));
                }
            }
            return List.copyOf(users);
        }
    }

    private static boolean deleteJoinRequest(Connection c, String tenant, String groupId, String userId)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "DELETE FROM kim_group_join_request WHERE tenant = ? AND group_id = ? AND user_id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, groupId);
            ps.setString(3, userId);
            return ps.executeUpdate() > 0;
        }
    }

    @Override
    public CompletionStage<Boolean> removeMember(String tenant, String groupId, String userId) {
        check(tenant, groupId, userId);
        return db.tx(c -> {
            if (lockGroup(c, tenant, groupId).equals(userId)) {
                throw new IllegalStateException(
                        userId + " owns group " + groupId + " and cannot leave it; delete the group instead");
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM kim_group_member WHERE tenant = ? AND group_id = ? AND user_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, groupId);
                ps.setString(3, userId);
                if (ps.executeUpdate() == 0) {
                    return false;
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE kim_group SET member_count = member_count - 1 WHERE tenant = ? AND group_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, groupId);
                ps.executeUpdate();
            }
            return true;
        });
    }

    @Override
    public CompletionStage<List<String>> members(String tenant, String groupId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(groupId, "groupId");
        return db.async(c -> {
            // one statement, so a concurrent delete is seen entirely or not at all
            try (PreparedStatement ps = c.prepareStatement("SELECT m.user_id FROM kim_group g"
                    + " LEFT JOIN kim_group_member m ON m.tenant = g.tenant AND m.group_id = g.group_id"
                    + " WHERE g.tenant = ? AND g.group_id = ? ORDER BY m.joined")) {
                ps.setString(1, tenant);
                ps.setString(2, groupId);
                List<String> members = new ArrayList<>();
                boolean found = false;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        found = true;
                        String m = rs.getString(1);
                        if (m != null) {
                            members.add(m);
                        }
                    }
                }
                if (!found) {
                    throw new NoSuchGroupException(tenant, groupId);
                }
                return List.copyOf(members);
            }
        });
    }

    @Override
    public CompletionStage<Boolean> isMember(String tenant, String groupId, String userId) {
        check(tenant, groupId, userId);
        return db.async(c -> isMember(c, tenant, groupId, userId));
    }

    private static boolean isMember(Connection c, String tenant, String groupId, String userId)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT 1 FROM kim_group_member WHERE tenant = ? AND group_id = ? AND user_id = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, groupId);
            ps.setString(3, userId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Override
    public CompletionStage<Boolean> delete(String tenant, String groupId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(groupId, "groupId");
        return db.tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM kim_group WHERE tenant = ? AND group_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, groupId);
                return ps.executeUpdate() > 0; // members go with it (ON DELETE CASCADE)
            }
        });
    }

    @Override
    public CompletionStage<List<String>> groupsOf(String tenant, String userId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(userId, "userId");
        return db.async(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT group_id FROM kim_group_member WHERE tenant = ? AND user_id = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, userId);
                List<String> groups = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        groups.add(rs.getString(1));
                    }
                }
                Collections.sort(groups); // in Java's order, whatever the database's collation
                return List.copyOf(groups);
            }
        });
    }

    private static void check(String tenant, String groupId, String userId) {
        Validate.nonBlank(tenant, "tenant");
        Validate.nonBlank(groupId, "groupId");
        Validate.nonBlank(userId, "userId");
    }

    @Override
    public String toString() {
        return "JdbcGroupStore[" + db.dialect() + ", memberLimit=" + memberLimit + ']';
    }
}
