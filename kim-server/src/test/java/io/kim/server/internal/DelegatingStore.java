package io.kim.server.internal;

import io.kim.spi.AppendResult;
import io.kim.spi.InboxPage;
import io.kim.spi.Message;
import io.kim.spi.MessageStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A {@link MessageStore} that passes every call on; subclasses change what they test. */
class DelegatingStore implements MessageStore {

    final MessageStore delegate;

    DelegatingStore(MessageStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public CompletionStage<AppendResult> append(Message message, Collection<String> inboxOwners) {
        return delegate.append(message, inboxOwners);
    }

    @Override
    public CompletionStage<InboxPage> read(String tenant, String userId, long afterSequence, int limit) {
        return delegate.read(tenant, userId, afterSequence, limit);
    }

    @Override
    public CompletionStage<Long> headSequence(String tenant, String userId) {
        return delegate.headSequence(tenant, userId);
    }

    @Override
    public CompletionStage<Void> acknowledge(String tenant, String userId, String deviceId, long sequence) {
        return delegate.acknowledge(tenant, userId, deviceId, sequence);
    }

    @Override
    public CompletionStage<Long> acknowledged(String tenant, String userId, String deviceId) {
        return delegate.acknowledged(tenant, userId, deviceId);
    }

    @Override
    public CompletionStage<String> epoch(String tenant, String userId) {
        return delegate.epoch(tenant, userId);
    }

    /** Holds the reads back while {@link #hold()} is on, until {@link #release()} completes them. */
    static final class Gated extends DelegatingStore {
        private final List<Runnable> held = new ArrayList<>();
        private boolean holding;

        Gated(MessageStore delegate) {
            super(delegate);
        }

        synchronized void hold() {
            holding = true;
        }

        synchronized int held() {
            return held.size();
        }

        void release() {
            List<Runnable> now;
            synchronized (this) {
                holding = false;
                now = new ArrayList<>(held);
                held.clear();
            }
            now.forEach(Runnable::run);
        }

        @Override
        public synchronized CompletionStage<InboxPage> read(String tenant, String userId, long after, int limit) {
            if (!holding) {
                return super.read(tenant, userId, after, limit);
            }
            CompletableFuture<InboxPage> f = new CompletableFuture<>();
            held.add(() -> super.read(tenant, userId, after, limit).whenComplete((p, e) -> f.complete(p)));
            return f;
        }
    }
}
