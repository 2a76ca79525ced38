package io.kim.spi;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Groups and their members.
 *
 * <p><b>Invariants.</b> A group's owner is always one of its members: {@link #create} adds the owner, and
 * {@link #removeMember} refuses to remove the owner (delete the group instead). A group never has more members
 * than the implementation's member limit (configured on the implementation; the in-memory store defaults to 500):
 * a join that would pass it fails with {@link GroupFullException}, and concurrent joins never overshoot it.
 *
 * <p><b>Missing groups.</b> Changing the members of a group that does not exist ({@link #addMember},
 * {@link #removeMember}) or listing them ({@link #members}) fails with {@link NoSuchGroupException}, so that "no such
 * group" is never mistaken for "no members". Questions with a natural answer for a missing group get that answer:
 * {@link #find} is empty, {@link #isMember} is {@code false}, {@link #delete} is {@code false}.
 *
 * <p><b>Threading.</b> The server calls every method on a Netty event loop, from many event loops at once:
 * implementations are thread-safe and must not block. A remote store completes the returned stage later from any
 * thread; an in-memory store returns it already completed. Either way the server continues on the event loop that
 * made the call. Each method is atomic on its own: a
 * {@link #members} concurrent with an {@link #addMember} sees the member either before or after the join, and a
 * deleted group leaves no trace in {@link #groupsOf}. A failure of the backing system completes the stage
 * exceptionally; a stage failed with one of the exceptions named here may reach a dependent stage wrapped in a
 * {@link java.util.concurrent.CompletionException}. Invalid arguments (a {@code null} or blank id) throw at once.
 *
 * <p>Everything is keyed by tenant first: the same group id, or user id, in two tenants names two unrelated groups,
 * or users.
 */
public interface GroupStore {

    /**
     * Creates a group with its owner and initial members.
     *
     * @param group          the group; its tenant, id and owner are used as given
     * @param initialMembers user ids to add besides the owner, in join order; the owner and duplicates may be
     *                       listed and count once; non-null, possibly empty, no blank ids
     * @return a stage completed with {@code group}, or failed with {@link GroupExistsException} if its id is taken
     *         in its tenant, or with {@link GroupFullException} if the owner plus the distinct initial members are
     *         more than the member limit (then nothing is created)
     */
    CompletionStage<Group> create(Group group, Collection<String> initialMembers);

    /**
     * Looks a group up.
     *
     * @return a stage completed with the group, or empty if {@code tenant} has no such group
     */
    CompletionStage<Optional<Group>> find(String tenant, String groupId);

    /**
     * Adds a member.
     *
     * @return a stage completed with {@code true} if {@code userId} joined, {@code false} if it was a member
     *         already; failed with {@link NoSuchGroupException} if the group does not exist, or with
     *         {@link GroupFullException} if the group already has as many members as the limit allows
     */
    CompletionStage<Boolean> addMember(String tenant, String groupId, String userId);

    /**
     * Removes a member.
     *
     * @return a stage completed with {@code true} if {@code userId} was removed, {@code false} if it was not a
     *         member; failed with {@link NoSuchGroupException} if the group does not exist, or with
     *         {@link IllegalStateException} if {@code userId} is the group's owner
     */
    CompletionStage<Boolean> removeMember(String tenant, String groupId, String userId);

    /**
     * Lists the members.
     *
     * @return a stage completed with an immutable snapshot of the member ids, the owner first, the others in join
     *         order; never empty (the owner is always there); failed with {@link NoSuchGroupException} if the
     *         group does not exist
     */
    CompletionStage<List<String>> members(String tenant, String groupId);

    /**
     * Tells whether a user is a member.
     *
     * @return a stage completed with {@code true} if {@code userId} is a member, {@code false} if it is not or the
     *         group does not exist
     */
    CompletionStage<Boolean> isMember(String tenant, String groupId, String userId);

    /**
     * Deletes a group and all its memberships.
     *
     * @return a stage completed with {@code true} if the group existed and was deleted, {@code false} if it did
     *         not exist
     */
    CompletionStage<Boolean> delete(String tenant, String groupId);

    /**
     * Lists the groups a user is a member of.
     *
     * @return a stage completed with an immutable list of group ids in ascending order; empty if the user is in no
     *         group (or unknown: a group store does not know users, only members)
     */
    CompletionStage<List<String>> groupsOf(String tenant, String userId);

    /**
     * Files a join request of {@code userId} (for a group whose policy is {@link JoinPolicy#APPROVAL}; the store
     * does not check the policy). {@link #addMember} of that user and {@link #delete} of the group remove it.
     * The default implementation fails with {@link UnsupportedOperationException}: a store written before join
     * requests existed does not support them, and the server answers GROUP_JOIN on such a group with FORBIDDEN.
     *
     * @return a stage completed with {@code true} if the request is new, {@code false} if it was filed before or
     *         the user is a member; failed with {@link NoSuchGroupException} if the group does not exist
     */
    default CompletionStage<Boolean> requestToJoin(String tenant, String groupId, String userId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                getClass().getName() + " does not support join requests"));
    }

    /**
     * Removes a join request, for example once it was approved or refused.
     *
     * @return a stage completed with {@code true} if there was one; {@code false} if not or the group does not exist
     */
    default CompletionStage<Boolean> removeJoinRequest(String tenant, String groupId, String userId) {
        return CompletableFuture.completedFuture(false);
    }

    /**
     * Lists the pending join requests.
     *
     * @return a stage completed with an immutable list of user ids in the order they asked; empty if none or the
     *         group does not exist
     */
    default CompletionStage<List<String>> joinRequests(String tenant, String groupId) {
        return CompletableFuture.completedFuture(List.of());
    }
}
