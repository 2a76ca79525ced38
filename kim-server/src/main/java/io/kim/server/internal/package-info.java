/** The IM server's packet handling. Internal: may change at any time. */
package io.kim.server.internal;
