package io.kim.store.jdbc.crash;

import io.kim.server.ImServer;
import io.kim.spi.AuthenticationException;
import io.kim.spi.Identity;
import io.kim.store.jdbc.JdbcStores;
import io.kim.transport.tcp.TcpTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * An IM server on {@link JdbcStores} in a process of its own, for the crash tests: {@code <port> h2 <directory>} or
 * {@code <port> postgresql <url> <user> <schema>}. Prints {@code READY <port>} once it listens and runs until its
 * standard input ends or it is killed. Tokens are {@code tenant:user:device:type}, accepted unchecked.
 */
public final class CrashServerMain {

    private CrashServerMain() {
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        JdbcStores.Builder b = switch (args[1]) {
            case "h2" -> JdbcStores.builder().h2File(Path.of(args[2]));
            case "postgresql" -> JdbcStores.builder().url(args[2]).user(args[3]).schema(args[4]);
            default -> throw new IllegalArgumentException("store: " + args[1] + " (expected: h2 or postgresql)");
        };
        JdbcStores stores = b.build();
        ImServer server = ImServer.builder()
                .listen(new TcpTransport(), new InetSocketAddress("127.0.0.1", port))
                .ioThreads(2)
                .authenticator(token -> {
                    String[] p = token.split(":", -1);
                    return p.length == 4 ? CompletableFuture.completedFuture(new Identity(p[0], p[1], p[2], p[3]))
                            : CompletableFuture.failedFuture(new AuthenticationException(
                                    AuthenticationException.Reason.INVALID, "expected tenant:user:device:type"));
                })
                .messageStore(stores.messages())
                .groupStore(stores.groups())
                .build()
                .start();
        System.out.println("READY " + server.boundAddress(TcpTransport.NAME).getPort());
        System.out.flush();
        while (System.in.read() >= 0) {
            // runs until the test closes our input or kills us
        }
        server.close();
        stores.close();
    }
}
