package io.kim.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatewayListTest {

    private static final String ANSWER = "{\"region\":\"eu\",\"label\":\"\",\"gateways\":["
            + "{\"node\":\"a\",\"tcp\":\"127.0.0.1:7000\",\"ws\":\"ws://127.0.0.1:7001/ws\",\"connections\":1},"
            + "{\"node\":\"b\",\"tcp\":\"\",\"ws\":\"wss://127.0.0.2/ws\",\"connections\":2},"
            + "{\"node\":\"c\",\"tcp\":\"[::1]:7100\",\"ws\":\"\",\"connections\":3}]}";

    @Test
    void parse_tcp_takesTheTcpAddressesInOrderAndSkipsEmptyOnes() {
        assertEquals(List.of(new InetSocketAddress("127.0.0.1", 7000), new InetSocketAddress("::1", 7100)),
                GatewayList.parse(ANSWER, "tcp"));
    }

    @Test
    void parse_ws_takesHostAndPortOfTheWebSocketUrls() {
        assertEquals(List.of(new InetSocketAddress("127.0.0.1", 7001), new InetSocketAddress("127.0.0.2", 443)),
                GatewayList.parse(ANSWER, "ws"));
    }

    @Test
    void parse_answerWithoutGateways_fails() {
        assertThrows(IllegalArgumentException.class, () -> GatewayList.parse("{\"error\":\"x\"}", "tcp"));
    }
}
