package dev.ringspec.emulator.ops;

import dev.ringspec.emulator.IoWqCompletions;
import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.Req;
import java.util.ArrayList;
import java.util.List;

/**
 * The last reference to a file, dropped by a request that ran on the ring's task: fs/file_table.c {@code fput}
 * ({@code __fput_deferred}) does not release the file there but hands {@code ____fput} to the task's own task work
 * ({@code task_work_add(task, &file->f_task_work, TWA_RESUME)}), which runs on the task's way back to user space, or
 * where io_uring runs the task's work within the call ({@code io_run_task_work}). So the release comes after the call's
 * submission; {@code task_work_run} (kernel/task_work.c) runs the task's list newest first, so the release comes after
 * the io_uring task work the task queued after it, and before the task's {@code tctx->task_work} when that was queued
 * first ({@link IssueContext#taskWorkQueued}: the ring's work already queued as the request dropped the file;
 * {@link #runFirst}; WorldFputTest, seed 330). A socket released so shows its peer EOF only then: world lockstep seed
 * 103, an ACCEPT of the world's TCP connection whose direct install failed -ENFILE ({@code io_fixed_fd_install}:
 * {@code fput}), a WRITE with a linked timeout and a READ of the connection's client end in one submission; the READ
 * found no EOF and armed a poll, which the release woke after the task work that completed the LINK_TIMEOUT -ECANCELED
 * (kernel: WRITE, LINK_TIMEOUT, READ, 7 of 7 runs; the emulator closed the descriptor at once and posted the READ's 0
 * before the LINK_TIMEOUT). The same holds for a CLOSE ({@code io_close}: {@code filp_close}), a direct descriptor's
 * slot emptied or replaced ({@code io_fixed_fd_remove}, {@code io_install_fixed_file}, IORING_OP_FILES_UPDATE: the
 * slot's node put), checked on 6.18.44 by WorldFputTest: a CLOSE of a pipe's only write end, or of the direct
 * descriptor that held a TCP connection's only reference, and a READ of the other end in one submission: the READ found
 * no EOF and waited, 3 of 3 runs each. The emulator closes such descriptors when the enter of the request's ring
 * returns ({@link #run}), or where the call sleeps in a wait ({@link #runTheTasks}); a request issued outside an enter
 * (an SQPOLL thread's, task work run for a sleeping task) releases its own at the ring's next enter, or at the ring's
 * close ({@link #close}). A request issued for io-wq releases at once: the worker runs its own task work as the item
 * ends.
 */
public final class TaskFput implements AutoCloseable {
    /** The lists the calling thread (the task) added to since it last ran them ({@link #runTheTasks}). */
    private static final ThreadLocal<List<TaskFput>> THE_TASKS = ThreadLocal.withInitial(ArrayList::new);

    private final List<Integer> descriptors = new ArrayList<>();
    /** Dropped while the task's io_uring task work was queued: released before that work runs ({@link #runFirst}). */
    private final List<Integer> first = new ArrayList<>();

    /** {@code fput} of the host descriptor {@code fd}, the request's only reference: released when the call returns. */
    static void fput(IssueContext ctx, int fd) {
        TaskFput pending = ctx.ringLocal(TaskFput.class, TaskFput::new);
        boolean beforeTheRingsWork = ctx.taskWorkQueued();
        synchronized (pending) {
            (beforeTheRingsWork ? pending.first : pending.descriptors).add(fd);
        }
        if (beforeTheRingsWork) {
            ctx.beforeTaskWorkRun(pending::runFirst);
        }
        List<TaskFput> tasks = THE_TASKS.get();
        if (!tasks.contains(pending)) {
            tasks.add(pending);
        }
    }

    /**
     * {@code req} is about to drop a reference to the file {@code fd} names (a CLOSE's {@code filp_close}, a direct
     * slot's node put): a duplicate keeps the file open until the call returns, so that a last reference is released
     * there. Nothing is kept for a request issued for io-wq, nor for no descriptor ({@code fd} below 0).
     */
    static void holdUntilTheCallReturns(Req req, IssueContext ctx, int fd) {
        if (fd < 0 || IoWqCompletions.issuesForIoWq(req)) {
            return;
        }
        int dup = Linux.dup(fd);
        if (dup >= 0) {
            fput(ctx, dup);
        }
    }

    /** {@link #holdUntilTheCallReturns} of the files the table's slots {@code first} on ({@code count}, u32) hold. */
    static void holdSlots(Req req, IssueContext ctx, int first, int count) {
        long end = Math.min(Integer.toUnsignedLong(first) + Integer.toUnsignedLong(count), ctx.fileTableSize());
        for (long slot = Integer.toUnsignedLong(first); slot < end; slot++) {
            holdUntilTheCallReturns(req, ctx, ctx.fixedFileDescriptor((int) slot));
        }
    }

    /**
     * {@code io_run_task_work} in a wait ({@code io_cqring_wait}): {@code task_work_run} releases what the calling
     * task's requests dropped, on every ring, before it sleeps.
     */
    public static void runTheTasks() {
        List<TaskFput> tasks = THE_TASKS.get();
        for (TaskFput pending : tasks) {
            pending.close();
        }
        tasks.clear();
    }

    /** {@code ____fput} of what the requests of ring {@code ctx} (null: none) dropped, as the call returns. */
    public static void run(IssueContext ctx) {
        if (ctx == null) {
            return;
        }
        ctx.ringLocal(TaskFput.class, TaskFput::new).close();
    }

    /**
     * {@code ____fput} of what was dropped after the task's io_uring task work was queued, as the task's task work
     * starts: {@code task_work_run} reaches it before {@code tctx_task_work}. Answers whether it released any.
     */
    synchronized boolean runFirst() {
        boolean any = !first.isEmpty();
        for (int fd : first) {
            Linux.close(fd);
        }
        first.clear();
        return any;
    }

    /** Releases what was dropped; also as the ring goes (a ring local closed with it). */
    @Override
    public synchronized void close() {
        runFirst();
        for (int fd : descriptors) {
            Linux.close(fd);
        }
        descriptors.clear();
    }
}
