package io.kim.embedded;

import io.kim.spi.SessionStore;
import io.kim.testing.SessionStoreContract;

class InMemorySessionStoreTest extends SessionStoreContract {

    @Override
    protected SessionStore newStore() {
        return new InMemorySessionStore();
    }
}
