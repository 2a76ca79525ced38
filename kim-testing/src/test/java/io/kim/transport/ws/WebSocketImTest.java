package io.kim.transport.ws;

import io.kim.net.Transport;
import io.kim.server.ImContractTest;

class WebSocketImTest extends ImContractTest {
    @Override
    protected Transport transport() {
        return new WebSocketTransport();
    }
}
