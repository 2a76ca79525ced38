package io.kim.transport.tcp;

import io.kim.client.ImClientConversationContractTest;
import io.kim.net.Transport;

class TcpImClientConversationTest extends ImClientConversationContractTest {
    @Override
    protected Transport transport() {
        return new TcpTransport();
    }
}
