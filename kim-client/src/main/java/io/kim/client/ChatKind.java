package io.kim.client;

/** Whom a message is addressed to: one user, or a group. */
public enum ChatKind {
    /** One-to-one: the target is the receiver's user id. */
    USER,
    /** Group chat: the target is the group id. */
    GROUP
}
