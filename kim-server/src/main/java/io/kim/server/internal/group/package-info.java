/** Groups: the GROUP_* commands, their events, and who a group message goes to. Internal: may change at any time. */
package io.kim.server.internal.group;
