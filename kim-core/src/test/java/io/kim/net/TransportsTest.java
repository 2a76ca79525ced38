package io.kim.net;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TransportsTest {

    @Test
    void missingTransport_errorNamesTheArtifactToAdd() {
        // kim-core ships no transport, so neither is on its own test class path
        IllegalStateException tcp = assertThrows(IllegalStateException.class, () -> Transports.get("tcp"));
        assertTrue(tcp.getMessage().contains("io.kim:kim-transport-tcp"), tcp.getMessage());
        IllegalStateException ws = assertThrows(IllegalStateException.class, () -> Transports.get("ws"));
        assertTrue(ws.getMessage().contains("io.kim:kim-transport-ws"), ws.getMessage());
    }

    @Test
    void serverWithoutListenerOrAcceptor_isRefusedWithAClearMessage() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Server.builder().acceptor(h -> null).messageListener((c, p) -> { }).build());
        assertTrue(e.getMessage().contains("listener"), e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Server.builder().maxFrameLength(-1));
        assertTrue(bad.getMessage().contains("maxFrameLength: -1 (expected: > 0)"), bad.getMessage());
    }
}
