package io.kim.transport.tcp;

import io.kim.net.Transport;
import io.kim.server.ImGroupContractTest;

class TcpImGroupTest extends ImGroupContractTest {
    @Override
    protected Transport transport() {
        return new TcpTransport();
    }
}
