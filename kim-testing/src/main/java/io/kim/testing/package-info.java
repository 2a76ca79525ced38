/**
 * The kim test kit: contract suites that every implementation of a kim-spi store must pass
 * ({@link io.kim.testing.MessageStoreContract}, {@link io.kim.testing.GroupStoreContract},
 * {@link io.kim.testing.SessionStoreContract}, {@link io.kim.testing.UserDirectoryContract}), and a raw protocol
 * client ({@link io.kim.testing.RawImClient}) for end-to-end tests.
 */
package io.kim.testing;
