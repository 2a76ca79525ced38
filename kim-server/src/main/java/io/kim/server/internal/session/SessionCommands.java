package io.kim.server.internal.session;

import io.kim.net.CloseStatus;
import io.kim.server.internal.Stages;
import io.kim.server.internal.dispatch.Request;
import io.kim.server.internal.dispatch.RequestException;
import java.util.concurrent.CompletionStage;

/** The session's commands after login: LOGOUT, HEARTBEAT, and a second LOGIN (refused). */
public final class SessionCommands {

    private SessionCommands() {
    }

    /** LOGOUT: answers OK, then closes with 1000. */
    public static CompletionStage<byte[]> logout(Request r) {
        r.connection().closeReason("logout");
        r.closeAfterAnswer(CloseStatus.NORMAL);
        return Stages.done(r.ok(null));
    }

    /** HEARTBEAT: answers OK; reading it already reset the idle timer. */
    public static CompletionStage<byte[]> heartbeat(Request r) {
        return Stages.done(r.ok(null));
    }

    /** LOGIN on a logged-in connection: INVALID_PACKET. */
    public static CompletionStage<byte[]> loginAgain(Request r) {
        throw RequestException.invalid("already logged in");
    }
}
