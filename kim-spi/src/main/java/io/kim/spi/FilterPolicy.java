package io.kim.spi;

/**
 * What the server does with a message whose text a {@link ContentFilter} {@linkplain FilterResult#matched()
 * matched}. Chosen per tenant.
 */
public enum FilterPolicy {

    /** Refuse the message: the sender gets an error status and nothing is stored or delivered. */
    REJECT,

    /** Store and deliver the {@linkplain FilterResult#text() masked text} instead of the original. */
    MASK,

    /** Do not filter this tenant's messages at all; the filter is not called. */
    OFF
}
