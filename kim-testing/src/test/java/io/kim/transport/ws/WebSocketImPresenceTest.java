package io.kim.transport.ws;

import io.kim.net.Transport;
import io.kim.server.ImPresenceContractTest;

class WebSocketImPresenceTest extends ImPresenceContractTest {
    @Override
    protected Transport transport() {
        return new WebSocketTransport();
    }
}
