package dev.ringspec.model;

/**
 * {@code io_arm_poll_handler}: where a request whose opcode may poll ({@link OpDef#POLLIN}, {@link OpDef#POLLOUT})
 * and that answered -EAGAIN waits for its file to become ready instead of going to io-wq. The model's own
 * ({@link #NONE}) arms nothing, so such a request goes to io-wq; an emulator polls the real file
 * ({@link ModelIoUring#withAsyncPoll}) and, once it is ready, issues the request again through
 * {@link IssueContext#taskWorkFromOtherThread}.
 */
@FunctionalInterface
public interface AsyncPoll {

    /**
     * Arms a poll for {@code events} ({@code POLLIN} or {@code POLLOUT}, with {@code EPOLLEXCLUSIVE} for an opcode
     * with {@link OpDef#POLL_EXCLUSIVE}) on the request's file: true when armed (the request now waits), false when
     * the file cannot be polled ({@code IO_APOLL_ABORTED}: io-wq takes it).
     */
    boolean arm(Req req, IssueContext ctx, int events);

    /**
     * The ring's task is about to queue task work of its own: a file its own syscalls made ready (the emulator's
     * real write to a pipe another request waits on) has woken that request by now, since the kernel's wakeup runs
     * inside the syscall (pipe_write, __wake_up_common, io_poll_wake) and queues its task work there, before
     * whatever the task queues after it. Nothing by default.
     */
    default void ownWakeups() {
    }

    /** Arms nothing: every -EAGAIN goes to io-wq. */
    AsyncPoll NONE = (req, ctx, events) -> false;
}
