package io.kim.spi;

/**
 * Screens the text of a message (a chat message, a nickname, a group name) for sensitive words before it is
 * stored or shown to anyone.
 *
 * <p>A filter only <em>finds</em>: it reports what matched and offers a masked copy of the text. What happens to a
 * message that matched is the server's decision, made per tenant with a {@link FilterPolicy}: refuse it, deliver
 * the masked text, or skip filtering altogether.
 *
 * <p><b>Threading.</b> The server calls {@link #filter} on a Netty event loop, from many event loops at once:
 * implementations are thread-safe and must never block (no I/O, no locks held across a scan). The work is
 * CPU-bound and proportional to the text's length. An implementation that reloads its word list does so off the
 * calling thread and swaps it in atomically, so a scan sees either the old list or the new one, never a mix.
 *
 * <p>A filter that throws is treated as an internal error: the server refuses the message and logs the failure.
 */
@FunctionalInterface
public interface ContentFilter {

    /**
     * Scans {@code text} for the words this filter knows.
     *
     * @param tenant the tenant the text belongs to; non-blank. An implementation may keep one word list per
     *               tenant, or ignore the tenant and use one list for all
     * @param text   the text to scan; non-null, possibly empty
     * @return the matches in {@code text}, and the text with the matches masked; never {@code null}. A text that
     *         matched nothing comes back unchanged (the same instance) with an empty match list
     */
    FilterResult filter(String tenant, String text);

    /** A filter that matches nothing and returns every text unchanged. Thread-safe and stateless. */
    static ContentFilter none() {
        return NoContentFilter.INSTANCE;
    }
}

