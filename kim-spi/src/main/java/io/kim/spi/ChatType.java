package io.kim.spi;

/** Whether a {@link Message} goes to one user or to a group. */
public enum ChatType {
    /** One-to-one: {@link Message#target()} is the receiving user's id. */
    USER,
    /** Group chat: {@link Message#target()} is the group id. */
    GROUP
}
