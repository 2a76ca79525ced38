/**
 * Login and sessions: the login acceptor, the per-user login lock, kicks under the multi-device policy, logout,
 * heartbeats and the disconnect cleanup. Internal: may change at any time.
 */
package io.kim.server.internal.session;
