package dev.ringspec.model;

/**
 * A task's io_uring context ({@code struct io_uring_task}, io_uring/tctx.c): the thread it stands for. A
 * SINGLE_ISSUER ring remembers its submitter task ({@code ctx->submitter_task}) and refuses the others
 * ({@code io_uring_add_tctx_node}: -EEXIST). The per-task restrictions (7.0) and BPF filters a task registers with
 * {@code io_uring_register(-1, ...)} belong here; the model does not hold them yet (those blind register opcodes
 * throw).
 */
final class IoUringTask {
    private final Thread thread;

    IoUringTask(Thread thread) {
        this.thread = thread;
    }

    /** Whether the calling thread is this task. */
    boolean isCurrent() {
        return thread == Thread.currentThread();
    }

    @Override
    public String toString() {
        return "task " + thread.getName();
    }
}
