package io.kim.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.kim.net.Transports;
import org.junit.jupiter.api.Test;

class TcpServiceLoaderTest {

    @Test
    void tcpTransport_isFoundByName() {
        assertInstanceOf(TcpTransport.class, Transports.get("tcp"));
        assertEquals("tcp", Transports.get("tcp").name());
    }
}
