/**
 * Netty plumbing behind {@link io.kim.net.Server} and {@link io.kim.net.Client}. Internal: may change at any time.
 */
package io.kim.net.internal;
