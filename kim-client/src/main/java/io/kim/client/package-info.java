/**
 * The Java client SDK: {@link io.kim.client.ImClient} logs in to a kim server, keeps the connection alive
 * (heartbeats, reconnect with backoff, re-login, resync), sends messages with safe retries, and delivers the
 * user's inbox to an {@link io.kim.client.ImClientListener} in order and without duplicates; it also manages
 * groups.
 */
package io.kim.client;
