package dev.ringspec.guest.agent;

/**
 * The agent cannot answer: it died, its guest died, it broke the protocol, or it did not answer in time. The
 * message is one sentence saying which; io_uring's own answers are never this, they are {@code -errno} results.
 */
public final class AgentException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AgentException(String message) {
        super(message);
    }

    public AgentException(String message, Throwable cause) {
        super(message, cause);
    }
}
