package dev.ringspec.model;

/**
 * Whose request the calling thread works on: the task that submitted it ({@code req->tctx}, and through it the
 * submitter's memory and files), while the thread runs the request's task work or its io-wq work. The kernel runs
 * both as that task (task work on the task itself, io-wq on workers that share its memory and files); a backend that
 * runs them on threads of its own asks here whose memory a request's copies reach ({@code ringspec host}: a forked
 * child's read must land in the child, whichever process made the last call). {@code null} outside such work, and
 * for requests made by the model itself (a posted auxiliary CQE, a MSG_RING target's request).
 *
 * <p>The task is the key {@link ModelIoUring#withTaskKey} gave when the request was submitted.
 */
public final class RequestTask {
    private static final ThreadLocal<Object> CURRENT = new ThreadLocal<>();

    private RequestTask() {
    }

    /** The task of the request the calling thread works on, or {@code null}. */
    public static Object current() {
        return CURRENT.get();
    }

    /**
     * The calling thread works on a request of {@code task} until {@link #leave} is given what this returned (the
     * task it worked for before: task work may run inside other work).
     */
    public static Object enter(Object task) {
        Object before = CURRENT.get();
        if (before != task) {
            CURRENT.set(task);
        }
        return before;
    }

    /** The work {@link #enter} began has ended: the calling thread works for {@code before} again. */
    public static void leave(Object before, Object task) {
        if (before != task) {
            CURRENT.set(before);
        }
    }
}
