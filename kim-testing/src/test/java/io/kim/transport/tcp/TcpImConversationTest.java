package io.kim.transport.tcp;

import io.kim.net.Transport;
import io.kim.server.ImConversationContractTest;

class TcpImConversationTest extends ImConversationContractTest {
    @Override
    protected Transport transport() {
        return new TcpTransport();
    }
}
