package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.ECANCELED;
import static dev.ringspec.uapi.IoUring.IOSQE_FIXED_FILE;
import static dev.ringspec.uapi.Poll.EPOLLET;
import static dev.ringspec.uapi.Poll.EPOLLEXCLUSIVE;
import static dev.ringspec.uapi.Poll.POLLERR;
import static dev.ringspec.uapi.Poll.POLLHUP;
import static dev.ringspec.uapi.Poll.POLLIN;
import static dev.ringspec.uapi.Poll.POLLNVAL;
import static dev.ringspec.uapi.Poll.POLLOUT;
import static dev.ringspec.uapi.Poll.POLLPRI;
import static dev.ringspec.uapi.Poll.POLLRDHUP;

import dev.ringspec.model.AsyncPoll;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.Req;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * io_uring/poll.c's {@code io_arm_poll_handler} in the emulator: a request that would block on a pollable file waits
 * for it through its {@link Readiness}'s kept registration of the descriptor and is issued again on its ring's task
 * once the file is ready.
 */
final class ArmedPolls implements AsyncPoll {
    private final Readiness readiness;
    private final Delivery delivery;
    private final TaskExits taskExits;

    ArmedPolls(Readiness readiness, Delivery delivery, TaskExits taskExits) {
        this.readiness = readiness;
        this.delivery = delivery;
        this.taskExits = taskExits;
    }

    /**
     * {@link AsyncPoll}: the request is issued again on its ring's task once its file is ready; until then it waits
     * in its ring's {@link Inflight} as a poll, where cancellation finds it (and completes it with -ECANCELED).
     */
    @Override
    public boolean arm(Req req, IssueContext ctx, int events) {
        int fd = ctx.fileDescriptor(req);
        // the request holds its file while it waits (its reissue reads through it after the application's close),
        // and the watch through the request
        boolean fileHeld = ctx.holdFile(req);
        Inflight inflight = ctx.ringLocal(Inflight.class, Inflight::new);
        int[] error = new int[1];
        AtomicBoolean cancelled = new AtomicBoolean();
        // io_poll_task_func: the woken request is submitted again as task work does it (io_req_task_submit), so a
        // forced-async one goes back to io-wq (6.12.117 poll.c io_poll_task_func, io_uring.c io_req_task_submit)
        IntConsumer woken = ready -> delivery.deliver(ctx, req, (r, c) -> {
            inflight.remove(r);
            if (cancelled.get() || taskExits.exited(r.task())) {
                // io_poll_check_events: cancelled after its wakeup, or its task gone (io_should_terminate_tw): ends
                return -ECANCELED;
            }
            c.taskSubmit(r);
            return OpDef.SKIP_COMPLETE;
        });
        boolean exclusive = (events & EPOLLEXCLUSIVE) != 0;
        events &= ~EPOLLEXCLUSIVE;
        Readiness.Watch w = exclusive ? exclusiveWatch(fd, events, woken, error)
                : readiness.watchFile(fd, events, fileHeld, woken, error);
        if (w == null) {
            // a file epoll refuses (-EPERM) or a closed one: io-wq takes the request, which then fails on its own
            return false;
        }
        // __io_arm_poll_handler: vfs_poll adds the wait and answers what the file has now. A one-shot poll whose
        // events are there already is never hashed (IO_APOLL_READY, 7.2.13 poll.c line 606), so no cancellation
        // finds the request: on the task io_queue_async issues it again from task work (io_req_task_queue, io_uring.c
        // line 1632); io-wq's own try retries at once, blocking (io_wq_submit_work). A loopback TCP CONNECT is one:
        // -EINPROGRESS, and connected by the time its poll is armed.
        // A file that stays ready while the request keeps answering -EAGAIN is bounded as io_req_alloc_apoll bounds
        // it (APOLL_MAX_RETRY arms): past that the watch stays, and epoll reports it.
        // A pipe whose own nonblocking read or write answered the -EAGAIN just now has none of the events: it was
        // empty (or full) with writers (or readers) left, so no POLLIN, POLLHUP (POLLOUT, POLLERR), never POLLPRI or
        // POLLRDHUP (pipe_poll). Only a write (read) by another thread since could have made it ready, a race the
        // kernel's vfs_poll loses too when that comes after its look: epoll reports it then (no ppoll of its own).
        ReadyRetry retry = READY_RETRY.get();
        int retries = retry != null && retry.req() == req ? retry.count() : 0;
        if (retries < APOLL_MAX_RETRY && !(req.opState() instanceof Apoll.Multishot m && m.apollMultishot())
                && !(req.opState() instanceof Apoll.AnsweredAgain a && a.answeredAgain() && readiness.onPipe(w))
                && (Apoll.vfsPoll(w.fd(), events | APOLL_EVENTS) & (events | APOLL_EVENTS | POLL_UNMASK)) != 0
                && w.cancel()) {
            if (IoWqCompletions.issuesForIoWq(req)) {
                return false;
            }
            readiness.ownWakeups();
            ctx.taskWork(req, (r, c) -> {
                READY_RETRY.set(new ReadyRetry(r, retries + 1));
                try {
                    c.taskSubmit(r);
                } finally {
                    READY_RETRY.set(retry);
                }
                return OpDef.SKIP_COMPLETE;
            });
            return true;
        }
        // the entry names the request's own reference to its file (a served program's number means nothing here)
        boolean fixed = (req.flags() & IOSQE_FIXED_FILE) != 0;
        inflight.add(new Inflight.Entry(req, Inflight.Kind.POLL, fixed ? req.fd() : fd, fixed,
                () -> {
                    if (!w.cancel()) {
                        // io_poll_cancel_req: woken, its task work not run yet, the request is still hashed, so
                        // cancellation finds it and marks it (IO_POLL_CANCEL_FLAG); that task work ends it
                        cancelled.set(true);
                        return 0;
                    }
                    delivery.deliver(ctx, req, (r, c) -> {
                        inflight.remove(r);
                        return -ECANCELED;
                    });
                    return 0;
                }));
        return true;
    }

    /**
     * An exclusive poll ({@link OpDef#POLL_EXCLUSIVE}, ACCEPT): a watch of its own, added with EPOLLEXCLUSIVE, so it
     * waits at the tail of the file's wait queue as the kernel's does ({@code __io_queue_proc}:
     * {@code add_wait_queue_exclusive}) and a connection wakes the oldest ACCEPT first; a one-shot watch is added at
     * the head ({@code add_wait_queue}) and would wake the newest first. epoll refuses EPOLLONESHOT with
     * EPOLLEXCLUSIVE, so the watch ends itself at its first wakeup (its cancel then answers false, as a fired one-shot
     * watch's does). epoll takes EPOLLEXCLUSIVE with POLLIN and POLLOUT alone: what else the request asks for
     * (POLLPRI, POLLRDHUP) its reissue looks at. A wakeup on the poll thread before the watch is known here is
     * taken once it is.
     */
    private Readiness.Watch exclusiveWatch(int fd, int events, IntConsumer woken, int[] error) {
        AtomicReference<Readiness.Watch> self = new AtomicReference<>();
        AtomicBoolean early = new AtomicBoolean();
        Readiness.Watch w = readiness.watch(fd, (events & (POLLIN | POLLOUT)) | EPOLLEXCLUSIVE | EPOLLET, false,
                ready -> {
                    early.set(true); // before the look at self: one of the two sides sees the other's write
                    Readiness.Watch me = self.get();
                    if (me != null && me.cancel()) {
                        woken.accept(ready);
                    }
                }, error);
        if (w != null) {
            self.set(w);
            if (early.get() && w.cancel()) {
                woken.accept(events);
            }
        }
        return w;
    }

    /** {@code APOLL_MAX_RETRY}: how often a request's poll may be armed. */
    private static final int APOLL_MAX_RETRY = 128;

    /** The request the calling thread issues again because its file was ready when its poll was armed, how often. */
    private record ReadyRetry(Req req, int count) {
    }

    private static final ThreadLocal<ReadyRetry> READY_RETRY = new ThreadLocal<>();

    /** What {@code io_arm_poll_handler} always asks for besides the opcode's POLLIN or POLLOUT. */
    private static final int APOLL_EVENTS = POLLPRI | POLLRDHUP;
    /** {@code IO_POLL_UNMASK}: what a poll always reports (ppoll reports all but POLLRDHUP unasked). */
    private static final int POLL_UNMASK = POLLERR | POLLHUP | POLLNVAL | POLLRDHUP;
}
