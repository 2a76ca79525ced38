/**
 * The IM server: login and multi-device policy, one-to-one chat with acknowledged, de-duplicated, ordered
 * delivery, and inbox sync, on top of the communication layer in {@link io.kim.net}.
 */
package io.kim.server;
