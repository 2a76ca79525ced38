package io.kim.server.internal;

import io.kim.embedded.InMemoryGroupStore;
import io.kim.embedded.InMemoryMessageStore;
import io.kim.embedded.InMemorySessionStore;
import io.kim.net.Acceptor;
import io.kim.net.ChannelMap;
import io.kim.net.MessageListener;
import io.kim.net.StateListener;
import io.kim.protocol.Command;
import io.kim.server.DevicePolicy;
import io.kim.server.internal.chat.SendCommand;
import io.kim.server.internal.conversation.AmendCommands;
import io.kim.server.internal.conversation.ConversationCommands;
import io.kim.server.internal.presence.PresenceHub;
import io.kim.server.internal.presence.TypingCommand;
import io.kim.server.RateLimits;
import io.kim.server.internal.dispatch.Dispatcher;
import io.kim.server.internal.dispatch.RateLimiter;
import io.kim.server.internal.group.GroupCommands;
import io.kim.server.internal.session.LoginAcceptor;
import io.kim.server.internal.session.LoginLocks;
import io.kim.server.internal.session.SessionCommands;
import io.kim.server.internal.sync.SyncCommands;
import io.kim.spi.Authenticator;
import io.kim.spi.ClusterBus;
import io.kim.spi.ContentFilter;
import io.kim.spi.EventListener;
import io.kim.spi.FilterPolicy;
import io.kim.spi.GroupStore;
import io.kim.spi.MessageStore;
import io.kim.spi.SessionStore;
import io.kim.spi.UserDirectory;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The IM logic of one node, wired: the {@link LoginAcceptor} (acceptor and disconnect cleanup) and the
 * {@link Dispatcher} with one handler per command, over one {@link ChannelMap} that the node's
 * {@link io.kim.net.Server} registers its channels in. {@link io.kim.server.ImServer} builds one; tests build one
 * to drive it over an {@code EmbeddedChannel}.
 */
public final class ImNode {

    /** How long after sending a sender may recall or edit a message, unless configured: 2 minutes. */
    public static final java.time.Duration DEFAULT_AMEND_WINDOW = java.time.Duration.ofMinutes(2);

    /** How long a SEND's receiver the user directory found is remembered, unless configured: 1 minute. */
    public static final java.time.Duration DEFAULT_USER_CACHE_EXPIRY = java.time.Duration.ofMinutes(1);

    private final String nodeId;
    private final ChannelMap channels;
    private final ClusterBus bus;
    private final Delivery delivery;
    private final LoginAcceptor login;
    private final PresenceHub presence;
    private final Acceptor acceptor;
    private final StateListener stateListener;
    private final Dispatcher dispatcher;

    private ImNode(Builder b) {
        this.nodeId = b.nodeId != null ? b.nodeId
                : b.clusterBus != null ? b.clusterBus.nodeId() : UUID.randomUUID().toString().substring(0, 8);
        this.bus = b.clusterBus;
        this.channels = b.channels != null ? b.channels : ChannelMap.concurrent();
        SessionStore sessions = b.sessionStore != null ? b.sessionStore : new InMemorySessionStore();
        MessageStore messages = b.messageStore != null ? b.messageStore : InMemoryMessageStore.builder().build();
        GroupStore groups = b.groupStore != null ? b.groupStore : InMemoryGroupStore.create();
        EventListener events = new SafeEvents(b.eventListener);
        Ids ids = new Ids(nodeId, b.clock);
        this.presence = new PresenceHub(sessions, b.clock, b.maxPresenceSubscriptions, bus);
        Delivery delivery = new Delivery(nodeId, sessions, channels, b.metrics, b.clock, bus, presence::changed);
        this.delivery = delivery;
        this.login = new LoginAcceptor(Objects.requireNonNull(b.authenticator, "authenticator"), sessions, messages,
                b.devicePolicy, ids, delivery, new LoginLocks(b.loginLockHold), events, b.metrics, b.clock,
                b.maxSessionsPerUser);
        GroupCommands group = new GroupCommands(groups, messages, b.userDirectory, delivery, ids, events, b.metrics,
                b.clock);
        SendCommand send = new SendCommand(messages, b.userDirectory, b.userCacheExpiry, group, b.contentFilter,
                b.filterPolicy, delivery, ids, events, b.metrics, b.clock, b.maxBodyLength);
        SyncCommands sync = new SyncCommands(messages, events, b.metrics, b.defaultSyncLimit, b.maxSyncLimit,
                b.maxFrameLength);
        ConversationCommands conversations = new ConversationCommands(messages, delivery, ids, b.clock);
        AmendCommands amend = new AmendCommands(messages, groups, b.contentFilter, b.filterPolicy, b.recallWindow,
                b.editWindow, delivery, ids, b.metrics, b.clock, b.maxBodyLength);
        TypingCommand typing = new TypingCommand(groups, delivery, b.clock);
        this.acceptor = newAcceptor();
        this.stateListener = channel -> {
            login.disconnected(channel);
            presence.disconnected(channel);
        };
        Dispatcher.Builder dispatch = Dispatcher.builder();
        if (b.rateLimits != null) {
            dispatch.rateLimiter(new RateLimiter(b.rateLimits, System::nanoTime));
        }
        this.dispatcher = dispatch.maxInFlight(b.maxInFlight).metrics(b.metrics)
                .handle(Command.LOGIN, SessionCommands::loginAgain)
                .handle(Command.LOGOUT, SessionCommands::logout)
                .handle(Command.HEARTBEAT, SessionCommands::heartbeat)
                .handle(Command.SEND, send::send)
                .handle(Command.SYNC, sync::sync)
                .handle(Command.ACK, sync::ack)
                .handle(Command.CONVERSATIONS, conversations::conversations)
                .handle(Command.READ, conversations::read)
                .handle(Command.READERS, conversations::readers)
                .handle(Command.RECALL, amend::recall)
                .handle(Command.EDIT, amend::edit)
                .handle(Command.TYPING, typing::typing)
                .handle(Command.PRESENCE, presence::presence)
                .handle(Command.GROUP_CREATE, group::create)
                .handle(Command.GROUP_GET, group::get)
                .handle(Command.GROUP_JOIN, group::join)
                .handle(Command.GROUP_QUIT, group::quit)
                .handle(Command.GROUP_MEMBERS, group::members)
                .handle(Command.GROUP_DISSOLVE, group::dissolve)
                .handle(Command.GROUP_ADD, group::add)
                .handle(Command.GROUP_APPROVE, group::approve)
                .build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public String nodeId() {
        return nodeId;
    }

    /** The live channels; hand the same map to the node's server. */
    public ChannelMap channels() {
        return channels;
    }

    /** The login acceptor (which also tells presence watchers). */
    public Acceptor acceptor() {
        return acceptor;
    }

    private Acceptor newAcceptor() {
        return new Acceptor() {
            @Override
            public CompletionStage<io.kim.net.Acceptance> accept(io.kim.net.Handshake handshake) {
                return login.accept(handshake);
            }

            @Override
            public void accepted(io.kim.net.Channel channel) {
                login.accepted(channel);
                presence.loggedIn(channel);
            }

            @Override
            public void abandoned(io.kim.net.Acceptance acceptance) {
                login.abandoned(acceptance);
            }
        };
    }

    /** The disconnect cleanup. */
    public StateListener stateListener() {
        return stateListener;
    }

    /** The dispatcher. */
    public MessageListener messageListener() {
        return dispatcher;
    }

    /**
     * For a graceful shutdown ({@link io.kim.net.Server.Builder#drain}): completes once the requests of
     * {@code channel} that were read are answered. On the channel's event loop.
     */
    public CompletionStage<Void> drained(io.kim.net.Channel channel) {
        return channel.attachment() instanceof Connection c ? c.idle() : CompletableFuture.completedFuture(null);
    }

    /** Kicks every connection of a user, on every node; see {@link Delivery#disconnect}. */
    public CompletionStage<Integer> disconnect(String tenant, String userId, String reason) {
        return delivery.disconnect(tenant, userId, reason);
    }

    /** The link to the other nodes, or {@code null} for a single node. */
    public ClusterBus clusterBus() {
        return bus;
    }

    /** Where the cluster bus hands what other nodes send to this node. */
    public ClusterBus.Receiver clusterReceiver() {
        return delivery; // which hands presence changes to the presence hub
    }

    /**
     * The node's parts. Every setting has a default (in-memory stores, no directory, no filter); only the
     * authenticator is required. Checks of the values are the public builder's job.
     */
    public static final class Builder {
        private Authenticator authenticator;
        private SessionStore sessionStore;
        private MessageStore messageStore;
        private UserDirectory userDirectory;
        private Duration userCacheExpiry = DEFAULT_USER_CACHE_EXPIRY;
        private GroupStore groupStore;
        private ContentFilter contentFilter = ContentFilter.none();
        private Function<String, FilterPolicy> filterPolicy = tenant -> FilterPolicy.MASK;
        private int maxPresenceSubscriptions = 200;
        private Function<String, java.time.Duration> recallWindow = tenant -> DEFAULT_AMEND_WINDOW;
        private Function<String, java.time.Duration> editWindow = tenant -> DEFAULT_AMEND_WINDOW;
        private EventListener eventListener = EventListener.none();
        private Function<String, DevicePolicy> devicePolicy = tenant -> DevicePolicy.ONE_PER_DEVICE_TYPE;
        private Clock clock = Clock.systemUTC();
        private String nodeId;
        private ChannelMap channels;
        private ClusterBus clusterBus;
        private int maxBodyLength = 64 * 1024;
        private int defaultSyncLimit = 100;
        private int maxSyncLimit = 500;
        private int maxFrameLength = 1 << 20;
        private int maxInFlight = 64;
        private Duration loginLockHold = Duration.ofSeconds(10);
        private ImMetrics metrics = ImMetrics.NONE;
        private Function<String, RateLimits> rateLimits = tenant -> RateLimits.defaults();
        private int maxSessionsPerUser = 16;

        private Builder() {
        }

        /** The most sessions per user; 0: no limit. */
        public Builder maxSessionsPerUser(int n) {
            this.maxSessionsPerUser = n;
            return this;
        }

        /** The rate limits per tenant; {@code null}: none at all. */
        public Builder rateLimits(Function<String, RateLimits> byTenant) {
            this.rateLimits = byTenant;
            return this;
        }

        public Builder authenticator(Authenticator a) {
            this.authenticator = a;
            return this;
        }

        public Builder sessionStore(SessionStore s) {
            this.sessionStore = s;
            return this;
        }

        public Builder messageStore(MessageStore s) {
            this.messageStore = s;
            return this;
        }

        public Builder userDirectory(UserDirectory d) {
            this.userDirectory = d;
            return this;
        }

        /** How long a SEND's receiver the directory found is remembered; zero: not at all. */
        public Builder userCacheExpiry(Duration expiry) {
            this.userCacheExpiry = expiry;
            return this;
        }

        public Builder groupStore(GroupStore s) {
            this.groupStore = s;
            return this;
        }

        public Builder contentFilter(ContentFilter f) {
            this.contentFilter = f;
            return this;
        }

        public Builder maxPresenceSubscriptions(int n) {
            this.maxPresenceSubscriptions = n;
            return this;
        }

        public Builder recallWindow(Function<String, java.time.Duration> w) {
            this.recallWindow = w;
            return this;
        }

        public Builder editWindow(Function<String, java.time.Duration> w) {
            this.editWindow = w;
            return this;
        }

        public Builder filterPolicy(Function<String, FilterPolicy> p) {
            this.filterPolicy = p;
            return this;
        }

        public Builder eventListener(EventListener l) {
            this.eventListener = l;
            return this;
        }

        public Builder devicePolicy(Function<String, DevicePolicy> p) {
            this.devicePolicy = p;
            return this;
        }

        public Builder clock(Clock c) {
            this.clock = c;
            return this;
        }

        public Builder nodeId(String id) {
            this.nodeId = id;
            return this;
        }

        public String nodeId() {
            return nodeId;
        }

        public Builder channels(ChannelMap map) {
            this.channels = map;
            return this;
        }

        public Builder clusterBus(ClusterBus bus) {
            this.clusterBus = bus;
            return this;
        }

        public ClusterBus clusterBus() {
            return clusterBus;
        }

        public Builder maxBodyLength(int bytes) {
            this.maxBodyLength = bytes;
            return this;
        }

        public int maxBodyLength() {
            return maxBodyLength;
        }

        public Builder syncLimits(int defaultLimit, int maxLimit) {
            this.defaultSyncLimit = defaultLimit;
            this.maxSyncLimit = maxLimit;
            return this;
        }

        public Builder maxFrameLength(int bytes) {
            this.maxFrameLength = bytes;
            return this;
        }

        public int maxFrameLength() {
            return maxFrameLength;
        }

        public Builder maxInFlight(int n) {
            this.maxInFlight = n;
            return this;
        }

        /** The longest a login holds its user's login lock; the login timeout is a good value. */
        public Builder loginLockHold(Duration d) {
            this.loginLockHold = d;
            return this;
        }

        public Builder metrics(ImMetrics m) {
            this.metrics = m;
            return this;
        }

        public ImMetrics metrics() {
            return metrics;
        }

        public ImNode build() {
            return new ImNode(this);
        }
    }
}
