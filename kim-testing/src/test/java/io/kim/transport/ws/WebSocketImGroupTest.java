package io.kim.transport.ws;

import io.kim.net.Transport;
import io.kim.server.ImGroupContractTest;

class WebSocketImGroupTest extends ImGroupContractTest {
    @Override
    protected Transport transport() {
        return new WebSocketTransport();
    }
}
