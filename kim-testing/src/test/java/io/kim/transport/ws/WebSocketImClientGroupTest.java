package io.kim.transport.ws;

import io.kim.client.ImClientGroupContractTest;
import io.kim.net.Transport;

class WebSocketImClientGroupTest extends ImClientGroupContractTest {
    @Override
    protected Transport transport() {
        return new WebSocketTransport();
    }
}
