package dev.ringspec.emulator;

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
        pool.execute(() -> {
            int ret = blocking.issue(req, ctx);
            ctx.taskWorkFromOtherThread(req, (r, c) -> ret);
        });
    }

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
