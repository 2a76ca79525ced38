package io.kim.examples.web;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Serves the files of one class-path folder under one URL prefix, such as the example server's chat page: the
 * folder {@code kim-web} at {@code /chat/}. Every file is read once, when the {@code StaticFiles} is created (off
 * the event loop); a request is answered from memory and never touches the file system, so no path can reach
 * outside the folder.
 *
 * <ul>
 *   <li>{@code GET} or {@code HEAD} of {@code <prefix><file>}: 200 with the file's content type (by extension),
 *       {@code Cache-Control: no-cache} and {@code X-Content-Type-Options: nosniff}; {@code <prefix>} alone is
 *       {@code index.html}. The query string is ignored (the page reads it).</li>
 *   <li>The prefix without its slash ({@code /chat}): 301 to the prefix.</li>
 *   <li>A file that is not in the folder (including {@code ..}, encoded or not): 404; another method: 405 with
 *       {@code Allow: GET, HEAD}; bad percent-encoding: 400. Error bodies are one line of plain text.</li>
 * </ul>
 *
 * <p>{@link #newHandler()} goes into an HTTP pipeline after the aggregator (it reads {@link FullHttpRequest}s) and
 * before the application's handler, which gets every other request. Answers stay in request order on pipelined
 * connections: a file is written only once the handler behind has answered every earlier request (each
 * {@link LastHttpContent} it writes is one answer).
 *
 * <p>Thread-safe; each handler belongs to one connection and runs on its event loop.
 */
public final class StaticFiles {

    /** One file: its bytes and its content type. */
    private record File(byte[] content, String contentType) {
    }

    private static final Map<String, String> CONTENT_TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("map", "application/json"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("woff2", "font/woff2"));

    /** The page may connect to WebSocket ports of any host; nothing else leaves its origin. */
    private static final String HTML_POLICY = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
            + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private final String prefix;
    private final Map<String, File> files;

    private StaticFiles(String prefix, Map<String, File> files) {
        this.prefix = prefix;
        this.files = Collections.unmodifiableMap(files);
    }

    /**
     * The files under class-path folder {@code folder} (a directory or a jar entry prefix; the folder must hold an
     * {@code index.html} to be found), served under {@code prefix}. A missing folder serves nothing: every request
     * under the prefix is 404.
     *
     * @param loader where to look
     * @param folder a class-path folder, such as {@code "kim-web"}
     * @param prefix a URL path starting and ending with '/', such as {@code "/chat/"}
     * @throws IllegalArgumentException if {@code prefix} is not of that form
     * @throws UncheckedIOException     if the folder exists but cannot be read
     */
    public static StaticFiles fromClassPath(ClassLoader loader, String folder, String prefix) {
        Objects.requireNonNull(loader, "loader");
        Objects.requireNonNull(folder, "folder");
        if (prefix == null || prefix.length() < 2 || !prefix.startsWith("/") || !prefix.endsWith("/")) {
            throw new IllegalArgumentException("prefix: " + prefix + " (expected: a path such as /chat/)");
        }
        String root = folder.endsWith("/") ? folder : folder + "/";
        Map<String, File> files = new TreeMap<>();
        URL index = loader.getResource(root + "index.html");
        try {
            if (index == null) {
                return new StaticFiles(prefix, files);
            } else if ("file".equals(index.getProtocol())) {
                Path dir = Path.of(index.toURI()).getParent();
                try (Stream<Path> walk = Files.walk(dir)) {
                    for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                        String name = dir.relativize(p).toString().replace(java.io.File.separatorChar, '/');
                        files.put(name, file(name, Files.readAllBytes(p)));
                    }
                }
            } else if ("jar".equals(index.getProtocol())) {
                JarURLConnection conn = (JarURLConnection) index.openConnection();
                conn.setUseCaches(false);
                try (JarFile jar = conn.getJarFile()) {
                    for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                        JarEntry entry = e.nextElement();
                        if (!entry.isDirectory() && entry.getName().startsWith(root)) {
                            String name = entry.getName().substring(root.length());
                            try (InputStream in = jar.getInputStream(entry)) {
                                files.put(name, file(name, in.readAllBytes()));
                            }
                        }
                    }
                }
            } else {
                try (InputStream in = index.openStream()) {
                    files.put("index.html", file("index.html", in.readAllBytes()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read class-path folder " + root, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("class-path folder " + root + ": " + index, e);
        }
        return new StaticFiles(prefix, files);
    }

    /** The served file names relative to the prefix ({@code index.html}, {@code chat.js}, ...), sorted. */
    public Set<String> files() {
        return files.keySet();
    }

    /** The URL prefix, such as {@code /chat/}. */
    public String prefix() {
        return prefix;
    }

    /** A handler for one connection's pipeline; see the class comment. */
    public ChannelHandler newHandler() {
        return new Handler();
    }

    private static File file(String name, byte[] content) {
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return new File(content, CONTENT_TYPES.getOrDefault(ext, "application/octet-stream"));
    }

    /** The answer to {@code req} if it is for this prefix, else {@code null}. */
    FullHttpResponse answer(FullHttpRequest req) {
        String rawPath;
        try {
            rawPath = new QueryStringDecoder(req.uri()).rawPath();
        } catch (IllegalArgumentException e) {
            return null;
        }
        String bare = prefix.substring(0, prefix.length() - 1);
        if (rawPath.equals(bare)) {
            String query = req.uri().substring(Math.min(req.uri().length(), rawPath.length()));
            FullHttpResponse res = text(HttpResponseStatus.MOVED_PERMANENTLY, "moved to " + prefix);
            res.headers().set(HttpHeaderNames.LOCATION, prefix + (query.startsWith("?") ? query : ""));
            return res;
        }
        if (!rawPath.startsWith(prefix)) {
            return null;
        }
        if (!HttpMethod.GET.equals(req.method()) && !HttpMethod.HEAD.equals(req.method())) {
            FullHttpResponse res = text(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "method " + req.method() + " not allowed (expected: GET, HEAD)");
            res.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            return res;
        }
        String name;
        try {
            name = QueryStringDecoder.decodeComponent(rawPath.substring(prefix.length()).replace("+", "%2B"),
                    StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text(HttpResponseStatus.BAD_REQUEST, "path: bad percent-encoding");
        }
        File f = files.get(name.isEmpty() ? "index.html" : name);
        if (f == null) {
            return text(HttpResponseStatus.NOT_FOUND, "no such file under " + prefix);
        }
        boolean head = HttpMethod.HEAD.equals(req.method());
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(f.content).asReadOnly());
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, f.contentType)
                .set(HttpHeaderNames.CONTENT_LENGTH, f.content.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
                .set("X-Content-Type-Options", "nosniff");
        if (f.contentType.startsWith("text/html")) {
            res.headers().set("Content-Security-Policy", HTML_POLICY);
        }
        return res;
    }

    private static FullHttpResponse text(HttpResponseStatus status, String message) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        HttpUtil.setContentLength(res, res.content().readableBytes());
        return res;
    }

    /**
     * One connection's handler. Keeps a slot per request in order: {@link #NEXT} for one passed on (answered by the
     * handler behind), or a ready response; a ready response is written as soon as every slot before it is answered.
     */
    private final class Handler extends ChannelDuplexHandler {

        private static final Object NEXT = new Object();
        private final ArrayDeque<Object> slots = new ArrayDeque<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            FullHttpResponse res = msg instanceof FullHttpRequest req && req.decoderResult().isSuccess()
                    ? answer(req) : null;
            if (res == null) {
                slots.add(NEXT);
                ctx.fireChannelRead(msg);
                return;
            }
            boolean keepAlive = HttpUtil.isKeepAlive((FullHttpRequest) msg);
            ReferenceCountUtil.release(msg);
            if (!keepAlive) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            if (slots.isEmpty()) {
                send(ctx, res);
                ctx.flush();
            } else {
                slots.add(res);
            }
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ctx.write(msg, promise);
            if (msg instanceof LastHttpContent && slots.peek() == NEXT) {
                slots.poll();
                while (slots.peek() instanceof FullHttpResponse ready) {
                    slots.poll();
                    send(ctx, ready);
                }
            }
        }

        private void send(ChannelHandlerContext ctx, FullHttpResponse res) {
            boolean close = HttpHeaderValues.CLOSE.contentEqualsIgnoreCase(
                    res.headers().get(HttpHeaderNames.CONNECTION, ""));
            if (close) {
                ctx.write(res).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.write(res);
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            for (Object o : slots) {
                ReferenceCountUtil.release(o);
            }
            slots.clear();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            handlerRemoved(ctx);
            ctx.fireChannelInactive();
        }
    }
}
