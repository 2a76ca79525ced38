/** The business event log: kim's events as key=value lines on the {@code kim.events} logger. */
package io.kim.examples.events;
