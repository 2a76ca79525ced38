package io.kim.transport.tcp;

import io.kim.net.Transport;
import io.kim.server.ImPresenceContractTest;

class TcpImPresenceTest extends ImPresenceContractTest {
    @Override
    protected Transport transport() {
        return new TcpTransport();
    }
}
