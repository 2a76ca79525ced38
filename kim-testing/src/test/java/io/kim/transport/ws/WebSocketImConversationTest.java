package io.kim.transport.ws;

import io.kim.net.Transport;
import io.kim.server.ImConversationContractTest;

class WebSocketImConversationTest extends ImConversationContractTest {
    @Override
    protected Transport transport() {
        return new WebSocketTransport();
    }
}
