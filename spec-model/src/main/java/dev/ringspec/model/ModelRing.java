package dev.ringspec.model;

import static dev.ringspec.uapi.IoUring.IORING_SETUP_IOPOLL;

import static dev.ringspec.seam.SharedMemory.storeRelease;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_R_DISABLED;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SINGLE_ISSUER;

import dev.ringspec.seam.Ring;
import dev.ringspec.seam.RingGeometry;
import dev.ringspec.seam.RingParams;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * One ring of the model, {@code struct io_ring_ctx}: its setup flags, owner task and current {@link Regions}, and
 * the parts that hold the rest of its state, each in the file named after the kernel's: {@link SqRing} (SQ side),
 * {@link CqeCache} and {@link OverflowList} (CQ side), {@link TaskWork}, {@link Links}, {@link Drain},
 * {@link Completion}, {@link IssueSqe}, {@link InitReq}, {@link SubmitSqes}, {@link CqringWait},
 * {@link Restrictions}, {@link FileTable} and {@link BufferTable}. The syscalls reach it through
 * {@link ModelIoUring}. Dependencies run one way: from here down that list, never back (task work reaches the
 * issue path only through {@link TaskWork.Runner}).
 *
 * <p>Nothing on the submit/complete path allocates once the request cache, the completion batch and the queues
 * have grown to the workload's size.
 */
final class ModelRing implements Ring {
    private final ModelIoUring kernel;
    private final KernelProfile profile;
    private final int fd;
    private int flags;
    private boolean closed;
    /** {@code ctx->submitter_task}: the SINGLE_ISSUER owner, or null. */
    private IoUringTask submitter;
    private Regions regions;

    private final RuleSink rules;
    private final SqRing sq;
    private final CqeCache cq;
    private final OverflowList overflow;
    private final TaskWork taskWork;
    private final Links links;
    private final Drain drain;
    private final Completion completion;
    private final ReqCache reqs;
    private final FileTable files;
    private final BufferTable buffers;
    private final Rsrc rsrc;
    private final Restrictions restrictions;
    private final BpfFilterRun bpfFilters;
    private final IssueSqe issue;
    private final InitReq init;
    private final SubmitSqes submit;
    private final CqringWait wait;
    /** The iopoll list of an IOPOLL ring, else null. */
    private final IopollList iopoll;

    ModelRing(ModelIoUring kernel, UserArgs args, int fd, int flags, IoUringTask submitter, Regions regions) {
        this.kernel = kernel;
        this.profile = kernel.profile();
        this.fd = fd;
        this.flags = flags;
        this.submitter = submitter;
        Set<Mutant> mutants = kernel.mutants();
        this.rules = new RuleSink(fd, kernel.ruleListener());
        this.sq = new SqRing(flags, profile.ringLayout(), rules, mutants);
        this.cq = new CqeCache(profile, rules, mutants);
        if (kernel.cqOverflowFault() != null) {
            IntPredicate fault = kernel.cqOverflowFault();
            cq.overflowFault(() -> fault.test(fd));
        }
        this.overflow = new OverflowList(flags, profile.ringLayout(), fd, rules, cq, mutants);
        this.taskWork = new TaskWork(flags, profile, rules, mutants, fd, kernel::currentTask);
        this.taskWork.beforeAdd(() -> kernel.asyncPoll().ownWakeups());
        this.links = new Links(rules, taskWork);
        ReqCache reqs = new ReqCache(kernel);
        this.drain = new Drain(profile, rules, taskWork, reqs, links, sq, cq);
        this.completion = new Completion(profile, rules, cq, overflow, links, drain, reqs, taskWork, mutants);
        this.files = new FileTable(rules, kernel, args);
        this.buffers = new BufferTable(profile, rules, args);
        this.rsrc = new Rsrc(args, files, buffers);
        this.restrictions = new Restrictions(profile, rules, mutants);
        this.bpfFilters = new BpfFilterRun(rules, mutants);
        this.reqs = reqs;
        RingPoll ringPoll = new RingPoll(flags, profile, rules, sq, cq, taskWork, () -> submitter != null,
                this::isOwnerOrUnowned);
        this.issue = new IssueSqe(kernel, flags, fd, rules, completion, drain, taskWork, files, buffers, links,
                cq, sq, reqs, ringPoll);
        this.taskWork.runner(issue);
        this.init = new InitReq(profile, kernel.issueDefs(), flags, rules, sq, restrictions, drain, issue,
                bpfFilters, mutants);
        this.issue.init(init);
        this.submit = new SubmitSqes(flags, rules, sq, init, bpfFilters, links, issue, completion, reqs, mutants,
                kernel::currentTask);
        this.iopoll = (flags & IORING_SETUP_IOPOLL) != 0 ? new IopollList(completion, rules) : null;
        issue.iopoll(iopoll);
        this.wait = new CqringWait(kernel, flags, fd, rules, args, taskWork, overflow, cq, issue::cqTimeouts,
                iopoll);
        this.regions = regions;
        sq.remap(regions);
        cq.remap(regions);
        overflow.remap(regions);
        taskWork.remap(regions);
        init.remap(regions);
        choose(kernel.chooser());
        issue.ioWq(kernel.ioWq());
    }

    /** Installs a new mapping generation (a resize); the CQE cache, which points into the old one, is emptied. */
    void remap(Regions newRegions) {
        this.regions = newRegions;
        sq.remap(newRegions);
        cq.remap(newRegions);
        overflow.remap(newRegions);
        taskWork.remap(newRegions);
        init.remap(newRegions);
    }

    /** The iopoll list of an IOPOLL ring, else null. */
    IopollList iopoll() {
        return iopoll;
    }

    void listen(RuleListener listener) {
        rules.listen(listener);
    }

    void choose(Chooser chooser) {
        overflow.choose(chooser);
        taskWork.choose(chooser);
    }

    @Override
    public int fd() {
        return fd;
    }

    @Override
    public RingParams params() {
        return regions.params();
    }

    @Override
    public MemorySegment sqRing() {
        return regions.rings();
    }

    @Override
    public MemorySegment cqRing() {
        return regions.rings();
    }

    @Override
    public MemorySegment sqes() {
        return regions.sqes();
    }

    @Override
    public String toString() {
        return "model ring fd " + fd + " (profile " + profile.version() + ")";
    }

    ModelIoUring kernel() {
        return kernel;
    }

    Regions regions() {
        return regions;
    }

    RuleSink rules() {
        return rules;
    }

    /** {@code ctx->cached_sq_head}: the kernel's own SQ head, which a resize carries over. */
    int cachedSqHead() {
        return sq.cachedSqHead();
    }

    int flags() {
        return flags;
    }

    boolean has(int setupFlag) {
        return (flags & setupFlag) != 0;
    }

    /** Whether the calling task may submit: the ring has no owner, or the caller is it. */
    boolean isOwnerOrUnowned() {
        return submitter == null || submitter == kernel.currentTask();
    }

    /** {@code io_register_enable_rings}: the caller becomes a SINGLE_ISSUER ring's owner; restrictions apply. */
    void enable(IoUringTask caller) {
        if ((flags & IORING_SETUP_SINGLE_ISSUER) != 0 && submitter == null) {
            submitter = caller;
        }
        restrictions.enable();
        flags &= ~IORING_SETUP_R_DISABLED;
    }

    /** Marks the ring closed; false if it was already. */
    synchronized boolean close() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    boolean closed() {
        return closed;
    }

    /**
     * What the kernel frees with a closed ring ({@code io_ring_ctx_free}): the registered files' references, and
     * the opcodes' per-ring state ({@link IssueContext#ringLocal}) that is {@link AutoCloseable}. First no other
     * thread may queue task work any more ({@link TaskWork#release}), so none writes the ring's memory once freed.
     */
    void release() {
        taskWork.release();
        files.freeAtExit();
        issue.closeRingLocals();
        reqs.releaseHeldFiles();
    }

    /** The ring's view for opcodes and register opcodes from other modules. */
    IssueContext issueContext() {
        return issue;
    }

    Restrictions restrictions() {
        return restrictions;
    }

    /** The ring's BPF filters ({@code ctx->restrictions}' filter half, 7.0+). */
    BpfFilterRun bpfFilters() {
        return bpfFilters;
    }

    FileTable files() {
        return files;
    }

    BufferTable buffers() {
        return buffers;
    }

    Rsrc rsrc() {
        return rsrc;
    }

    SubmitSqes submit() {
        return submit;
    }

    SqRing sqState() {
        return sq;
    }

    TaskWork taskWork() {
        return taskWork;
    }

    OverflowList overflow() {
        return overflow;
    }

    CqringWait cqringWait() {
        return wait;
    }

    CqeCache cqeCache() {
        return cq;
    }

    /** The test hook of {@link ModelIoUring#startCountersAt}. */
    void startCountersAt(int counter) {
        if (sq.cachedSqHead() != 0 || cq.cachedCqTail() != 0 || taskWork.pending() || overflow.pending()) {
            throw new IllegalStateException("startCountersAt needs a fresh ring");
        }
        sq.startAt(counter);
        cq.startAt(counter);
        MemorySegment rings = regions.rings();
        storeRelease(rings, profile.ringLayout().sqHead(), counter);
        storeRelease(rings, profile.ringLayout().sqTail(), counter);
        storeRelease(rings, profile.ringLayout().cqHead(), counter);
        storeRelease(rings, profile.ringLayout().cqTail(), counter);
    }
}
