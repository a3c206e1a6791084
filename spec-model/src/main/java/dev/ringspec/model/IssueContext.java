package dev.ringspec.model;

import java.lang.foreign.MemorySegment;
import java.util.function.Supplier;

/**
 * What an opcode may touch while it is prepared and issued: the ring's setup flags and profile, the files and
 * buffers it may look up, the rule events, and the three ways to complete a request. The kernel's
 * {@code issue_flags} and {@code io_ring_ctx} stop here: an opcode never sees the rings themselves.
 *
 * <p>Completing: set the result ({@link #setRes}, {@link #setRes32}) and return {@link OpDef#COMPLETE} to complete
 * now; or return {@link OpDef#SKIP_COMPLETE} and later call {@link #completeInTaskWork} (on the ring's task, for
 * example from the issue itself, as NOP_TW does) or {@link #completeFromOtherThread} (from any thread: a poll
 * wakeup, a device, a timer); or hand the request to io-wq with {@link #queueIoWq}.
 */
public interface IssueContext {

    KernelProfile profile();

    /** The ring's setup flags ({@code ctx->flags}). */
    int setupFlags();

    /** {@code io_file_get_normal}: whether {@code fd} names an open file of the process. */
    boolean processFileOpen(int fd);

    /** {@code io_file_get_fixed}: whether slot {@code index} of the registered file table holds a file. */
    boolean fixedFileValid(int index);

    /** {@code io_find_buf_node}: whether slot {@code index} of the registered buffer table holds a buffer. */
    boolean fixedBufferValid(int index);

    /**
     * {@code copy_from_user}: the application's {@code sizeBytes} bytes at {@code address}, or null where the kernel
     * would answer -EFAULT. A prep reads what it must copy in through this.
     */
    MemorySegment userMemory(long address, long sizeBytes);

    /**
     * {@code io_fixed_fd_install} of a file the opcode just made (the model's files are sockets only): into slot
     * {@code fileSlot - 1} of the registered file table, or the next free one for {@code IORING_FILE_INDEX_ALLOC};
     * 0 or the allocated index, or -ENXIO, -EINVAL, -ENFILE as the kernel answers.
     */
    int fixedFdInstall(Req req, int fileSlot);

    /** Reports {@code rule} for this ring, if anyone listens. */
    void fire(Rule rule, long detail);

    /** The clock an opcode reads time from. */
    Clock clock();

    /** {@code req_set_fail}: the request failed (its chain is cancelled unless it is a hardlink). */
    void reqSetFail(Req req);

    /** {@code io_req_set_res}. */
    void setRes(Req req, int res, int cqeFlags);

    /** {@code io_req_set_res32}: a result with the 16 extra bytes of a 32-byte CQE. */
    void setRes32(Req req, int res, int cqeFlags, long extra1, long extra2);

    /**
     * {@code io_req_task_work_add} with {@code io_req_task_complete}, on the ring's task: the request's CQE is
     * posted when the task next runs task work.
     */
    void completeInTaskWork(Req req);

    /** {@link #completeInTaskWork}, answering {@link OpDef#SKIP_COMPLETE} for the issue to return. */
    default int completeInTaskWorkLater(Req req) {
        completeInTaskWork(req);
        return OpDef.SKIP_COMPLETE;
    }

    /** The same from any thread; the request joins the task work when the task next runs it. */
    void completeFromOtherThread(Req req);

    /**
     * {@code io_iopoll_req_issued}: on an IOPOLL ring, a read or write of a file that polls its completions
     * ({@code io_rw_init_file}) does not complete now: with its result set, it waits on the ring's iopoll list until
     * a GETEVENTS enter or the SQ thread polls, which posts its CQE. Return {@link OpDef#SKIP_COMPLETE} after it.
     * Call from the ring's task.
     */
    void iopollReqIssued(Req req);

    /** {@code io_queue_iowq}: io-wq issues the request again, at a time of its own ({@link IoWq}). */
    void queueIoWq(Req req);

    /** {@code io_issue_sqe} again, on the ring's task (what an io-wq worker calls). */
    void reissue(Req req);

    /**
     * {@code io_req_task_submit}, on the ring's task: what a request's poll wakeup runs ({@code io_poll_task_func}).
     * A forced-async request (IOSQE_ASYNC, a drain) goes back to io-wq where the profile says so, else it is issued
     * again here.
     */
    void taskSubmit(Req req);

    /** The ring's descriptor ({@code ctx}'s file), for rule events and for opcodes that name their own ring. */
    int ringFd();

    /**
     * {@code io_file_get_fixed}: the descriptor slot {@code index} of the registered file table holds (a reference
     * the table owns, see {@link ProcessDescriptorTable#acquire}), or -1 for an empty or missing slot.
     */
    int fixedFileDescriptor(int index);

    /**
     * The descriptor the request's file is: {@code sqe->fd} itself, or with IOSQE_FIXED_FILE what that slot of the
     * registered file table holds (-1 for none).
     */
    int fileDescriptor(Req req);

    /**
     * The request is about to wait for its file: its process descriptor's reference now holds the file
     * ({@link ProcessDescriptorTable#hold}), so {@link #fileDescriptor} names it after the application's close.
     * True where that took a reference of its own; false for a fixed file, a descriptor that names nothing, or a
     * reference that held already.
     */
    default boolean holdFile(Req req) {
        return false;
    }

    /** {@code io_find_buf_node}: the buffer in slot {@code index} of the registered buffer table, or null. */
    RegisteredBuffer fixedBuffer(int index);

    /**
     * {@code io_fixed_fd_install} of {@code descriptor}, a file the opcode opened: into slot {@code fileSlot - 1}, or
     * the next free one for {@code IORING_FILE_INDEX_ALLOC}; 0 or the allocated index (the table owns the
     * descriptor from then on), or -ENXIO, -EINVAL, -ENFILE (the caller still owns it and closes it).
     */
    int fixedFdInstall(Req req, int fileSlot, int descriptor);

    /**
     * {@code io_req_task_work_add} with a function of the opcode's: {@code func} runs on the ring's task when it next
     * runs task work, and its answer means what an {@link OpDef.Issue}'s does ({@link OpDef#COMPLETE},
     * {@link OpDef#SKIP_COMPLETE}, or a -errno that fails the request). Call from the ring's task.
     */
    void taskWork(Req req, OpDef.Issue func);

    /** The same from any thread (a poll wakeup, a timer, an io-wq worker); wakes a waiting task. */
    void taskWorkFromOtherThread(Req req, OpDef.Issue func);

    /**
     * {@code io_req_post_cqe}: a CQE for a multishot request now, on the ring's task, with the request's
     * {@code user_data} (completions batched before it are posted first); false when the CQ has no room, and then
     * nothing is posted (not even to the overflow list): the multishot request must end.
     */
    boolean postCqe(Req req, int res, int cqeFlags);

    /**
     * The ring's instance of {@code type}, made by {@code init} on first use: state an opcode keeps per ring (its
     * poll table, timeouts, buffer lists). An {@link AutoCloseable} one is closed when the ring is.
     */
    <T> T ringLocal(Class<T> type, Supplier<? extends T> init);

    /**
     * {@code ctx->cq_timeouts}: how many timeouts fired or were killed on this ring. A wait ends when it changes
     * ({@code io_should_wake}), whatever the number of CQEs it waited for; safe from any thread.
     */
    int cqTimeouts();

    /** Counts one more in {@link #cqTimeouts} ({@code io_timeout_fn}, {@code io_kill_timeout}); wakes no one. */
    void countCqTimeout();

    /**
     * {@code io_uring_poll}: what a poll of this ring's own descriptor finds now: EPOLLIN | EPOLLRDNORM when the
     * application has CQEs to see or the ring has work ({@code io_has_work}: overflowed CQEs, local task work), and
     * EPOLLOUT | EPOLLWRNORM when the SQ ring has room. A poll waits on {@code ctx->poll_wq}, woken at each commit
     * ({@link #onCommit}) and each local task work added ({@link #onLocalWorkAdd}).
     */
    int ringPollMask();

    /**
     * The parts of {@code __io_commit_cqring_flush}, in the order it runs them after each commit of the CQ tail
     * whatever order they were armed in: the ring's poll waiters, the count timeouts, the eventfd. A commit that
     * both fires a count timeout and signals an eventfd that a request polls queues the timeout's task work first.
     */
    enum CommitFlush { POLL_WQ, TIMEOUTS, EVENTFD }

    /** Runs {@code hook} as {@code part} of each commit of the CQ tail ({@code io_commit_cqring_flush}). */
    void onCommit(CommitFlush part, Runnable hook);

    /**
     * Runs {@code hook} when task work is queued to an empty list on a DEFER_TASKRUN ring
     * ({@code io_req_local_work_add}: eventfd), on the thread that queues it, which may be another than the ring's.
     */
    void onLocalWorkAdd(Runnable hook);

    /**
     * Whether the calling task has task work of this ring queued on a ring without DEFER_TASKRUN: then
     * {@code io_req_normal_work_add} has put the task's {@code tctx->task_work} on {@code task->task_works}, and a
     * {@code task_work_add} made now (a file's {@code ____fput}) runs before it, as {@code task_work_run}
     * (kernel/task_work.c) runs the list newest first.
     */
    boolean taskWorkQueued();

    /**
     * Runs {@code hook} as the ring's normal task work is about to run ({@code tctx_task_work}), for what
     * {@code task_work_run} runs before it ({@link #taskWorkQueued}); one hook a ring. The hook answers whether it
     * did anything, and then the wakeups it made queue their task work first ({@link AsyncPoll#ownWakeups}).
     */
    void beforeTaskWorkRun(java.util.function.BooleanSupplier hook);

    /** Wakes the ring's task if it waits ({@code io_cqring_wake}), for work queued from another thread. */
    void wake();

    /**
     * {@code ctx->submit_state.link.last}: the last request of the chain being assembled, or null when no chain is
     * (LINK_TIMEOUT's prep, which runs before its request joins the chain, reads it).
     */
    Req linkLast();

    /**
     * LINK_TIMEOUT's prep ({@code __io_timeout_prep}): {@code timeout} guards {@code last}, the request before it
     * ({@code link->last->flags |= REQ_F_ARM_LTIMEOUT}); {@code timeout.opState()} must be its {@link LinkedTimeout}.
     * The model starts the timer when {@code last} is issued and stops it when {@code last} completes.
     */
    void armLinkedTimeout(Req last, Req timeout);

    /**
     * {@code io_acct_cancel_pending_work}: a cancellation took {@code req} off io-wq before a worker issued it, so
     * the kernel never started its LINK_TIMEOUT ({@code __io_issue_sqe} does, on the worker); an io-wq that started
     * it when the request was queued ({@link #queueIoWq}) stops it again, and {@code req}'s completion then cancels
     * the timeout ({@code io_disarm_next}, REQ_F_ARM_LTIMEOUT) as the kernel's does.
     */
    void linkedTimeoutNeverStarted(Req req);

    /**
     * {@code io_req_task_link_timeout}: a fired linked timeout leaves the chain of {@code prev}, the request it
     * guarded, if the completion path has not already taken it out. On the ring's task.
     */
    void spliceLinkedTimeout(Req prev, Req timeout);

    /**
     * During a prep only: the 8-byte word at byte {@code offset} of the SQE being prepared, for the fields a
     * {@link Req} does not hold ({@code addr3} at 48, {@code __pad2[0]} at 56, the second half of a 128-byte SQE).
     */
    long sqeLong(int offset);

    /** {@code ctx->cached_cq_tail}: the CQEs posted to the ring so far (a free-running counter). */
    int cachedCqTail();

    /**
     * {@code preq->cqe.user_data = ...}: the request's CQEs carry {@code userData} from now on (POLL_REMOVE with
     * IORING_POLL_UPDATE_USER_DATA). On the ring's task only.
     */
    void setUserData(Req req, long userData);

    /** {@code ctx->cq_entries} (what sizes the cancel hash table: {@code io_ring_ctx_alloc}). */
    int cqEntries();

    /** {@code io_local_work_pending}: a DEFER_TASKRUN ring has local task work queued (false on any other ring). */
    boolean localWorkPending();

    /**
     * The CQEs that still fit in the CQ ring now ({@code io_cqe_cache_refill}: {@code cq_entries} less the CQEs
     * queued; a head moved past the kernel's tail counts as a full ring up to 7.0).
     */
    int cqRoom();

    /**
     * {@code io_get_cqe} finds no slot for a CQE now: the cached range is spent and {@code io_cqe_cache_refill}
     * refuses, the overflow list holding entries ({@code IO_CHECK_CQ_OVERFLOW_BIT}) or the ring being full. An io-wq
     * worker's {@code io_req_complete_post} then queues its completion as task work ({@code defer_complete}).
     */
    boolean cqeFillRefused();

    /**
     * A ring local that {@code io_ring_ctx_free} frees after {@code io_ring_exit_work} has cancelled the ring's
     * requests (the eventfd, which those cancellations signal): told before the other ring locals are closed, and
     * closed after them.
     */
    interface FreedAfterExit extends AutoCloseable {
        /** {@code io_ring_exit_work} begins: nothing of the ring is cancelled yet. */
        void exitStarts();

        @Override
        void close();
    }

    /** {@code READ_ONCE(rings->cq_flags)}: what the application wrote there (IORING_CQ_EVENTFD_DISABLED). */
    int cqFlags();

    /**
     * {@code io_post_aux_cqe}: a CQE of {@code userData} that belongs to no request of this ring (MSG_RING's target
     * side), posted now, or onto the overflow list; false when neither could take it.
     */
    boolean postAuxCqe(long userData, int res, int cqeFlags);

    /**
     * {@code io_msg_remote_post}: the same CQE as task work of this ring's task, posted when that task runs it
     * ({@code io_add_aux_cqe}); for a ring that completes on its own task only ({@link #taskComplete}). Any thread.
     */
    void postAuxCqeRemote(long userData, int res, int cqeFlags);

    /**
     * {@code __io_req_task_work_add} of a request of the ring's own whose task work only posts a CQE of
     * {@code userData} ({@code io_notif_tw_complete}: a zero-copy send's notification), queued on the ring's task
     * behind the task work queued before it; the CQE goes onto the overflow list when the CQ is full.
     * {@link #postAuxCqeRemote} is MSG_RING's form of it, from any thread.
     */
    void postCqeInTaskWork(long userData, int res, int cqeFlags);

    /** {@code IO_RING_F_TASK_COMPLETE}: DEFER_TASKRUN without IOPOLL, completions only on the owner's task. */
    boolean taskComplete();

    /** Whether the ring is still IORING_SETUP_R_DISABLED (not yet enabled by IORING_REGISTER_ENABLE_RINGS). */
    boolean ringDisabled();

    /** {@code io_fixed_fd_remove}: empties slot {@code offset} of the registered file table; 0 or -errno. */
    int fixedFdRemove(int offset);

    /**
     * {@code __io_register_rsrc_update} of the file table (IORING_OP_FILES_UPDATE's plain form): {@code nrArgs}
     * descriptors at {@code data} from slot {@code offset}; how many were updated, or the -errno of the first.
     */
    int filesUpdate(int offset, long data, int nrArgs);

    /** {@code ctx->file_table.data.nr}: the registered file table's size, 0 for none. */
    int fileTableSize();

    /** {@code req->flags |= REQ_F_FORCE_ASYNC} from a prep: the request goes to io-wq instead of issuing inline. */
    void forceAsync(Req req);

    /**
     * One sleep of {@code io_sync_cancel} between two looks for requests still running: {@code
     * io_run_task_work_sig} (task work that ran ends it at once: the loop looks again; a pending signal: -EINTR),
     * then {@code schedule_hrtimeout} on the CQ's wait queue, which a completion wakes, until {@code deadlineNanos}
     * on {@link #clock} ({@link Waiter#NO_DEADLINE}: none).
     *
     * @return 0 to look again, -EINTR for a signal, -ETIME when the deadline passed
     */
    int syncCancelSleep(long deadlineNanos);
}
