package dev.ringspec.model;

/**
 * What io_uring/timeout.c gives io_uring.c for an {@code IORING_OP_LINK_TIMEOUT} request: the model's link machinery
 * ({@link IssueSqe}, {@link Links}) starts and stops the timer through it, and the opcode that executes LINK_TIMEOUT
 * (an emulator's) implements it as the request's {@link Req#opState()}, set by its prep before
 * {@link IssueContext#armLinkedTimeout}.
 *
 * <p>The life of a linked timeout: its prep marks the request before it ({@code REQ_F_ARM_LTIMEOUT}); when that
 * request is issued the model calls {@link #queue}; when it completes first the model calls {@link #disarm} and,
 * if the timer was stopped, completes the timeout with -ECANCELED; when the timer fires first the opcode splices
 * itself out of the chain ({@link IssueContext#spliceLinkedTimeout}), cancels the request and posts its own CQE.
 */
public interface LinkedTimeout {

    /**
     * {@code io_queue_linked_timeout}: the request it guards has just been issued; start the timer, unless that
     * request already completed ({@code timeout->head} is NULL).
     */
    void queue(Req timeout, IssueContext ctx);

    /**
     * {@code __io_disarm_linked_timeout}, after the model removed the timeout from the chain: the request it guards
     * completed. True when this call stopped the timer (the model then completes the timeout with -ECANCELED);
     * false when the timer already claimed it and completes it itself.
     */
    boolean disarm();
}
