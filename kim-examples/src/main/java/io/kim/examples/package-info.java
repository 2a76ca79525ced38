/**
 * The runnable kim server on embedded defaults ({@link io.kim.examples.KimServerMain}) and a command-line chat
 * client ({@link io.kim.examples.ChatClientMain}).
 */
package io.kim.examples;
