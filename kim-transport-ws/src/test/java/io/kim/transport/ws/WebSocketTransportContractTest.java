package io.kim.transport.ws;

import io.kim.net.Transport;
import io.kim.net.TransportContractTest;

/** The shared transport contract, over WebSocket. */
class WebSocketTransportContractTest extends TransportContractTest {
    @Override
    protected Transport transport() {
        return new WebSocketTransport();
    }
}
