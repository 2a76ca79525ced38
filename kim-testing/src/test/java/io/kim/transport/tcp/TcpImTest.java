package io.kim.transport.tcp;

import io.kim.net.Transport;
import io.kim.server.ImContractTest;

class TcpImTest extends ImContractTest {
    @Override
    protected Transport transport() {
        return new TcpTransport();
    }
}
