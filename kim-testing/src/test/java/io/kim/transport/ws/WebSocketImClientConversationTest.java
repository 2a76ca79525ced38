package io.kim.transport.ws;

import io.kim.client.ImClientConversationContractTest;
import io.kim.net.Transport;

class WebSocketImClientConversationTest extends ImClientConversationContractTest {
    @Override
    protected Transport transport() {
        return new WebSocketTransport();
    }
}
