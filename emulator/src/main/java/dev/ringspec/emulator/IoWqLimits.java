package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EFAULT;
import static dev.ringspec.uapi.Errno.EINVAL;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_IOWQ_MAX_WORKERS;
import static dev.ringspec.uapi.IoUring.IORING_SETUP_SQPOLL;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import dev.ringspec.model.IssueContext;
import dev.ringspec.model.RegisterOp;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Each task's io-wq workers, counted and capped as io-wq.c does ({@code struct io_wq_acct}, one for bound and one for
 * unbound work, {@link dev.ringspec.model.OpDef#UNBOUND_NONREG_FILE}), and IORING_REGISTER_IOWQ_MAX_WORKERS
 * (io_uring/register.c {@code io_register_iowq_max_workers}, io-wq.c {@code io_wq_max_workers}), which sets the caps.
 *
 * <p>A task's io-wq is made at its first use of a ring, for that ring ({@code __io_uring_add_tctx_node}: setup, or
 * an enter that submits): at most the ring's SQ entries bound workers, and no more than 4 per online CPU
 * ({@code io_init_wq_offload}); RLIMIT_NPROC unbound ones ({@code io_wq_create}); a ring whose caps were set gives
 * them to the io-wq made for it. Work beyond a cap waits for one of its kind's workers to finish (the kernel makes
 * a worker only below {@code max_workers}: {@code io_wq_create_worker}); a task's exit cancels the unbound work that
 * waits so (-ECANCELED: {@code io_worker_handle_work} with do_kill, then {@code io_wq_destroy}), while waiting bound
 * work still runs on the exiting workers. Measured on 6.18.44 ({@code host/src/test/c/iowq-max.c}): with one unbound
 * worker, three IOSQE_ASYNC SPLICEs from empty pipes by a thread that exits end -512 (the one running) and -125 twice.
 * The caps hold for the worker threads only (the deterministic mode has none to count; the register call answers
 * alike in both modes), and not for hashed work (writes to a regular file, bound), which runs one item of an inode
 * at a time on a worker of its own ({@code WorkerPool}).
 */
final class IoWqLimits {
    /** {@code IO_WQ_ACCT_BOUND} and {@code IO_WQ_ACCT_UNBOUND}: the index of each kind in the arrays below. */
    static final int BOUND = 0;
    static final int UNBOUND = 1;

    /** Work waiting for a worker: {@code run} runs it, {@code cancel} ends it -ECANCELED. */
    record Item(Runnable run, Runnable cancel) {
    }

    /** One task's io-wq ({@code struct io_wq}): its caps, its busy workers and its waiting work, guarded by itself. */
    private static final class TaskWq {
        final int[] maxWorkers = new int[2];
        final int[] busy = new int[2];
        final List<ArrayDeque<Item>> waiting = List.of(new ArrayDeque<>(), new ArrayDeque<>());
        /** The rings the task used, whose users it leaves at its exit. */
        final Set<RingWq> rings = ConcurrentHashMap.newKeySet();
    }

    /**
     * A ring's caps as last set ({@code ctx->iowq_limits}, 0 for unset), its SQ entries and its users: a ring-local
     * value of the ring, made at its setup.
     */
    private static final class RingWq {
        final int sqEntries;
        final int[] limits = new int[2];
        boolean limitsSet;
        /** An SQPOLL ring's SQ thread ({@code sqd->thread}), or null. */
        volatile Object sqThread;
        /** The tasks that used the ring ({@code ctx->tctx_list}). */
        final Set<Object> users = ConcurrentHashMap.newKeySet();
        /** The task that used the ring last, known to both maps, or null ({@code tctx->last}, seen from the ring). */
        volatile Object lastUser;

        RingWq(int sqEntries) {
            this.sqEntries = sqEntries;
        }
    }

    private final Map<Object, TaskWq> tasks = new ConcurrentHashMap<>();
    /** How many io-wqs make the next {@link #sweep}. */
    private volatile int sweepAt = 64;
    private final Supplier<Object> currentTask;
    private volatile Executor workers = Runnable::run;

    /** {@code currentTask} names the task of the calling thread (whose io-wq a register call changes). */
    IoWqLimits(Supplier<Object> currentTask) {
        this.currentTask = currentTask;
    }

    /** Worker threads come from {@code pool}. */
    void attach(Executor pool) {
        this.workers = pool;
    }

    /** The register opcode of register.c that this class serves. */
    Map<Integer, RegisterOp> registerOps() {
        return Map.of(IORING_REGISTER_IOWQ_MAX_WORKERS, this::registerIowqMaxWorkers);
    }

    /** {@code task} set up ring {@code ctx} of {@code sqEntries} entries. */
    void madeRing(Object task, IssueContext ctx, int sqEntries) {
        ctx.ringLocal(RingWq.class, () -> new RingWq(sqEntries));
        used(task, ctx);
    }

    /** {@code io_sq_offload_create}: the SQ thread {@code sqThread} of SQPOLL ring {@code ctx} gets its io-wq. */
    void madeSqThread(Object sqThread, IssueContext ctx) {
        ctx.ringLocal(RingWq.class, () -> new RingWq(Integer.MAX_VALUE)).sqThread = sqThread;
        used(sqThread, ctx);
    }

    /**
     * {@code __io_uring_add_tctx_node}: {@code task} uses ring {@code ctx} (sets it up, submits to it or queues
     * io-wq work on it); a task without an io-wq gets one made for this ring, with the ring's caps where set.
     */
    void used(Object task, IssueContext ctx) {
        if (task == null) {
            return;
        }
        // a ring is set up before any use; one the emulator did not see set up takes no more than 4 per CPU
        RingWq ring = ctx.ringLocal(RingWq.class, () -> new RingWq(Integer.MAX_VALUE));
        // __io_uring_add_tctx_node_from_submit: tctx->last == ctx, the task's last ring is this one -> known
        Object last = ring.lastUser;
        if (last == task || last != null && last.equals(task)) {
            return;
        }
        ring.users.add(task);
        TaskWq known = tasks.get(task); // looked up first: every enter that submits comes here
        if (known != null) {
            known.rings.add(ring);
            ring.lastUser = task;
            return;
        }
        sweep();
        TaskWq made = tasks.computeIfAbsent(task, t -> {
            TaskWq wq = new TaskWq();
            // io_init_wq_offload: bound workers up to the ring's SQ entries, at most 4 per online CPU;
            // io_wq_create: unbound ones up to RLIMIT_NPROC
            wq.maxWorkers[BOUND] = Math.min(ring.sqEntries, 4 * onlineCpus());
            wq.maxWorkers[UNBOUND] = nproc();
            synchronized (ring) {
                if (ring.limitsSet) {
                    maxWorkers(wq, ring.limits.clone());
                }
            }
            return wq;
        });
        made.rings.add(ring);
        ring.lastUser = task;
    }

    /**
     * Runs {@code item} of {@code task}'s io-wq on a worker thread when one of its kind ({@link #BOUND} or
     * {@link #UNBOUND}) is free under the cap, now or after work before it finishes.
     */
    void queue(Object task, IssueContext ctx, int kind, Item item) {
        used(task, ctx);
        TaskWq wq = task == null ? null : tasks.get(task);
        if (wq == null) {
            workers.execute(item.run());
            return;
        }
        synchronized (wq) {
            if (wq.busy[kind] >= wq.maxWorkers[kind]) {
                wq.waiting.get(kind).add(item);
                return;
            }
            wq.busy[kind]++;
        }
        workers.execute(() -> work(wq, kind, item));
    }

    /** A worker's run: {@code first}, then the work of its kind that waits, in turn, while there is some. */
    private void work(TaskWq wq, int kind, Item first) {
        Item next = first;
        while (next != null) {
            boolean done = false;
            try {
                next.run().run();
                done = true;
            } finally {
                Item after;
                synchronized (wq) {
                    after = wq.waiting.get(kind).poll();
                    if (after == null) {
                        wq.busy[kind]--;
                    }
                }
                if (!done && after != null) {
                    workers.execute(() -> work(wq, kind, after)); // this item threw: another worker goes on
                }
                next = after;
            }
        }
    }

    /**
     * Forgets the io-wqs of this JVM's threads that ended without an exit heard ({@link #exit}: only a task with
     * io-wq work or a tracked request has its end watched), when there are twice as many io-wqs as at the last
     * sweep: a thread that only submitted NOPs is not kept for ever.
     */
    private void sweep() {
        if (tasks.size() < sweepAt) {
            return;
        }
        for (Object task : tasks.keySet()) {
            if (TaskExits.threadEnded(task)) {
                exit(task);
            }
        }
        sweepAt = Math.max(64, 2 * tasks.size());
    }

    /**
     * {@code task} has exited ({@code io_uring_cancel_generic}: {@code io_wq_exit_start}, then
     * {@code io_wq_put_and_exit}): its unbound work that waits for a worker ends -ECANCELED; its io-wq is gone, and a
     * new one is made at its next use.
     */
    void exit(Object task) {
        TaskWq wq = tasks.remove(task);
        if (wq == null) {
            return;
        }
        wq.rings.forEach(r -> {
            r.lastUser = null;
            r.users.remove(task);
        });
        List<Item> cancelled;
        synchronized (wq) {
            cancelled = new ArrayList<>(wq.waiting.get(UNBOUND));
            wq.waiting.get(UNBOUND).clear();
        }
        cancelled.forEach(i -> i.cancel().run());
    }

    /** {@code io_register_iowq_max_workers}, after {@code __io_uring_register}'s check of its arguments. */
    private int registerIowqMaxWorkers(IssueContext ring, MemorySegment arg, int nrArgs) {
        // __io_uring_register: IORING_REGISTER_IOWQ_MAX_WORKERS takes two counts, not NULL -> -EINVAL
        if (arg.address() == 0 || nrArgs != 2) {
            return -EINVAL;
        }
        // io_register_iowq_max_workers: copy_from_user -> -EFAULT; a count above INT_MAX -> -EINVAL
        MemorySegment counts = ring.userMemory(arg.address(), 2L * Integer.BYTES);
        if (counts == null) {
            return -EFAULT;
        }
        int[] newCount = {counts.get(JAVA_INT_UNALIGNED, 0), counts.get(JAVA_INT_UNALIGNED, Integer.BYTES)};
        if (newCount[BOUND] < 0 || newCount[UNBOUND] < 0) {
            return -EINVAL;
        }
        // io_register_iowq_max_workers: an SQPOLL ring's caps are its SQ thread's io-wq's, else the caller's
        boolean sqPoll = (ring.setupFlags() & IORING_SETUP_SQPOLL) != 0;
        RingWq r = ring.ringLocal(RingWq.class, () -> new RingWq(Integer.MAX_VALUE));
        Object task = sqPoll ? r.sqThread : currentTask.get();
        synchronized (r) {
            for (int i = 0; i < 2; i++) {
                r.limits[i] = newCount[i] != 0 ? newCount[i] : r.limits[i];
            }
            r.limitsSet = true;
        }
        TaskWq wq = task == null ? null : tasks.get(task);
        // io_register_iowq_max_workers: the old caps written back; zeros from a task without an io-wq
        int[] old = wq == null ? new int[2] : maxWorkers(wq, newCount);
        counts.set(JAVA_INT_UNALIGNED, 0, old[BOUND]);
        counts.set(JAVA_INT_UNALIGNED, Integer.BYTES, old[UNBOUND]);
        if (sqPoll) {
            return 0;
        }
        // io_register_iowq_max_workers: the ring's caps go to the io-wq of every task that used the ring
        for (Object user : r.users) {
            TaskWq other = tasks.get(user);
            if (other != null) {
                synchronized (r) {
                    maxWorkers(other, r.limits.clone());
                }
            }
        }
        return 0;
    }

    /**
     * {@code io_wq_max_workers}: each non-zero count, cut to RLIMIT_NPROC, becomes the cap of its kind; answers the
     * caps before. Work that waits under a cap now raised starts.
     */
    private int[] maxWorkers(TaskWq wq, int[] newCount) {
        int[] old = new int[2];
        List<Runnable> start = new ArrayList<>();
        synchronized (wq) {
            for (int kind = 0; kind < 2; kind++) {
                old[kind] = wq.maxWorkers[kind];
                if (newCount[kind] != 0) {
                    wq.maxWorkers[kind] = Math.min(newCount[kind], nproc());
                }
                while (wq.busy[kind] < wq.maxWorkers[kind] && !wq.waiting.get(kind).isEmpty()) {
                    wq.busy[kind]++;
                    Item item = wq.waiting.get(kind).poll();
                    int k = kind;
                    start.add(() -> work(wq, k, item));
                }
            }
        }
        start.forEach(workers::execute);
        return old;
    }

    /** {@code num_online_cpus()}: the CPUs in /sys/devices/system/cpu/online, or the JVM's count where unreadable. */
    private static int onlineCpus() {
        BitSet online = Cpus.list(Path.of("/sys/devices/system/cpu/online"));
        return online == null || online.isEmpty() ? Runtime.getRuntime().availableProcessors() : online.cardinality();
    }

    /** {@code task_rlimit(current, RLIMIT_NPROC)}: the soft limit in /proc/self/limits, INT_MAX for unlimited. */
    private static int nproc() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max processes")) {
                    String soft = line.substring("Max processes".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Integer.MAX_VALUE
                            : (int) Math.min(Long.parseLong(soft), Integer.MAX_VALUE);
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            return Integer.MAX_VALUE;
        }
        return Integer.MAX_VALUE;
    }
}
