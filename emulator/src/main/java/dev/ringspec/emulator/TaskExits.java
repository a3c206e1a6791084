package dev.ringspec.emulator;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * Whether a request's task has exited, for the poll task work that runs after the exit. The kernel runs an exited
 * task's task work in the fallback kworker, or in the exiting task itself, and either way ends it
 * ({@code io_should_terminate_tw}, io_uring/io_uring.h: PF_KTHREAD or PF_EXITING): a poll woken then completes
 * -ECANCELED ({@code io_poll_check_events}), a POLL_ADD and a request armed on its file alike
 * ({@code io_poll_task_func}: {@code io_req_defer_failed}). Measured on 6.18.44: a POLL_ADD and a READ of two
 * empty pipes submitted by a thread that then exited, the pipes written after, both -125
 * ({@code HostedProcessesTest}, task-exit.c; {@code TaskExitTest}).
 *
 * <p>By default a task is the platform {@link Thread} that submitted, exited once it has ended (a virtual thread's
 * end is no exit to the kernel: its carrier lives on); a supervisor whose task keys are a served program's threads
 * says which have exited ({@link EmulatedIoUring#withTaskExited}).
 */
public final class TaskExits {
    private volatile Predicate<Object> exited = TaskExits::threadEnded;

    /** Whether {@code task} (a request's {@code req.task()}) has exited. */
    public boolean exited(Object task) {
        return task != null && exited.test(task);
    }

    /** From now on {@code exited} answers. */
    void set(Predicate<Object> exited) {
        this.exited = Objects.requireNonNull(exited, "exited");
    }

    /** Whether {@code task} is a platform thread that has ended. */
    public static boolean threadEnded(Object task) {
        return task instanceof Thread t && !t.isVirtual() && !t.isAlive();
    }
}
