package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EALREADY;

import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import dev.ringspec.model.RequestTask;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The block layer's side of a direct transfer: what the kernel's {@code submit_bio} starts and the device's interrupt
 * ends. {@code io_read}/{@code io_write} issue an O_DIRECT transfer with IOCB_NOWAIT and get -EIOCBQUEUED back
 * (fs/iomap/direct-io.c {@code __iomap_dio_rw}), so the SQE is consumed and the enter goes on at once; the bio's
 * completion calls {@code io_complete_rw} (io_uring/rw.c), which queues the CQE as task work
 * ({@code io_req_task_work_add}, {@code io_req_rw_complete}). Here the real call runs on a thread of this class (not
 * io-wq's: an in-flight bio is on no list {@code io_try_cancel} searches, so ASYNC_CANCEL answers -ENOENT), writes
 * the program's memory, and then hands the completion to the ring's task through {@link Delivery}, as io-wq's workers
 * do: the CQE is visible only after the bytes. The request waits in the ring's {@link Inflight} as
 * {@link Inflight.Kind#BIO} until its task work runs, so an exec's cancellation waits for it, and the ring's end
 * waits for its transfer ({@code io_ring_exit_work} waits for every request's reference).
 *
 * <p>The deterministic mode has no threads: the transfer runs on the task at issue and its completion is queued as
 * task work there, as a bio that completed at once would; the CQE still comes from task work, never inline.
 */
final class DirectIo implements AutoCloseable {
    /** How the names of the completion threads begin. */
    private static final String THREAD_NAME = "ringspec-emulator-bio-";
    /** The longest a ring's end waits for one transfer still in flight. */
    private static final long EXIT_WAIT_SECONDS = 30;

    /**
     * How many transfers run at once. Started with the emulator, so that a submission only queues: a thread started
     * at the first O_DIRECT SQE took the submitting thread milliseconds on a loaded machine, where a SQPOLL ring's
     * SQ thread must keep up with a program submitting one SQE a millisecond (liburing's d4ae271dfaae).
     */
    private static final int THREADS = 2;

    private final Delivery delivery;
    private final AtomicInteger threads = new AtomicInteger();
    /** The completion threads; null in the deterministic mode. */
    private final ThreadPoolExecutor pool;

    DirectIo(Delivery delivery, boolean deterministic) {
        this.delivery = delivery;
        if (deterministic) {
            this.pool = null;
            return;
        }
        this.pool = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, THREAD_NAME + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.prestartAllCoreThreads();
    }

    /**
     * Starts {@code transfer} for {@code req} of ring {@code ctx}: it makes the real call (on the program's memory:
     * it runs as the request's task, {@link RequestTask}) and answers the completion the ring's task then runs.
     * Call from the ring's task, which returns {@link OpDef#SKIP_COMPLETE} after it.
     */
    void submit(IssueContext ctx, Req req, Supplier<OpDef.Issue> transfer) {
        if (pool == null) {
            delivery.deliver(ctx, req, transfer.get());
            return;
        }
        Inflight inflight = ctx.ringLocal(Inflight.class, Inflight::new);
        CountDownLatch done = new CountDownLatch(1);
        // io_try_cancel never sees it; what cancels a task's or a ring's requests waits for its bio instead
        inflight.add(new Inflight.Entry(req, Inflight.Kind.BIO, -1, false, () -> {
            awaitUninterruptibly(done);
            return -EALREADY;
        }));
        pool.execute(() -> {
            Object task = req.task();
            Object before = RequestTask.enter(task);
            OpDef.Issue completion;
            try {
                completion = transfer.get();
            } finally {
                RequestTask.leave(before, task);
                done.countDown();
            }
            // io_complete_rw: the CQE through task work, after the bytes are in place
            delivery.deliver(ctx, req, (r, c) -> {
                inflight.remove(r);
                return completion.issue(r, c);
            });
        });
    }

    private static void awaitUninterruptibly(CountDownLatch done) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(EXIT_WAIT_SECONDS);
        while (true) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || done.await(left, TimeUnit.NANOSECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (pool == null) {
            return;
        }
        pool.shutdown();
        try {
            pool.awaitTermination(EXIT_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
