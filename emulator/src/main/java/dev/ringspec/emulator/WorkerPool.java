package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EALREADY;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IOSQE_ASYNC;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;

import dev.ringspec.model.Choice;
import dev.ringspec.model.Chooser;
import dev.ringspec.model.IoWq;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The emulator's io-wq: requests the kernel hands to io-wq run on worker threads with their {@link EmuOp.Blocking}
 * form, and their result reaches the ring's task as task work ({@code io_req_task_work_add} of the completion), so
 * they complete at a time of their own, as in the kernel. An opcode without a blocking form is issued again on its
 * ring's task.
 */
final class WorkerPool implements IoWq, AutoCloseable {
    private final Map<Integer, EmuOp> ops;
    private final Readiness readiness;
    private final Delivery delivery;
    private final AtomicInteger workers = new AtomicInteger();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, IoWqCompletions.WORKER_NAME + workers.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    /**
     * The order in which io-wq work that is pending together completes: the kernel hands each item to an idle or a
     * new worker (io_uring/io-wq.c io_wq_enqueue, io_wq_activate_free_worker, io_wq_create_worker), the workers run
     * concurrently (io_worker_handle_work), and each posts its CQE as it finishes (io_uring/io_uring.c
     * io_req_complete_post, or task work on a DEFER_TASKRUN ring), so two items queued together may complete in
     * either order. The deterministic mode asks its {@link Chooser} here, where one is set
     * ({@link EmulatedIoUring#withChooser}): 0 runs the oldest pending item next (the default), 1 the newest.
     */
    public static final Choice IOWQ_COMPLETION_ORDER = new Choice("IOWQ_COMPLETION_ORDER", "io_worker_handle_work",
            "io_uring/io-wq.c io_wq_enqueue (work to concurrent workers), io_uring/io_uring.c io_req_complete_post",
            List.of("oldest first", "newest first"), 0);

    /** The deterministic mode's order among pending work; null with worker threads. */
    private final SplittableRandom order;
    private final List<Runnable> pending = new ArrayList<>();
    /** Who decides {@link #IOWQ_COMPLETION_ORDER}, or null: the seeded order. */
    private volatile Chooser chooser;
    /** The request the calling thread is issuing again for io-wq's try without blocking, or null. */
    private final ThreadLocal<Req> reissuing = new ThreadLocal<>();

    WorkerPool(Map<Integer, EmuOp> ops, Readiness readiness) {
        this(ops, readiness, null, Delivery.DIRECT);
    }

    /**
     * With {@code order} null, worker threads run io-wq work as it comes; otherwise there are no threads, and the
     * deterministic scheduler runs the pending work on the task's thread ({@link #runPending}), in an order
     * {@code order} picks.
     */
    WorkerPool(Map<Integer, EmuOp> ops, Readiness readiness, SplittableRandom order, Delivery delivery) {
        this.ops = ops;
        this.delivery = delivery;
        this.readiness = readiness;
        this.order = order;
    }

    /** From now on {@code c} decides the order of pending work ({@link #IOWQ_COMPLETION_ORDER}). */
    void withChooser(Chooser c) {
        chooser = c;
    }

    /** Whether no work is pending (the deterministic mode's). */
    boolean idle() {
        synchronized (pending) {
            return pending.isEmpty();
        }
    }

    /** The deterministic mode: runs the work pending now, in a seeded order; answers how much ran. */
    int runPending() {
        int ran = 0;
        while (true) {
            Runnable next;
            synchronized (pending) {
                if (pending.isEmpty()) {
                    return ran;
                }
                Chooser c = chooser;
                int size = pending.size();
                next = pending.remove(c == null || size < 2 ? order.nextInt(size)
                        : c.choose(IOWQ_COMPLETION_ORDER, -1) == 0 ? 0 : size - 1);
            }
            next.run();
            ran++;
        }
    }

    @Override
    public void queue(Req req, IssueContext ctx) {
        EmuOp op = ops.get(req.opcode());
        EmuOp.Blocking blocking = op == null ? null : op.blocking();
        // io_wq_submit_work: a forced-async request of an opcode that polls, on a file that can, is issued without
        // blocking and arms a poll when it would block, rather than blocking a worker
        // (the deterministic mode does this for every such request: its io-wq runs on the task, which must not block)
        // (and when that try sends it back here at once, the file refused it: the retry blocks, as there)
        boolean pollsInstead = blocking != null && (order != null || (req.flags() & IOSQE_ASYNC) != 0)
                && (op.def().has(OpDef.POLLIN) || op.def().has(OpDef.POLLOUT))
                && reissuing.get() != req
                && readiness.canPoll(ctx.fileDescriptor(req));
        if (blocking == null || pollsInstead) {
            boolean onWorker = blocking == null;
            delivery.deliver(ctx, req, (r, c) -> {
                if (onWorker) {
                    c.ringLocal(IoWqCompletions.class, IoWqCompletions::new).completed();
                }
                Req outer = reissuing.get();
                reissuing.set(r);
                try {
                    c.reissue(r);
                } finally {
                    reissuing.set(outer);
                }
                return OpDef.SKIP_COMPLETE;
            });
            return;
        }
        // io-wq work: pending until a worker takes it (cancellation stops it then, with -ECANCELED), running after
        // (-EALREADY), done once its result is handed to the ring's task
        AtomicInteger state = new AtomicInteger(PENDING);
        Inflight inflight = ctx.ringLocal(Inflight.class, Inflight::new);
        inflight.add(new Inflight.Entry(req, Inflight.Kind.IO_WQ, req.fd(), (req.flags() & IOSQE_FIXED_FILE) != 0,
                () -> {
                    if (state.compareAndSet(PENDING, DONE)) {
                        delivery.deliver(ctx, req, (r, c) -> {
                            inflight.remove(r);
                            return -ECANCELED;
                        });
                        return 0;
                    }
                    return state.get() == RUNNING ? -EALREADY : -ENOENT;
                }));
        execute(() -> {
            if (!state.compareAndSet(PENDING, RUNNING)) {
                return;
            }
            int ret = blocking.issue(req, ctx);
            state.set(DONE);
            delivery.deliver(ctx, req, (r, c) -> {
                inflight.remove(r);
                if (ret == EmuOp.REISSUE_ON_TASK) {
                    c.reissue(r);
                    return OpDef.SKIP_COMPLETE;
                }
                c.ringLocal(IoWqCompletions.class, IoWqCompletions::new).completed();
                return ret;
            });
        });
    }

    private void execute(Runnable work) {
        if (order == null) {
            pool.execute(work);
        } else {
            synchronized (pending) {
                pending.add(work);
            }
        }
    }

    private static final int PENDING = 0;
    private static final int RUNNING = 1;
    private static final int DONE = 2;

    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
