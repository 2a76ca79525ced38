/** Encoders and decoders of kim packets shared by the IM server, the client SDK and the test kit. Internal: may change at any time. */
package io.kim.protocol.internal;
