/** The TCP frame codec. Internal: may change at any time. */
package io.kim.transport.tcp.internal;
