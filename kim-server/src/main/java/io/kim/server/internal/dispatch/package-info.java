/**
 * The dispatcher: one handler per command, validation of the fields at the edge, one mapping from failure to
 * status, and at most a fixed number of requests in flight per connection. Internal: may change at any time.
 */
package io.kim.server.internal.dispatch;
