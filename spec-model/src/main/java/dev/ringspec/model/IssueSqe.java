package dev.ringspec.model;

import static dev.ringspec.model.Req.REQ_F_ARM_LTIMEOUT;
import static dev.ringspec.model.Req.REQ_F_FAIL;
import static dev.ringspec.model.Req.REQ_F_FORCE_ASYNC;
import static dev.ringspec.uapi.Errno.EAGAIN;
import static dev.ringspec.uapi.Errno.EBADF;
import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINTR;
import static dev.ringspec.uapi.Errno.ETIME;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_DEFER_TASKRUN;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_HARDLINK;
import static dev.ringspec.uapi.IoUring.IOSQE_IO_LINK;
import static dev.ringspec.uapi.Poll.EPOLLEXCLUSIVE;
import static dev.ringspec.uapi.Poll.POLLIN;
import static dev.ringspec.uapi.Poll.POLLOUT;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Issuing a request (io_uring/io_uring.c): {@code io_queue_sqe} issues inline, {@code io_queue_sqe_fallback} takes
 * failed chains, drained and forced-async requests, {@code io_issue_sqe} calls the opcode's {@link OpDef.Issue}
 * from the {@link IoIssueDefs} table, and {@code io_req_task_submit} issues from task work. Also the ring's
 * {@link IssueContext}, the only view of the ring an opcode gets, and the {@link TaskWork.Runner} that says what a
 * task work item does.
 */
final class IssueSqe implements IssueContext, TaskWork.Runner {
    /** What the model's io-wq queues: issue from task work, whatever IOSQE_ASYNC says. */
    static final int TW_IOWQ = 4;

    private final KernelProfile profile;
    private final int flags;
    private final int fd;
    private final RuleSink rules;
    private final Completion completion;
    private final Drain drain;
    private final TaskWork taskWork;
    private final FileTable files;
    private final BufferTable buffers;
    private final Links links;
    private final CqeCache cq;
    private final SqRing sq;
    private final RingPoll ringPoll;
    private final ModelIoUring kernel;
    private IoWq ioWq = IoWq.TASK_WORK;
    /** The iopoll list of an IOPOLL ring, else null. */
    private IopollList iopoll;
    private InitReq init;
    private boolean inTaskWork;
    private final Map<Class<?>, Object> ringLocals = new ConcurrentHashMap<>();
    private final ReqCache reqs;

    /** {@code ctx->cq_timeouts} ({@link #cqTimeouts}). */
    private final AtomicInteger cqTimeouts = new AtomicInteger();

    IssueSqe(ModelIoUring kernel, int flags, int fd, RuleSink rules, Completion completion, Drain drain,
            TaskWork taskWork, FileTable files, BufferTable buffers, Links links, CqeCache cq, SqRing sq,
            ReqCache reqs, RingPoll ringPoll) {
        this.kernel = kernel;
        this.profile = kernel.profile();
        this.flags = flags;
        this.fd = fd;
        this.rules = rules;
        this.completion = completion;
        this.drain = drain;
        this.taskWork = taskWork;
        this.files = files;
        this.buffers = buffers;
        this.links = links;
        this.cq = cq;
        this.sq = sq;
        this.reqs = reqs;
        this.ringPoll = ringPoll;
        // one BiConsumer for every flush (a lambda made in the Runnable would be an allocation per flush)
        java.util.function.BiConsumer<Req, OpDef.Issue> post = (req, func) -> {
            boolean was = inTaskWork;
            inTaskWork = true;
            try {
                issueResult(req, func.issue(req, this));
            } finally {
                inTaskWork = was;
            }
        };
        completion.beforeFlush(() -> ioWq.beforeFlush(this, post));
        this.postAlone = (req, func) -> completion.postAlone(() -> post.accept(req, func));
    }

    /** An io-wq worker's own post of its completion while the task submits ({@link Completion#postAlone}). */
    private final java.util.function.BiConsumer<Req, OpDef.Issue> postAlone;

    /** The ring's io_init_req, whose SQE a prep reads ({@link #sqeLong}). */
    void init(InitReq initReq) {
        this.init = initReq;
    }

    void ioWq(IoWq newIoWq) {
        this.ioWq = newIoWq;
    }

    /** The submission reached {@code point} ({@link IoWq#submitting}). */
    void submitting(IoWq.SubmitPoint point) {
        ioWq.submitting(this, point, postAlone);
    }

    void iopoll(IopollList list) {
        this.iopoll = list;
    }

    @Override
    public void iopollReqIssued(Req req) {
        if (iopoll == null) {
            throw new IllegalStateException("io_iopoll_req_issued on a ring without IORING_SETUP_IOPOLL");
        }
        iopoll.issued(req);
    }

    /** {@code io_queue_sqe}: issue inline. */
    void queueSqe(Req req) {
        issueSqe(req);
    }

    /** {@code io_queue_sqe_fallback}: failed chains, drain, and forced-async requests. */
    void queueSqeFallback(Req req) {
        if (req.has(REQ_F_FAIL)) {
            // io_queue_sqe_fallback: a failed head completes as a plain link so io_fail_links cancels the rest
            req.clearFlags(IOSQE_IO_HARDLINK);
            req.addFlags(IOSQE_IO_LINK);
            if (profile.failedFallbackPostsAtOnce()) {
                // io_queue_sqe_fallback (6.1): io_req_complete_failed posts the CQE at once, ahead of the
                // batch's inline completions (6.1.192 io_uring.c, io_req_complete_post); found by lockstep
                completion.reqCompleteFailed(req, req.res());
            } else {
                completion.reqDeferFailed(req, req.res());
            }
        } else if (drain.active()) {
            drain.drainReq(req);
        } else {
            queueIoWq(req);
        }
    }

    /** {@code io_issue_sqe}: the opcode's issue, then what its answer means. */
    private void issueSqe(Req req) {
        OpDef def = req.def();
        // io_assign_file: an opcode that needs a file and has none -> -EBADF
        if (def.has(OpDef.NEEDS_FILE) && !issueFindsFile(req, def) && !assignFile(req)) {
            completion.reqDeferFailed(req, -EBADF);
            return;
        }
        // io_assign_file: req->file is set from here on (where the issue finds the file itself, a missing one fails
        // the request), so io-wq may hash this request by it later (io_prep_async_work)
        req.fileAssigned(def.has(OpDef.NEEDS_FILE));
        if (req.has(REQ_F_ARM_LTIMEOUT)) {
            issueWithLinkedTimeout(req, def);
            return;
        }
        issueResult(req, def.issue().issue(req, this));
    }

    /** {@code __io_issue_sqe} with REQ_F_ARM_LTIMEOUT: the issue, then {@code io_queue_linked_timeout}. */
    private void issueWithLinkedTimeout(Req req, OpDef def) {
        Req timeout = links.prepLinkedTimeout(req);
        int ret = def.issue().issue(req, this);
        queueLinkedTimeout(timeout);
        issueResult(req, ret);
    }

    /** {@code io_queue_linked_timeout}: the timeout {@link Links#prepLinkedTimeout} answered starts (null: none). */
    private void queueLinkedTimeout(Req timeout) {
        if (timeout != null) {
            ((LinkedTimeout) timeout.opState()).queue(timeout, this);
        }
    }

    /** What an issue's (or a task work function's) answer means: complete, wait, poll, io-wq, or fail. */
    private void issueResult(Req req, int ret) {
        if (ret == OpDef.COMPLETE) {
            completion.completeDefer(req);
        } else if (ret != OpDef.SKIP_COMPLETE) {
            // io_queue_async: -EAGAIN arms a poll when the opcode may poll and its file can (io_arm_poll_handler),
            // else goes to io-wq (the model arms no poll); any other error fails the request
            if (ret == -EAGAIN) {
                OpDef def = req.def();
                int events = def.has(OpDef.POLLIN) ? POLLIN : def.has(OpDef.POLLOUT) ? POLLOUT : 0;
                // io_arm_poll_handler: def->poll_exclusive adds EPOLLEXCLUSIVE
                events |= events != 0 && def.has(OpDef.POLL_EXCLUSIVE) ? EPOLLEXCLUSIVE : 0;
                if (events != 0 && kernel.asyncPoll().arm(req, this, events)) {
                    rules.fire(Rules.ARM_POLL_HANDLER, req.userData());
                } else {
                    queueIoWq(req);
                }
            } else {
                completion.reqDeferFailed(req, ret);
            }
        }
    }

    @Override
    public MemorySegment userMemory(long address, long sizeBytes) {
        return kernel.userArgs().resolve(address, sizeBytes);
    }

    @Override
    public int fixedFdInstall(Req req, int fileSlot) {
        return files.fixedFdInstall(fileSlot);
    }

    /** {@link OpDef#ISSUE_FINDS_FILE}: the issue itself looks up this request's process descriptor. */
    private static boolean issueFindsFile(Req req, OpDef def) {
        return def.has(OpDef.ISSUE_FINDS_FILE) && !req.has(IOSQE_FIXED_FILE) && !req.has(REQ_F_ARM_LTIMEOUT);
    }

    private boolean assignFile(Req req) {
        return req.has(IOSQE_FIXED_FILE) ? fixedFileValid(req.fd()) : processFile(req) >= 0;
    }

    /**
     * {@code io_file_get_normal}: the request's reference to its process descriptor's file, taken at its first use
     * and held until the request is freed ({@link ReqCache#free}); -1 where the descriptor names nothing. Where the
     * issue finds the file itself, the reference is {@link ProcessDescriptorTable#getForIssue}'s.
     */
    private int processFile(Req req) {
        if (req.file() < 0) {
            ProcessDescriptorTable table = kernel.descriptorTable();
            int reference = issueFindsFile(req, req.def()) ? table.getForIssue(req.fd()) : table.get(req.fd());
            if (reference < 0) {
                return -1;
            }
            req.file(reference);
        }
        return req.file();
    }

    @Override
    public void runTaskWork(Req req, int action) {
        inTaskWork = true;
        Object task = req.task();
        Object before = RequestTask.enter(task);
        try {
            switch (action) {
                case Req.TW_ISSUE -> reqTaskSubmit(req);
                case TW_IOWQ -> {
                    if (req.has(REQ_F_FAIL)) {
                        completion.reqDeferFailed(req, req.res());
                    } else {
                        issueSqe(req);
                    }
                }
                case Req.TW_COMPLETE -> completion.completeDefer(req);
                case Req.TW_FAIL_LINKS -> completion.reqTwFailLinks(req);
                case Req.TW_FUNC -> {
                    OpDef.Issue func;
                    synchronized (req) {
                        func = req.twFunc();
                        req.twFunc(null);
                    }
                    issueResult(req, func.issue(req, this));
                }
                default -> throw new IllegalStateException("request queued as task work without an action");
            }
        } finally {
            RequestTask.leave(before, task);
            inTaskWork = false;
        }
    }

    @Override
    public void beforeItem(int item) {
        ioWq.beforeTaskWork(this, item, postAlone);
    }

    /** {@code io_req_task_submit}. */
    private void reqTaskSubmit(Req req) {
        if (req.has(REQ_F_FAIL)) {
            completion.reqDeferFailed(req, req.res());
        } else if ((flags & IORING_SETUP_DEFER_TASKRUN) == 0 && kernel.ioWq().taskExited(req.task())) {
            // io_req_task_submit: work of a task that exited runs in the fallback kworker (io_should_terminate_tw)
            // -> -EFAULT; a DEFER_TASKRUN ring's task work runs on the ring's own task, which is there
            rules.fire(Rules.TASK_SUBMIT_AFTER_EXIT, req.userData());
            completion.reqDeferFailed(req, -EFAULT);
        } else if (req.has(REQ_F_FORCE_ASYNC) && profile.taskSubmitHonoursForceAsync()) {
            // io_req_task_submit: a forced-async request goes to io-wq (6.12 on; 6.1 issues it here)
            queueIoWq(req);
        } else {
            issueSqe(req);
        }
    }

    /** The model's io-wq ({@link IoWq#TASK_WORK}): issue now if already in task work, else queue it there. */
    void queueTaskWorkIssue(Req req) {
        if (inTaskWork) {
            issueSqe(req);
        } else {
            taskWork.add(req, TW_IOWQ);
        }
    }

    @Override
    public void flushCompletions() {
        completion.submitFlushCompletions();
    }

    // ---- IssueContext ----

    @Override
    public KernelProfile profile() {
        return profile;
    }

    @Override
    public int setupFlags() {
        return flags;
    }

    @Override
    public boolean processFileOpen(int descriptor) {
        return kernel.descriptorTable().isOpen(descriptor);
    }

    @Override
    public boolean fixedFileValid(int index) {
        return files.valid(index);
    }

    @Override
    public boolean fixedBufferValid(int index) {
        return buffers.valid(index);
    }

    @Override
    public void fire(Rule rule, long detail) {
        rules.fire(rule, detail);
    }

    @Override
    public Clock clock() {
        return kernel.clock();
    }

    @Override
    public void reqSetFail(Req req) {
        completion.reqSetFail(req);
    }

    @Override
    public void setRes(Req req, int res, int cqeFlags) {
        req.setRes(res, cqeFlags);
    }

    @Override
    public void setRes32(Req req, int res, int cqeFlags, long extra1, long extra2) {
        req.setRes32(res, cqeFlags, extra1, extra2);
    }

    @Override
    public void completeInTaskWork(Req req) {
        taskWork.add(req, Req.TW_COMPLETE);
    }

    @Override
    public void completeFromOtherThread(Req req) {
        taskWork.addRemote(req, Req.TW_COMPLETE);
        kernel.waiter().wake(fd);
    }

    @Override
    public void queueIoWq(Req req) {
        // io_queue_iowq: io-wq runs it at a time of its own
        rules.fire(Rules.IO_QUEUE_IOWQ, req.userData());
        if (req.has(REQ_F_ARM_LTIMEOUT) && ioWq != IoWq.TASK_WORK) {
            // __io_issue_sqe on the io-wq worker starts the linked timeout as it issues; an io-wq whose workers
            // run the opcode's blocking form (an emulator's) never reaches issueSqe, so it starts here
            queueLinkedTimeout(links.prepLinkedTimeout(req));
        }
        if (ioWq != IoWq.TASK_WORK && req.def().has(OpDef.NEEDS_FILE) && !req.has(IOSQE_FIXED_FILE)) {
            // io_wq_submit_work's io_assign_file looks the descriptor up in the submitting task's table, which its
            // io-wq workers share; an emulator's workers act for no task, so the file is taken here, on the thread
            // that queues the request (its task's, or the one running its task work), and held while it waits
            holdFile(req);
        }
        ioWq.queue(req, this);
    }

    @Override
    public void reissue(Req req) {
        issueSqe(req);
    }

    @Override
    public void taskSubmit(Req req) {
        reqTaskSubmit(req);
    }

    @Override
    public int ringFd() {
        return fd;
    }

    @Override
    public int fixedFileDescriptor(int index) {
        return files.descriptor(index);
    }

    @Override
    public int fileDescriptor(Req req) {
        return req.has(IOSQE_FIXED_FILE) ? files.descriptor(req.fd()) : processFile(req);
    }

    @Override
    public boolean holdFile(Req req) {
        if (req.has(IOSQE_FIXED_FILE) || processFile(req) < 0) {
            return false;
        }
        int held = kernel.descriptorTable().hold(req.file());
        if (held == req.file()) {
            return false;
        }
        req.file(held);
        reqs.holding(req);
        return true;
    }

    @Override
    public RegisteredBuffer fixedBuffer(int index) {
        return buffers.buffer(index);
    }

    @Override
    public int fixedFdInstall(Req req, int fileSlot, int descriptor) {
        return files.fixedFdInstall(fileSlot, descriptor);
    }

    @Override
    public void taskWork(Req req, OpDef.Issue func) {
        req.twFunc(func);
        taskWork.add(req, Req.TW_FUNC);
    }

    @Override
    public void taskWorkFromOtherThread(Req req, OpDef.Issue func) {
        synchronized (req) {
            OpDef.Issue queued = req.twFunc();
            if (queued != null) {
                // already queued and not yet run: a request of a hosted program whose descriptor was installed from
                // another thread (ReceiveFd) while its io-wq completion was on its way; both run, in queue order,
                // and the one that completes decides (the other answers SKIP_COMPLETE)
                req.twFunc((r, c) -> {
                    int first = queued.issue(r, c);
                    int second = func.issue(r, c);
                    return first == OpDef.SKIP_COMPLETE ? second : first;
                });
                return;
            }
            req.twFunc(func);
            taskWork.addRemote(req, Req.TW_FUNC);
        }
        kernel.waiter().wake(fd);
    }

    @Override
    public boolean postAuxCqe(long userData, int res, int cqeFlags) {
        return completion.postAuxCqe(userData, res, cqeFlags);
    }

    @Override
    public void postAuxCqeRemote(long userData, int res, int cqeFlags) {
        // io_msg_remote_post: a request of the target's own, never from its cache, whose task work posts the CQE
        rules.fire(Rules.MSG_REMOTE_POST, userData);
        taskWork.addRemote(auxCqeRequest(userData, res, cqeFlags), Req.TW_FUNC);
        kernel.waiter().wake(fd);
    }

    @Override
    public void postCqeInTaskWork(long userData, int res, int cqeFlags) {
        // io_notif_tw_complete: io_req_task_complete, so the CQE joins the task work run's batch in its order
        Req notif = completion.allocAux(userData);
        notif.twFunc((r, c) -> {
            c.setRes(r, res, cqeFlags);
            return OpDef.COMPLETE;
        });
        taskWork.add(notif, Req.TW_FUNC);
    }

    /** A request of the ring's own, never from its cache, whose task work posts one CQE. */
    private Req auxCqeRequest(long userData, int res, int cqeFlags) {
        Req target = new Req();
        target.init(0, userData);
        target.twFunc((r, c) -> {
            // io_msg_tw_complete: io_add_aux_cqe, committed by the flush at the end of the task work run
            completion.addAuxCqe(userData, res, cqeFlags);
            return OpDef.SKIP_COMPLETE;
        });
        return target;
    }

    @Override
    public boolean taskComplete() {
        // io_uring_create: DEFER_TASKRUN without IOPOLL (6.12 and 7.2 alike; SQPOLL refuses DEFER_TASKRUN)
        return (flags & IORING_SETUP_DEFER_TASKRUN) != 0 && (flags & IORING_SETUP_IOPOLL) == 0;
    }

    @Override
    public boolean ringDisabled() {
        return kernel.ringDisabled(fd);
    }

    @Override
    public int fixedFdRemove(int offset) {
        return files.fixedFdRemove(offset);
    }

    @Override
    public int filesUpdate(int offset, long data, int nrArgs) {
        return kernel.filesUpdate(fd, offset, data, nrArgs);
    }

    @Override
    public int fileTableSize() {
        return files.size();
    }

    @Override
    public void forceAsync(Req req) {
        req.addFlags(REQ_F_FORCE_ASYNC);
    }

    @Override
    public boolean postCqe(Req req, int res, int cqeFlags) {
        return completion.postCqe(req, res, cqeFlags);
    }

    @Override
    public <T> T ringLocal(Class<T> type, Supplier<? extends T> init) {
        // looked up first: computeIfAbsent's capturing lambda would be an allocation on every call (hosting asks
        // for the ring's Inflight after each io_uring_enter)
        Object local = ringLocals.get(type);
        return type.cast(local != null ? local : ringLocals.computeIfAbsent(type, t -> init.get()));
    }

    @Override
    public int cqTimeouts() {
        return cqTimeouts.get();
    }

    @Override
    public void countCqTimeout() {
        cqTimeouts.incrementAndGet();
    }

    @Override
    public int ringPollMask() {
        return ringPoll.poll();
    }

    @Override
    public void onCommit(CommitFlush part, Runnable hook) {
        // __io_commit_cqring_flush: the poll wait queue is woken only once active (io_activate_pollwq)
        completion.addCommitHook(part, part == CommitFlush.POLL_WQ ? ringPoll.waiter(hook) : hook);
    }

    @Override
    public void onLocalWorkAdd(Runnable hook) {
        taskWork.onLocalWorkAdd(hook);
    }

    @Override
    public boolean taskWorkQueued() {
        return (flags & IORING_SETUP_DEFER_TASKRUN) == 0 && taskWork.ownQueued();
    }

    @Override
    public void beforeTaskWorkRun(java.util.function.BooleanSupplier hook) {
        taskWork.beforeRun(hook);
    }

    @Override
    public void wake() {
        kernel.waiter().wake(fd);
    }

    @Override
    public int syncCancelSleep(long deadlineNanos) {
        // io_run_task_work_sig: local work (min INT_MAX, max IO_LOCAL_TW_DEFAULT_MAX), else the task's; any ran: 0
        if (taskWork.pending()) {
            taskWork.runForWait(Integer.MAX_VALUE, TaskWork.LOCAL_TW_DEFAULT_MAX);
            return 0;
        }
        // schedule_hrtimeout: woken (a completion on cq_wait) -> look again; 0 (expired) -> -ETIME
        Waiter waiter = kernel.waiter();
        if (waiter.sleep(fd, deadlineNanos)) {
            return 0;
        }
        if (waiter.signalled()) {
            return -EINTR;
        }
        if (deadlineNanos != Waiter.NO_DEADLINE && clock().nanoTime() - deadlineNanos >= 0) {
            return -ETIME;
        }
        // a waiter that cannot sleep (the model's own): ends as a signal would, as io_cqring_wait's does
        return -EINTR;
    }

    @Override
    public long sqeLong(int offset) {
        return init.sqeLong(offset);
    }

    @Override
    public Req linkLast() {
        return links.last();
    }

    @Override
    public void armLinkedTimeout(Req last, Req timeout) {
        if (!(timeout.opState() instanceof LinkedTimeout)) {
            throw new IllegalArgumentException("a linked timeout's opState is its LinkedTimeout: " + timeout);
        }
        // __io_timeout_prep: link->last->flags |= REQ_F_ARM_LTIMEOUT
        last.addFlags(REQ_F_ARM_LTIMEOUT);
    }

    @Override
    public void linkedTimeoutNeverStarted(Req req) {
        links.unstartLinkedTimeout(req);
    }

    @Override
    public void spliceLinkedTimeout(Req prev, Req timeout) {
        links.spliceLinkedTimeout(prev, timeout);
    }

    @Override
    public void setUserData(Req req, long userData) {
        req.userData(userData);
    }

    @Override
    public int cachedCqTail() {
        return cq.cachedCqTail();
    }

    @Override
    public int cqEntries() {
        return completion.cqEntries();
    }

    @Override
    public boolean localWorkPending() {
        return (flags & IORING_SETUP_DEFER_TASKRUN) != 0 && taskWork.pending();
    }

    @Override
    public int cqRoom() {
        return cq.room();
    }

    @Override
    public boolean cqeFillRefused() {
        return cq.fillRefused();
    }

    @Override
    public int cqFlags() {
        return completion.cqFlags();
    }

    /**
     * Closes the {@link AutoCloseable} ring locals, with the ring: those freed after the exit's cancellations
     * ({@link IssueContext.FreedAfterExit}) are told first and closed last.
     */
    void closeRingLocals() {
        for (Object local : ringLocals.values()) {
            if (local instanceof FreedAfterExit f) {
                f.exitStarts();
            }
        }
        for (boolean last : new boolean[] {false, true}) {
            for (Object local : ringLocals.values()) {
                if (local instanceof AutoCloseable c && local instanceof FreedAfterExit == last) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        throw new IllegalStateException("closing " + local + " with ring " + fd, e);
                    }
                }
            }
        }
        ringLocals.clear();
    }
}
