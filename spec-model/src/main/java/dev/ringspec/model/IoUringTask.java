package dev.ringspec.model;

/**
 * A task ({@code struct task_struct}) as io_uring sees it: its identity, the credentials the per-task calls check,
 * and its per-task restrictions ({@code task->io_uring_restrict}, io_uring/tctx.c; ring-semantics.md A6 and A7): a set of
 * SQE and register restrictions, BPF filters, or both.
 *
 * <p>The model's calling thread runs as one task at a time ({@link ModelIoUring#currentTask()}): its first task
 * inherits nothing; {@link #fork} makes the child task a thread continues in. A SINGLE_ISSUER ring remembers its
 * submitter task ({@code ctx->submitter_task}) and refuses every other task ({@code io_uring_add_tctx_node}:
 * -EEXIST), a forked child of its submitter included.
 *
 * <p>Per-task restrictions are set once ({@code io_register_restrictions_task}), copied into every ring the task
 * creates afterwards ({@code io_ctx_restriction_clone}) and into every task it forks ({@code __io_uring_fork}, from
 * {@code copy_process}, for threads and processes alike), and never removed. The set itself is immutable, so
 * parent and children share it. BPF filters (the other half of {@code io_uring_restrict}, {@link RestrictionFilters})
 * are shared copy-on-write the same ways ({@code io_bpf_filter_clone}); a task that has either half "has
 * restrictions" for {@code io_register_restrictions_task}.
 */
final class IoUringTask {
    private final String name;
    private final boolean capSysAdmin;
    private volatile boolean noNewPrivs;
    private volatile RestrictionSet restrictions;
    private volatile RestrictionFilters filters;

    private IoUringTask(String name, boolean noNewPrivs, boolean capSysAdmin, RestrictionSet restrictions) {
        this.name = name;
        this.noNewPrivs = noNewPrivs;
        this.capSysAdmin = capSysAdmin;
        this.restrictions = restrictions;
    }

    /**
     * A task that inherits nothing: no restrictions, no no_new_privs, and CAP_SYS_ADMIN as {@code capSysAdmin}
     * says (a root process such as the guest's agent has it).
     */
    static IoUringTask root(String name, boolean capSysAdmin) {
        return new IoUringTask(name, false, capSysAdmin, null);
    }

    /**
     * {@code copy_process}: the child shares nothing with its parent but what it copies: no_new_privs, the
     * credentials (less CAP_SYS_ADMIN when {@code dropCapSysAdmin}, as the child's own capset would) and the
     * per-task restrictions ({@code __io_uring_fork}: {@code io_restriction_clone} into a fresh set).
     */
    IoUringTask fork(String childName, boolean dropCapSysAdmin, boolean markSourceCow, boolean dropFilters) {
        IoUringTask child = new IoUringTask(childName, noNewPrivs, capSysAdmin && !dropCapSysAdmin, restrictions);
        if (hasIoUringRestrict()) {
            // __io_uring_fork: the child gets a fresh io_restriction, cloned from the parent's (filters shared)
            child.filters = new RestrictionFilters();
            if (!dropFilters) {
                child.filters.cloneFrom(filters, markSourceCow);
            }
        }
        return child;
    }

    /** {@code prctl(PR_SET_NO_NEW_PRIVS, 1)}: the bit cannot be cleared again. */
    void setNoNewPrivs() {
        noNewPrivs = true;
    }

    /** {@code io_register_restrictions_task}: installs {@code set}, once. */
    void restrict(RestrictionSet set) {
        if (restrictions != null) {
            throw new IllegalStateException(this + " is restricted already");
        }
        restrictions = set;
    }

    /** Whether the task may restrict itself: {@code task_no_new_privs} or {@code CAP_SYS_ADMIN}, as for seccomp. */
    boolean mayRestrictItself() {
        return noNewPrivs || capSysAdmin;
    }

    /**
     * Whether {@code task->io_uring_restrict} is set: restrictions or BPF filters registered or inherited (a forked
     * child of such a task has it, even empty).
     */
    boolean hasIoUringRestrict() {
        return restrictions != null || filters != null;
    }

    /** The filter half of {@code task->io_uring_restrict}, null without one. */
    RestrictionFilters filters() {
        return filters;
    }

    /** {@code io_register_bpf_filter_task}: the task's first filter gives it an {@code io_uring_restrict}. */
    void filters(RestrictionFilters first) {
        if (filters != null) {
            throw new IllegalStateException(this + " has filters already");
        }
        filters = first;
    }

    /** The SQE and register half of {@code task->io_uring_restrict}: null until registered. */
    RestrictionSet restrictions() {
        return restrictions;
    }

    String name() {
        return name;
    }

    @Override
    public String toString() {
        return "task " + name;
    }
}
