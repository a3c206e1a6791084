package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EALREADY;
import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.Errno.ENOENT;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;

import dev.ringspec.model.IoWq;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.util.Map;
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
    private final AtomicInteger workers = new AtomicInteger();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ringspec-emulator-iowq-" + workers.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    WorkerPool(Map<Integer, EmuOp> ops) {
        this.ops = ops;
    }

    @Override
    public void queue(Req req, IssueContext ctx) {
        EmuOp op = ops.get(req.opcode());
        EmuOp.Blocking blocking = op == null ? null : op.blocking();
        if (blocking == null) {
            ctx.taskWorkFromOtherThread(req, (r, c) -> {
                c.reissue(r);
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
                        ctx.taskWorkFromOtherThread(req, (r, c) -> {
                            inflight.remove(r);
                            return -ECANCELED;
                        });
                        return 0;
                    }
                    return state.get() == RUNNING ? -EALREADY : -ENOENT;
                }));
        pool.execute(() -> {
            if (!state.compareAndSet(PENDING, RUNNING)) {
                return;
            }
            int ret = blocking.issue(req, ctx);
            state.set(DONE);
            ctx.taskWorkFromOtherThread(req, (r, c) -> {
                inflight.remove(r);
                if (ret == EmuOp.REISSUE_ON_TASK) {
                    c.reissue(r);
                    return OpDef.SKIP_COMPLETE;
                }
                return ret;
            });
        });
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
