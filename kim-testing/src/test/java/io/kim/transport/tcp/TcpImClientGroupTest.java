package io.kim.transport.tcp;

import io.kim.client.ImClientGroupContractTest;
import io.kim.net.Transport;

class TcpImClientGroupTest extends ImClientGroupContractTest {
    @Override
    protected Transport transport() {
        return new TcpTransport();
    }
}
