package io.kim.examples.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kim.examples.KimServerMain;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StaticFilesTest {

    private static final StaticFiles FILES =
            StaticFiles.fromClassPath(StaticFilesTest.class.getClassLoader(), "static-test", "/chat/");

    /** The handler in front of an application handler that records what it was passed. */
    private static final class Behind extends ChannelInboundHandlerAdapter {
        final List<FullHttpRequest> passed = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            passed.add((FullHttpRequest) msg);
        }

        void answer(EmbeddedChannel ch, int index, String body) {
            FullHttpRequest req = passed.get(index);
            req.release();
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            ch.pipeline().context(this).writeAndFlush(res);
        }
    }

    private static FullHttpRequest request(HttpMethod method, String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri);
    }

    private static FullHttpResponse get(String uri) {
        return exchange(request(HttpMethod.GET, uri));
    }

    private static FullHttpResponse exchange(FullHttpRequest req) {
        Behind behind = new Behind();
        EmbeddedChannel ch = new EmbeddedChannel(FILES.newHandler(), behind);
        ch.writeInbound(req);
        FullHttpResponse res = ch.readOutbound();
        assertTrue(behind.passed.isEmpty(), "answered by the files, not passed on");
        ch.finishAndReleaseAll();
        return res;
    }

    private static String body(FullHttpResponse res) {
        try {
            return res.content().toString(StandardCharsets.UTF_8);
        } finally {
            res.release();
        }
    }

    @Test
    void fromClassPath_directory_loadsEveryFileBelowTheFolder() {
        assertEquals(Set.of("index.html", "app.js", "sub/style.css", "a b.txt"), FILES.files());
    }

    @Test
    void get_prefix_servesIndexHtmlWithItsTypeAndPolicy() {
        FullHttpResponse res = get("/chat/?ws=ws://127.0.0.1:1/ws");
        assertEquals(HttpResponseStatus.OK, res.status());
        assertEquals("text/html; charset=utf-8", res.headers().get(HttpHeaderNames.CONTENT_TYPE));
        assertEquals("no-cache", res.headers().get(HttpHeaderNames.CACHE_CONTROL));
        assertEquals("nosniff", res.headers().get("X-Content-Type-Options"));
        assertTrue(res.headers().get("Content-Security-Policy").contains("connect-src 'self' ws: wss:"));
        assertEquals("<!doctype html><title>t</title>\n", body(res));
    }

    @Test
    void get_files_haveTheirContentTypes() {
        FullHttpResponse js = get("/chat/app.js");
        assertEquals("text/javascript; charset=utf-8", js.headers().get(HttpHeaderNames.CONTENT_TYPE));
        assertEquals("console.log(1);\n", body(js));
        FullHttpResponse css = get("/chat/sub/style.css");
        assertEquals("text/css; charset=utf-8", css.headers().get(HttpHeaderNames.CONTENT_TYPE));
        assertEquals("body{}\n", body(css));
        FullHttpResponse spaced = get("/chat/a%20b.txt");
        assertEquals(HttpResponseStatus.OK, spaced.status());
        assertEquals("x", body(spaced));
    }

    @Test
    void head_answersHeadersWithoutBody() {
        FullHttpResponse res = exchange(request(HttpMethod.HEAD, "/chat/app.js"));
        assertEquals(HttpResponseStatus.OK, res.status());
        assertEquals("16", res.headers().get(HttpHeaderNames.CONTENT_LENGTH));
        assertEquals("", body(res));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/chat/missing.js", "/chat/../pom.xml", "/chat/%2e%2e/pom.xml", "/chat/..%2fpom.xml",
            "/chat/sub/../app.js", "/chat//app.js", "/chat/sub", "/chat/sub/", "/chat/%00", "/chat/SUB/style.css",
            "/chat/..\\app.js", "/chat/../../../../etc/passwd"})
    void get_notAFileOfTheFolder_is404(String uri) {
        FullHttpResponse res = get(uri);
        assertEquals(HttpResponseStatus.NOT_FOUND, res.status());
        assertEquals("text/plain; charset=utf-8", res.headers().get(HttpHeaderNames.CONTENT_TYPE));
        assertEquals("no such file under /chat/\n", body(res));
    }

    @Test
    void get_badPercentEncoding_is400() {
        FullHttpResponse res = get("/chat/%zz");
        assertEquals(HttpResponseStatus.BAD_REQUEST, res.status());
        res.release();
    }

    @Test
    void post_is405WithAllow() {
        FullHttpResponse res = exchange(request(HttpMethod.POST, "/chat/app.js"));
        assertEquals(HttpResponseStatus.METHOD_NOT_ALLOWED, res.status());
        assertEquals("GET, HEAD", res.headers().get(HttpHeaderNames.ALLOW));
        res.release();
    }

    @Test
    void get_prefixWithoutSlash_redirectsKeepingTheQuery() {
        FullHttpResponse res = get("/chat?ws=x");
        assertEquals(HttpResponseStatus.MOVED_PERMANENTLY, res.status());
        assertEquals("/chat/?ws=x", res.headers().get(HttpHeaderNames.LOCATION));
        res.release();
    }

    @Test
    void otherPaths_arePassedOnUntouched() {
        Behind behind = new Behind();
        EmbeddedChannel ch = new EmbeddedChannel(FILES.newHandler(), behind);
        ch.writeInbound(request(HttpMethod.GET, "/chatter"));
        ch.writeInbound(request(HttpMethod.POST, "/login"));
        assertEquals(List.of("/chatter", "/login"), behind.passed.stream().map(FullHttpRequest::uri).toList());
        assertNull(ch.readOutbound());
        behind.passed.forEach(FullHttpRequest::release);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void pipelined_fileBehindPendingApiRequests_isWrittenInRequestOrder() {
        Behind behind = new Behind();
        EmbeddedChannel ch = new EmbeddedChannel(FILES.newHandler(), behind);
        ch.writeInbound(request(HttpMethod.POST, "/login"));
        ch.writeInbound(request(HttpMethod.GET, "/chat/app.js"));
        ch.writeInbound(request(HttpMethod.GET, "/health"));
        ch.writeInbound(request(HttpMethod.GET, "/chat/"));
        assertNull(ch.readOutbound(), "nothing before the first answer");
        behind.answer(ch, 0, "login");
        assertEquals("login", body(ch.readOutbound()));
        assertEquals("console.log(1);\n", body(ch.readOutbound()));
        assertNull(ch.readOutbound());
        behind.answer(ch, 1, "health");
        assertEquals("health", body(ch.readOutbound()));
        assertEquals("<!doctype html><title>t</title>\n", body(ch.readOutbound()));
        assertNull(ch.readOutbound());
        ch.writeInbound(request(HttpMethod.GET, "/chat/app.js"));
        assertEquals("console.log(1);\n", body(ch.readOutbound()), "nothing pending: at once");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void closedWithFilesQueued_releasesThem() {
        Behind behind = new Behind();
        EmbeddedChannel ch = new EmbeddedChannel(FILES.newHandler(), behind);
        ch.writeInbound(request(HttpMethod.POST, "/login"));
        ch.writeInbound(request(HttpMethod.GET, "/chat/app.js"));
        behind.passed.forEach(FullHttpRequest::release);
        ch.close();
        assertNull(ch.readOutbound());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void connectionClose_closesAfterTheFile() {
        FullHttpRequest req = request(HttpMethod.GET, "/chat/app.js");
        req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        EmbeddedChannel ch = new EmbeddedChannel(FILES.newHandler(), new Behind());
        ch.writeInbound(req);
        FullHttpResponse res = ch.readOutbound();
        assertEquals("close", res.headers().get(HttpHeaderNames.CONNECTION));
        res.release();
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void fromClassPath_jar_loadsTheFolderEntriesOnly(@TempDir Path dir) throws IOException {
        Path jar = dir.resolve("page.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String name : List.of("web/", "web/index.html", "web/js/app.js", "other/secret.txt", "webx/a.js")) {
                out.putNextEntry(new JarEntry(name));
                if (!name.endsWith("/")) {
                    out.write(name.getBytes(StandardCharsets.UTF_8));
                }
                out.closeEntry();
            }
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            StaticFiles files = StaticFiles.fromClassPath(loader, "web", "/chat/");
            assertEquals(Set.of("index.html", "js/app.js"), files.files());
        }
    }

    @Test
    void fromClassPath_missingFolder_servesNothing() {
        StaticFiles none = StaticFiles.fromClassPath(getClass().getClassLoader(), "no-such-folder", "/chat/");
        assertTrue(none.files().isEmpty());
        EmbeddedChannel ch = new EmbeddedChannel(none.newHandler(), new Behind());
        ch.writeInbound(request(HttpMethod.GET, "/chat/"));
        FullHttpResponse res = ch.readOutbound();
        assertEquals(HttpResponseStatus.NOT_FOUND, res.status());
        res.release();
        ch.finishAndReleaseAll();
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat/", "/chat", "/", ""})
    void fromClassPath_badPrefix_isRefused(String prefix) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StaticFiles.fromClassPath(getClass().getClassLoader(), "static-test", prefix));
        assertTrue(e.getMessage().startsWith("prefix: "), e.getMessage());
    }

    @Test
    void exampleServer_servesChatPathBeforeTheApi(@org.junit.jupiter.api.io.TempDir Path dataDir) throws Exception {
        try (KimServerMain.Running running = KimServerMain.start(io.kim.examples.TestEnv.env(dataDir))) {
            HttpClient http = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + running.httpAddress().getPort());
            HttpResponse<String> missing = http.send(HttpRequest.newBuilder(base.resolve("/chat/no-such-file.js"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, missing.statusCode());
            assertEquals("no such file under /chat/\n", missing.body(), "the files answered, not the JSON API");
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(base.resolve("/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            assertTrue(health.body().contains("UP"), health.body());
        }
    }
}
