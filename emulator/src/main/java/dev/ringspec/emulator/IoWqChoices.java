package dev.ringspec.emulator;

import dev.ringspec.model.Choice;
import java.util.List;

/**
 * The choice points of the emulator's io-wq ({@link WorkerPool}): where the kernel's workers run concurrently with the
 * task that queued their work, so the order of their CQEs against the task's own is not determined, the deterministic
 * mode asks its {@link dev.ringspec.model.Chooser} which of the orders the kernel allows happens.
 */
public final class IoWqChoices {
    private IoWqChoices() {
    }

    /**
     * The order in which io-wq work that is pending together completes: the kernel hands each item to an idle or a
     * new worker (io_uring/io-wq.c io_wq_enqueue, io_wq_activate_free_worker, io_wq_create_worker), the workers run
     * concurrently (io_worker_handle_work), and each posts its CQE as it finishes (io_uring/io_uring.c
     * io_req_complete_post, or task work on a DEFER_TASKRUN ring), so items queued together may complete in any
     * order. An FSYNC (always io-wq: io_fsync_prep sets REQ_F_FORCE_ASYNC) of a file with a dirty page on ext4 waits
     * for the write-back, so a buffered WRITEV of that file queued after it (io-wq too: io_write finds no
     * FOP_BUFFER_WASYNC) usually finishes first (world lockstep seed 113: FSYNC, WRITEV, FSYNC; the WRITEV's CQE
     * first in 7 of 8 runs of WorldIoWqOrderTest). The deterministic mode asks its {@link Chooser} here, where one is
     * set ({@link EmulatedIoUring#withChooser}), at each item it runs: 0 runs the oldest pending item next (the
     * default), 1 the newest, 2 the second oldest (so an item queued between two others can finish first), each
     * among the items a worker could take: hashed work ({@link IoWqHash}: the writes of one regular file that an
     * issue sent there, not forced-async ones) runs one item at a time in queue order, so of a hash's items only the
     * oldest can be taken, and only once none of them still runs ({@link #IOWQ_STILL_RUNNING}); with one item to take
     * the chooser is not asked (world lockstep seed 531: a SPLICE into the file and a buffered WRITEV of it, the
     * WRITEV's CQE first).
     */
    public static final Choice IOWQ_COMPLETION_ORDER = new Choice("IOWQ_COMPLETION_ORDER", "io_worker_handle_work",
            "io_uring/io-wq.c io_wq_enqueue (work to concurrent workers), io_uring/io_uring.c io_req_complete_post",
            List.of("oldest first", "newest first", "second oldest first"), 0);

    /**
     * Whether io-wq work posts its CQE before the completions the ring's task is about to post. On a ring without
     * DEFER_TASKRUN or IOPOLL a worker posts its own CQE when it finishes (io_uring/io_uring.c
     * io_req_complete_post: io_cq_lock, io_fill_cqe_req, io_cq_unlock_post), while the task that submitted keeps
     * its inline completions on its batch list (io_req_complete_defer) and posts them together, under the same
     * lock, at the end of the submission or of a task work run (__io_submit_flush_completions). The worker runs
     * concurrently (io-wq.c io_worker_handle_work), so its CQE may come before any of those flushes, between two
     * of them (a chain's successors are issued and flushed from task work), or after all. The deterministic mode
     * asks at each flush of a ring's batch while io-wq work of that ring is pending, and before a multishot CQE the
     * task posts with an empty batch (io_req_post_cqe, under the same lock: seed 46, a multishot POLL_ADD's task work
     * at the end of the enter against an OPENAT's worker): 0 (the default) posts it later, k (1 to 3) runs k
     * such items now, in turn, and posts their CQEs first: several workers run at once, so more than one may
     * finish before the task's flush, in any order ({@link #IOWQ_COMPLETION_ORDER} picks each, as among the items
     * run later; world seed 201: a STATX and an IOSQE_ASYNC READ of a socket, the READ's CQE first, both before a
     * NOP's task work) (seed 42 at step 152: an OPENAT's and a STATX's CQEs, both forced async, before
     * a multishot poll's task work at the end of the enter; seed 60: two hashed writes of the file before a count
     * TIMEOUT's task work).
     */
    public static final Choice IOWQ_POSTS_BEFORE_FLUSH = new Choice("IOWQ_POSTS_BEFORE_FLUSH",
            "io_req_complete_post",
            "io_uring/io_uring.c io_req_complete_post (7.2.13 line 919; 6.18 the same with ctx->lockless_cq: "
                    + "the worker posts under completion_lock) against __io_submit_flush_completions (line 1136: the "
                    + "task's batch, under the same lock)",
            List.of("after this flush", "before this flush", "two before this flush", "three before this flush"), 0);

    /**
     * Whether io-wq work of a DEFER_TASKRUN ring has finished before the enter that submitted it runs local task
     * work. On such a ring a worker's completion becomes local task work (io_uring/io_uring.c
     * io_req_complete_post: ctx->lockless_cq, io_req_task_work_add -> io_req_local_work_add, which raises
     * IORING_SQ_TASKRUN on a TASKRUN_FLAG ring); the task runs that list only in a GETEVENTS wait
     * (io_cqring_wait: io_run_local_work, which clears IORING_SQ_TASKRUN first) or at the next enter. Whether the
     * worker got there before the submitting enter's wait looked is a race: either the CQE is posted by that enter
     * and the flag is clear after it, or the CQE waits for a later GETEVENTS and the flag stays raised. The same
     * holds for a wakeup of a poll armed by io-wq racing the enter. Asked when the work is queued: 0 (the default)
     * finished at once, its completion queued before the enter's wait; 1 finished after the enter returned, by the
     * next call on the ring; 2 or 3 finished later still, after 1 or 2 more calls (any enter or register, an empty
     * one too: time passes between the application's calls, not in them). The worker queues its completion whenever
     * it finishes, without the task (io_req_local_work_add, lockless: the first item on an empty work_llist raises
     * IORING_SQ_TASKRUN on a TASKRUN_FLAG ring), so the flag may rise while the application does something else
     * entirely (world lockstep seed 634: an IOSQE_ASYNC WRITEV of the pipe, its enter agreed, and the kernel's flag
     * was up at the next step, a truncate of the data file; seeds 660 and 780 at a write of the SQ array). The
     * deterministic mode moves io-wq only when a call looks, so a later call stands for that later moment.
     */
    public static final Choice IOWQ_RACES_DEFER_TASKRUN_WAIT = new Choice("IOWQ_RACES_DEFER_TASKRUN_WAIT",
            "io_cqring_wait",
            "io_uring/io_uring.c io_req_complete_post (7.2.13 line 935, lockless_cq: task work; 6.18 alike), "
                    + "tw.c io_req_local_work_add (line 151, io_ctx_mark_taskrun: IORING_SQ_TASKRUN set), wait.c "
                    + "io_cqring_wait (line 202), tw.c __io_run_local_work (line 319: IORING_SQ_TASKRUN cleared; "
                    + "io_run_local_work_continue, line 284, sets it again for work that came during the run)",
            List.of("finished before the wait", "finished after the enter", "finished after 1 more call",
                    "finished after 2 more calls"), 0);

    /**
     * For how many more calls on the ring, empty ones too, io-wq work of a ring whose workers post their own CQEs
     * (neither DEFER_TASKRUN nor IOPOLL) is still running once the enters {@link #IOWQ_STILL_RUNNING} names are over:
     * {@link #IOWQ_RACES_DEFER_TASKRUN_WAIT}'s later calls, for the other rings. The worker finishes on its own time
     * (io_uring/io-wq.c io_worker_handle_work) and posts then (io_uring/io_uring.c io_req_complete_post); where the
     * overflow list holds CQEs (io_cqe_cache_refill refuses every new CQE while IO_CHECK_CQ_OVERFLOW_BIT is set) its
     * CQE becomes task work (defer_complete: io_req_task_work_add), which the task runs on its next way back to user
     * space and puts at the overflow list's tail (__io_submit_flush_completions -> io_cqe_overflow_locked). So where
     * that CQE stands in the list is the moment the worker finished, which may fall between two of the application's
     * calls, while it writes SQEs or acts on the world, not only at an enter that submits or waits (world lockstep
     * seed 82: a SPLICE from the pipe to the socket that had sent nothing by the next step's read of the peer, and
     * whose CQE the kernel's overflow list held ahead of the next enter's NOPs; seed 147: a STATX still running at
     * five enters, whose CQE the kernel put after that of an ACCEPT a world connect completed after the fifth, and
     * before the NOP of the next enter). The deterministic mode moves io-wq only when a call looks, so a later call
     * stands for that later moment. Asked, where a chooser is set, when such work goes pending while the CQ takes no
     * CQE (the overflow list holds entries, or the CQ is full; elsewhere the worker's CQE is posted at once, where the
     * other points place it): 0 (the default) finished by the next look, k (1 to 3) still running at the next k
     * looks, finished by the one after.
     */
    public static final Choice IOWQ_FINISHES_BETWEEN_CALLS = new Choice("IOWQ_FINISHES_BETWEEN_CALLS",
            "io_worker_handle_work",
            "io_uring/io-wq.c io_worker_handle_work (the worker's own time), io_uring/io_uring.c io_req_complete_post "
                    + "(defer_complete: task work while the overflow list holds CQEs, run on the task's next return "
                    + "to user space)",
            List.of("finished by the next look", "still running at 1 more call", "still running at 2 more calls",
                    "still running at 3 more calls"), 0);

    /**
     * Where, in the submission that queued it, io-wq work of a DEFER_TASKRUN ring finishes, when it finishes before
     * the enter's wait ({@link #IOWQ_RACES_DEFER_TASKRUN_WAIT} 0). The worker runs concurrently with the task
     * (io_uring/io-wq.c io_wq_enqueue wakes or creates it; io_worker_handle_work), and its completion is queued as
     * local task work when it finishes (io_uring/io_uring.c io_req_complete_post, lockless_cq: io_req_task_work_add,
     * tw.c io_req_local_work_add, an llist the wait runs in order of arrival); meanwhile the task goes on with the
     * SQEs after it (io_submit_sqes) and ends with io_submit_state_end, whose flush frees the batch: a failed chain's
     * io_fail_links and a linked timeout disarmed by its completed head (timeout.c io_disarm_next) queue their task
     * work there (io_req_task_queue, io_req_queue_tw_complete), onto the same list. So the worker's task work may come
     * before, between or after the task work of the SQEs after it (world lockstep seed 543: a STATX and an IOSQE_ASYNC
     * READV's completions after the -ECANCELED of a linked timeout that the same submission's flush disarmed; seed
     * 253: an IOSQE_ASYNC WRITE's -EPIPE between failed chains' task work of one submission). Asked, where a chooser
     * is set, when unhashed work is queued during a submission: 0 (the default) finished at once, before the next
     * SQE; k (1 to {@value #MAX_SQES_FINISHING}) after the next k SQEs of the submission, the end's flush counting as
     * one; a count past that flush finishes after it, the smallest count first. Hashed work keeps its queue order.
     * On a ring whose workers post their own CQEs (neither DEFER_TASKRUN nor IOPOLL: io_req_complete_post takes
     * completion_lock, fills, and commits with io_cq_unlock_post, whose io_commit_cqring_flush runs
     * io_flush_timeouts) the same race decides where in the submission the worker's CQE lands: k posts it after the
     * next k SQEs, in a commit of its own, ahead of the task's batch, whose completions the task posts at the
     * submission's end; a count past that flush posts it after the flush and before the task runs its task work on
     * the way back to user space. There 0 leaves the item to io-wq as before ({@link #IOWQ_POSTS_BEFORE_FLUSH},
     * {@link #IOWQ_STILL_RUNNING}). World lockstep seed 668: a STATX of an absent path on io-wq, a TIMEOUT of one
     * CQE and a CONNECT whose retry is the task's task work (its poll's); in 2 of 12 runs at load 22 the kernel posted
     * the STATX's CQE first and the TIMEOUT's before the CONNECT's: the STATX's commit fired the TIMEOUT, whose
     * completion (io_flush_killed_timeouts: io_req_queue_tw_complete) was queued before the CONNECT's retry.
     */
    public static final Choice IOWQ_FINISHES_DURING_SUBMIT = new Choice("IOWQ_FINISHES_DURING_SUBMIT",
            "io_worker_handle_work",
            "io_uring/io-wq.c io_worker_handle_work (concurrent with the task), io_uring/io_uring.c io_submit_sqes and "
                    + "io_submit_state_end (the task's SQEs, then its flush), tw.c io_req_local_work_add (7.2.13 line "
                    + "151: task work in order of arrival)",
            java.util.stream.IntStream.rangeClosed(0, 8).mapToObj(k -> k == 0 ? "finished at once"
                    : "finished after " + k + " more SQEs or the flush").toList(), 0);
    /** The most SQEs {@link #IOWQ_FINISHES_DURING_SUBMIT} lets an item run across. */
    static final int MAX_SQES_FINISHING = 8;

    /**
     * Whether io-wq work that the ring's task queued while it runs its task work finishes before the task runs the
     * next item of that run. On a ring without DEFER_TASKRUN the task runs its task work in one loop
     * (io_uring/io_uring.c tctx_task_work_run -> io_handle_tw_list, under the ring's uring_lock, its completions
     * batched until ctx_flush_and_put at the end); an item may hand its request to io-wq (io_req_task_submit ->
     * io_queue_iowq: a forced-async request whose poll woke; io_wq_enqueue wakes an idle worker), and that worker runs
     * on the other CPU (io-wq.c io_worker_handle_work -> io_wq_submit_work: a pollable file is tried at once) while
     * the task goes on with its loop. Nothing orders the worker's call against the task's next item: a READV's worker
     * may read a pipe's first bytes before a READ's task work reads the rest (world lockstep seed 745: IOSQE_ASYNC
     * READVs and READs of a pipe, woken together by a SPLICE into it, the kernel's READ buffer holding bytes from
     * further into the stream), or an eventfd's count (seed 826: an IOSQE_ASYNC READV and a READ of the eventfd, the
     * kernel's READ buffer untouched). The worker posts its own CQE (io_req_complete_post, under completion_lock),
     * ahead of the task's batch. The deterministic mode asks, where a chooser is set, before each item of a run after
     * the first, once for each pending item queued by the run's item before it: 0 (the default) leaves it pending
     * (it finishes after the run, at the next look at io-wq work), 1 runs it now.
     */
    public static final Choice IOWQ_FINISHES_BEFORE_NEXT_TASK_WORK = new Choice(
            "IOWQ_FINISHES_BEFORE_NEXT_TASK_WORK", "io_handle_tw_list",
            "io_uring/io_uring.c io_handle_tw_list (6.18: the task's loop over its task work) and io_req_task_submit "
                    + "-> io_queue_iowq; io-wq.c io_worker_handle_work on another CPU, io_req_complete_post",
            List.of("after the run", "before the task's next item"), 0);

    /**
     * Whether an io-wq worker that waited in its call, woken by another worker's call, posts its CQE before the worker
     * that woke it. A SPLICE into a pipe wakes the pipe's readers once it has dropped the pipe's mutex (fs/splice.c
     * splice_file_to_pipe -> wakeup_pipe_readers); a worker blocked in its own call on that pipe (fs/splice.c
     * splice_from_pipe_next -> fs/pipe.c pipe_wait_readable) is made runnable (kernel/sched/wait.c __wake_up_common,
     * try_to_wake_up) and goes on on the other CPU, while the waker still returns through the splice to
     * io_wq_submit_work and io_req_complete_post; whichever takes completion_lock first posts first
     * (WorldIoWqWakesPipeWaitersTest: in a fresh-clone CI run at load 1, run 8 of 20, the woken SPLICE's CQE came
     * first). The deterministic mode asks, where a chooser is set, when pending work's call made the file of work
     * waiting in its call ready: 0 (the default) hands the waker's completion over first; 1 runs the woken work first
     * (it takes the bytes before the polls that the same wakeup reached) and hands the waker's completion over after
     * its.
     */
    public static final Choice WOKEN_WORKER_POSTS_FIRST = new Choice("WOKEN_WORKER_POSTS_FIRST", "__wake_up_common",
            "fs/splice.c splice_file_to_pipe -> wakeup_pipe_readers (after pipe_unlock), kernel/sched/wait.c "
                    + "__wake_up_common; io_uring/io_uring.c io_req_complete_post of each worker, under "
                    + "completion_lock",
            List.of("the waker first", "the woken worker first"), 0);

    /**
     * For how many of the next enters an io-wq item is still running. A worker runs for as long as its call takes (an
     * FSYNC of a file with dirty pages waits for the disk; an OPENAT's lookup that missed the dentry cache waits for
     * the directory, and both wait for a CPU under load), while the task goes on submitting and reaping, so its CQE may
     * come several enters after the one that queued it (world lockstep seed 113: an FSYNC's CQE seven enters later;
     * seed 72: an OPENAT's after the next NOP's; seed 124: a buffered WRITEV of the data file, hashed, not yet written
     * when a READ of those bytes came eight enters later, at load 10 to 14). On a DEFER_TASKRUN ring the same holds for
     * the GETEVENTS waits after the one {@link #IOWQ_RACES_DEFER_TASKRUN_WAIT} names (an item still running has not
     * finished at once; seed 103: a forced-async WRITE_FIXED's worker not done 200 ms after its enter, at load 22),
     * and that choice, asked beside this one, then says how many calls after the last enter that found it running
     * it finished (0 and 1 alike: by the next call; world lockstep seed 115: a forced-async SPLICE's task work
     * raised the kernel's IORING_SQ_TASKRUN a call after a GETEVENTS wait had found nothing, six enters after its
     * own; seed 1339: an FSYNC of the data file, still running eight enters and 32 steps after its own at load 15,
     * finished while the task slept 20 ms, its CQE last on the kernel's overflow list, behind NOPs submitted 31 steps
     * after it: 8 here and 2 there, both at its enter, give the kernel's IORING_SQ_TASKRUN at that step; seed 1921:
     * an OPENAT, 6 and 2). The deterministic mode asks, where a chooser is set, when the item is queued: k (0, the
     * default, up to {@value #MAX_ENTERS_RUNNING}) means the item is still running at the start of the next k enters
     * that submit or wait, or calls of io_uring_register, which leave it pending, and has finished by the next look
     * after (an empty enter takes no time: it leaves the item as it is, and is such a look once the count is spent;
     * seed 42: an OPENAT with O_CREAT whose CQE came after the next two such enters; and at step 111, an OPENAT into a
     * direct slot whose worker installed its file after the application registered the file table, res 0, and posted
     * before the next enter's CQEs). Asked once, so that one choice, made where the request was submitted, explains a
     * CQE that shows many steps later. A wait that sleeps always lets it finish (its worker then has the CPU the
     * waiting task leaves), so the choice cannot hold a CQE back for ever, nor explain a CQE the kernel never posts.
     */
    public static final Choice IOWQ_STILL_RUNNING = new Choice("IOWQ_STILL_RUNNING", "io_worker_handle_work",
            "io_uring/io-wq.c io_worker_handle_work (the work runs on the worker, io_wq_submit_work, for as long as "
                    + "its call blocks), io_uring/io_uring.c io_req_complete_post (its CQE, or task work, when done)",
            java.util.stream.IntStream.rangeClosed(0, IoWqChoices.MAX_ENTERS_RUNNING)
                    .mapToObj(k -> k == 0 ? "finished by the next enter"
                            : "still running at " + k + (k == 1 ? " more enter" : " more enters")).toList(), 0);
    /**
     * Whether a worker has taken an io-wq item off its list when a cancellation looks for it. io_wq_enqueue puts the
     * item on its acct's work_list and wakes an idle worker (io_wq_activate_free_worker: wake_up_process) or makes one
     * (io_wq_create_worker -> create_io_worker: create_io_thread, io_init_new_worker: wake_up_new_task; or, from a
     * worker that went to sleep, io_queue_worker_create: task work of the submitting task); the worker takes the item
     * when the scheduler runs it (io_worker_handle_work -> io_get_next_work, under acct->lock). The canceller looks
     * under the same lock (io_async_cancel_one -> io_wq_cancel_cb -> io_acct_cancel_pending_work) and, where the item
     * is still on the list, removes it: the cancellation answers 0 and the item ends -ECANCELED (io_run_cancel ->
     * io_wq_submit_work with IO_WQ_WORK_CANCEL); where a worker has it, the worker is signalled and the cancellation
     * answers -EALREADY (io_wq_cancel_running_work -> io_wq_worker_cancel). Nothing orders the woken worker's first
     * run against the task's next calls: on two CPUs at load 12 a SPLICE from an empty pipe was still on the list
     * three enters after its own (world lockstep seed 1025: ASYNC_CANCEL answered 0 in 2 of 10 runs, -EALREADY in 8).
     * The deterministic mode takes an item whose call waits for the world (here: the pipe) as soon as it looks at
     * pending work, so it asks here, where a chooser is set, when a cancellation finds such an item running: 0 (the
     * default) a worker had taken it; 1 no worker had taken it yet. A ring's exit asks it too for an item held as still
     * running ({@link #IOWQ_STILL_RUNNING}) that the emulator has not started: a worker that took it posts after the
     * close ({@link #IOWQ_POSTS_AFTER_EXIT}; an FSYNC is not ended by the exit's signal), one that had not is
     * cancelled.
     */
    public static final Choice IOWQ_NOT_TAKEN_YET = new Choice("IOWQ_NOT_TAKEN_YET", "io_wq_cancel_cb",
            "io_uring/io-wq.c io_wq_enqueue (wakes or creates a worker) and io_worker_handle_work -> io_get_next_work "
                    + "(the worker takes the item under acct->lock) against io_wq_cancel_cb -> "
                    + "io_acct_cancel_pending_work (the canceller, under the same lock)",
            List.of("taken by a worker", "not taken by a worker yet"), 0);

    /**
     * Whether the task work that an io-wq worker's own call queued runs before the worker posts its CQE. A worker's
     * write to a socket or a pipe wakes the polls armed on the other end inside the call (net/core/sock.c
     * sock_def_readable, fs/pipe.c pipe_write -> io_uring/poll.c io_poll_wake -> __io_poll_execute ->
     * io_req_task_work_add: task work of the task that armed the poll, notified with TWA_SIGNAL); the worker then
     * returns from the call and, on a ring without DEFER_TASKRUN or IOPOLL, posts its own CQE under completion_lock
     * (io_uring/io_uring.c io_req_complete_post). The notified task runs that task work on its own CPU
     * (tctx_task_work -> io_poll_task_func, which posts the poll's CQE) while the worker is on its way back, so
     * either CQE may come first. Asked, where a chooser is set, when io-wq work whose call writes to a pollable file
     * (an opcode that polls for POLLOUT) is queued on such a ring, to be used when it runs: 0 (the default) the
     * worker's CQE first; 1 the task work its call queued first (world lockstep seed 268: an IOSQE_ASYNC WRITE of a
     * socket still running some enters later, whose bytes fired a POLL_ADD of the socket's peer armed meanwhile; the
     * kernel posted the poll's CQE before the WRITE's in 3 of 3 runs under SCHED_FIFO). Where the CQ takes no CQE
     * when the worker finishes there is no race: the worker posts nothing, and its completion is task work queued
     * behind the poll's ({@link IoWqFillRefused}), whatever this choice says.
     */
    public static final Choice IOWQ_WAKES_BEFORE_IT_POSTS = new Choice("IOWQ_WAKES_BEFORE_IT_POSTS",
            "io_req_complete_post", "io_uring/poll.c io_poll_wake -> __io_poll_execute -> io_req_task_work_add (in "
                    + "the worker's call), run by the task in tctx_task_work, against io_uring/io_uring.c "
                    + "io_req_complete_post (the worker's CQE, after its call returns)",
            List.of("the worker's CQE first", "the task work its call queued first"), 0);

    /**
     * For how many of the task's next calls an io-wq worker that a ring's close interrupted in its call is still on its
     * way to its post. The close only queues the ring's exit (io_uring/io_uring.c io_uring_release ->
     * io_ring_ctx_wait_and_kill: queue_work of io_ring_exit_work) and returns; a kworker runs the exit on its own
     * time, whose cancellation signals the worker that runs the ring's work (io_uring_try_cancel_requests ->
     * io-wq.c io_wq_cancel_cb -> io_wq_worker_cancel: a notify signal), and that worker, woken on its own CPU, ends
     * its call and posts (io_worker_handle_work -> io_wq_submit_work, io_req_complete_post), signalling the ring's
     * ASYNC eventfd ({@link dev.ringspec.emulator.ops.EventFd#workerSignalAtExit}). Nothing orders that against the
     * task, which goes on with its next calls meanwhile (world lockstep seed 2961: a SPLICE of a socket waiting on
     * io-wq when the ring was closed; the ASYNC eventfd's count read after the next ring's setup and one empty enter
     * held the worker's signal in 5 of 14 runs at load 5 to 9; WorldIoWqPostsAfterExitTest's read at once, in 4 of
     * its first 5 runs and in none of 5 in a second). The deterministic mode asks, where a chooser is set, at the
     * close, for each such worker whose post signals: k (0 to 3) still running at the next k looks at io-wq work (an
     * enter or a register on any ring, or a wait), posted by the one after; 1, the default, the order seed 2961 showed
     * more often (and 10 runs after the change: 5 and 5).
     */
    public static final Choice IOWQ_POSTS_AFTER_EXIT = new Choice("IOWQ_POSTS_AFTER_EXIT", "io_ring_exit_work",
            "io_uring/io_uring.c io_ring_ctx_wait_and_kill (queue_work) and io_ring_exit_work -> "
                    + "io_uring_try_cancel_requests -> io-wq.c io_wq_cancel_cb -> io_wq_worker_cancel; the worker's "
                    + "io_req_complete_post and its eventfd signal",
            List.of("posted by the next look", "still running at 1 more call", "still running at 2 more calls",
                    "still running at 3 more calls"), 1);

    /**
     * The most enters {@link #IOWQ_STILL_RUNNING} lets an item run across. The kernel sets none (a worker blocks for
     * as long as its call does); this one bounds the outcomes a search may try, which tries no more of them than
     * there were calls on the ring since. World lockstep seed 99: a buffered WRITEV of the data file on io-wq, whose
     * CQE the kernel posted after those of 10 later calls on the ring (the bound was 10).
     */
    static final int MAX_ENTERS_RUNNING = 24;
}
