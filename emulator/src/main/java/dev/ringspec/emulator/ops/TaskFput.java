package dev.ringspec.emulator.ops;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The last reference to a file, dropped by a request that ran on the ring's task: fs/file_table.c {@code fput}
 * ({@code __fput_deferred}) does not release the file there but hands {@code ____fput} to the task's own task work
 * ({@code task_work_add(task, &file->f_task_work, TWA_RESUME)}), which runs on the task's way back to user space, or
 * where io_uring runs the task's work within the call ({@code io_run_task_work}). So the release comes after the
 * call's submission and after the io_uring task work queued by then ({@code task_work_run} takes the list as it is),
 * and a socket released so shows its peer EOF only then: world lockstep seed 103, an ACCEPT of the world's TCP
 * connection whose direct install failed -ENFILE ({@code io_fixed_fd_install}: {@code fput}), a WRITE with a linked
 * timeout and a READ of the connection's client end in one submission; the READ found no EOF and armed a poll, which
 * the release woke after the task work that completed the LINK_TIMEOUT -ECANCELED (kernel: WRITE, LINK_TIMEOUT,
 * READ, 7 of 7 runs; the emulator closed the descriptor at once and posted the READ's 0 before the LINK_TIMEOUT).
 * The emulator closes such descriptors when the enter of the request's ring returns ({@link #run}); a request
 * issued outside an enter (an SQPOLL thread's, task work run for a sleeping task) releases its own at the ring's next
 * enter, or at the ring's close ({@link #close}).
 */
public final class TaskFput implements AutoCloseable {
    private final List<Integer> descriptors = new ArrayList<>();

    /** {@code fput} of the host descriptor {@code fd}, the request's only reference: released when the call returns. */
    static void fput(IssueContext ctx, int fd) {
        TaskFput pending = ctx.ringLocal(TaskFput.class, TaskFput::new);
        synchronized (pending) {
            pending.descriptors.add(fd);
        }
    }

    /** {@code ____fput} of what the requests of ring {@code ctx} (null: none) dropped, as the call returns. */
    public static void run(IssueContext ctx) {
        if (ctx == null) {
            return;
        }
        ctx.ringLocal(TaskFput.class, TaskFput::new).close();
    }

    /** Releases what was dropped; also as the ring goes (a ring local closed with it). */
    @Override
    public synchronized void close() {
        for (int fd : descriptors) {
            Linux.close(fd);
        }
        descriptors.clear();
    }
}
