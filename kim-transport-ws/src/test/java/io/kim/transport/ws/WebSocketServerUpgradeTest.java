package io.kim.transport.ws;

import static io.kim.transport.ws.Wire.ascii;
import static io.kim.transport.ws.Wire.outboundText;
import static io.kim.transport.ws.Wire.upgradeRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.net.TransportOptions;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP side of the server pipeline: what gets upgraded and what gets which HTTP error. */
class WebSocketServerUpgradeTest {

    private final Wire.Events events = new Wire.Events();
    private EmbeddedChannel ch;

    private String exchange(WebSocketTransport transport, String request) {
        ch = new EmbeddedChannel();
        transport.configureServer(ch.pipeline(), new TransportOptions(1024));
        ch.pipeline().addLast(events);
        ch.writeInbound(ascii(request));
        return outboundText(ch);
    }

    private String exchange(String request) {
        return exchange(new WebSocketTransport(), request);
    }

    @AfterEach
    void release() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    private void assertRefused(String response, String statusLine) {
        assertTrue(response.startsWith("HTTP/1.1 " + statusLine + "\r\n"), response);
        assertTrue(response.contains("connection: close\r\n"), response);
        assertFalse(events.ready());
        assertFalse(ch.isOpen(), "the connection must be closed after the error response");
    }

    @Test
    void upgradeOfTheConfiguredPath_isAnsweredWith101_andFiresReady() {
        String response = exchange(upgradeRequest("/ws"));
        assertTrue(response.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), response);
        assertTrue(response.contains("sec-websocket-accept: " + Wire.ACCEPT + "\r\n"), response);
        assertTrue(events.ready());
        assertTrue(ch.isOpen());
        assertNull(ch.pipeline().get("ws-http"), "the HTTP codec must be gone after the upgrade");
        assertNull(ch.pipeline().get("ws-upgrade"));
    }

    @Test
    void upgradeWithAQueryString_isAccepted() {
        String response = exchange(upgradeRequest("/ws?token=abc"));
        assertTrue(response.startsWith("HTTP/1.1 101 "), response);
        assertTrue(events.ready());
    }

    @Test
    void upgradeInAbsoluteForm_isAccepted() {
        String response = exchange(upgradeRequest("http://127.0.0.1/ws"));
        assertTrue(response.startsWith("HTTP/1.1 101 "), response);
    }

    @Test
    void upgradeOfACustomPath_isAccepted() {
        WebSocketTransport custom = WebSocketTransport.builder().path("/im/socket").build();
        assertTrue(exchange(custom, upgradeRequest("/im/socket")).startsWith("HTTP/1.1 101 "));
    }

    @Test
    void withACustomPath_theDefaultPathIsNotFound() {
        WebSocketTransport custom = WebSocketTransport.builder().path("/im/socket").build();
        assertRefused(exchange(custom, upgradeRequest("/ws")), "404 Not Found");
    }

    @Test
    void requestForAnotherPath_gets404_andIsClosed() {
        assertRefused(exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "404 Not Found");
    }

    @Test
    void upgradeOfAnotherPath_gets404() {
        assertRefused(exchange(upgradeRequest("/wsx")), "404 Not Found");
    }

    @Test
    void postToThePath_gets405_namingGet() {
        String response = exchange("POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
        assertRefused(response, "405 Method Not Allowed");
        assertTrue(response.contains("allow: GET\r\n"), response);
    }

    @Test
    void plainGetOfThePath_gets426_namingWebSocket() {
        String response = exchange("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
        assertRefused(response, "426 Upgrade Required");
        assertTrue(response.contains("upgrade: websocket\r\n"), response);
        assertTrue(response.contains("sec-websocket-version: 13\r\n"), response);
    }

    @Test
    void upgradeToAnotherProtocol_gets426() {
        assertRefused(exchange("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"),
                "426 Upgrade Required");
    }

    @Test
    void upgradeOfAnotherWebSocketVersion_gets426_naming13() {
        String response = exchange(upgradeRequest("/ws").replace("Version: 13", "Version: 8"));
        assertRefused(response, "426 Upgrade Required");
        assertTrue(response.contains("sec-websocket-version: 13\r\n"), response);
    }

    @Test
    void upgradeWithoutAKey_gets400() {
        assertRefused(exchange(upgradeRequest("/ws").replace("Sec-WebSocket-Key: " + Wire.KEY + "\r\n", "")),
                "400 Bad Request");
    }

    @Test
    void garbage_gets400_andIsClosed() {
        assertRefused(exchange("\u0001\u0002 not http at all\r\n\r\n"), "400 Bad Request");
    }

    @Test
    void requestLineTooLong_gets414() {
        assertRefused(exchange("GET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), "414 Request-URI Too Long");
    }

    @Test
    void requestBodyLargerThanTheUpgradeLimit_gets413_andIsClosed() {
        assertRefused(exchange("GET /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"),
                "413 Request Entity Too Large");
    }

    @Test
    void builder_rejectsPathsThatAreNotAbsolutePaths() {
        for (String bad : new String[] {"", "ws", "/ws?x=1", "/ws#f", "//host/ws", "/w s"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WebSocketTransport.builder().path(bad));
            assertTrue(e.getMessage().contains("expected: an absolute path"), e.getMessage());
        }
        assertEquals("/", WebSocketTransport.builder().path("/").build().path());
    }

    @Test
    void defaults_nameWsAndPathSlashWs() {
        WebSocketTransport t = new WebSocketTransport();
        assertEquals("ws", t.name());
        assertEquals("/ws", t.path());
        assertEquals("/ws", WebSocketTransport.builder().build().path());
    }
}
