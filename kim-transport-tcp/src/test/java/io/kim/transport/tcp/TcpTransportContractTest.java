package io.kim.transport.tcp;

import io.kim.net.Transport;
import io.kim.net.TransportContractTest;

class TcpTransportContractTest extends TransportContractTest {
    @Override
    protected Transport transport() {
        return new TcpTransport();
    }
}
