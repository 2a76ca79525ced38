/** Static files for the example server's HTTP port: the web chat page at {@code /chat/}. */
package io.kim.examples.web;
