/**
 * In-memory implementations of the kim-spi stores, for a single node, tests and demos: nothing survives a restart.
 */
package io.kim.embedded;
