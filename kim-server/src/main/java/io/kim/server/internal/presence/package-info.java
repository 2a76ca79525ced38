/** Ephemeral state: TYPING and PRESENCE, never stored. Internal: may change at any time. */
package io.kim.server.internal.presence;
