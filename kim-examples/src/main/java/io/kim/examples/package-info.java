/** The runnable kim server on embedded defaults, its token service, and a command-line chat client. */
package io.kim.examples;
