package io.kim.embedded;

import io.kim.spi.SessionStore;
import io.kim.spi.SessionStoreContract;

class InMemorySessionStoreTest extends SessionStoreContract {

    @Override
    protected SessionStore newStore() {
        return new InMemorySessionStore();
    }
}
