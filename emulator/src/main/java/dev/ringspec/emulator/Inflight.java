package dev.ringspec.emulator;

import dev.ringspec.model.Req;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A ring's requests that wait outside the ring, where cancellation ({@code IORING_OP_ASYNC_CANCEL},
 * {@code IORING_REGISTER_SYNC_CANCEL}, a ring's close) can reach them: io-wq work, armed polls (POLL_ADD and
 * requests waiting for readiness), timeouts. One per ring ({@code ctx.ringLocal(Inflight.class, Inflight::new)});
 * touched only on the ring's task, except through the {@link Canceler}s, which must be safe from any thread.
 * Searched in the order of {@code io_try_cancel} (io_uring/cancel.c): io-wq, then polls, then timeouts; direct
 * transfers in flight are here only to be waited for.
 */
public final class Inflight implements AutoCloseable {

    /** Where a request waits, in the order {@code io_try_cancel} looks. */
    public enum Kind {
        /** Queued to or running on io-wq ({@code io_async_cancel_one}). */
        IO_WQ,
        /** An armed poll ({@code io_poll_cancel}: POLL_ADD, and requests waiting for readiness). */
        POLL,
        /** A timeout ({@code io_timeout_cancel}; never matched by fd). */
        TIMEOUT,
        /**
         * A direct transfer whose bio is in flight ({@link DirectIo}): no list of {@code io_try_cancel}'s holds it,
         * so ASYNC_CANCEL does not find it (-ENOENT); an exec's cancellation and the ring's end wait for it.
         */
        BIO
    }

    /**
     * Stops a waiting request. Answers 0 when this call stopped it (the canceler then completes the request with
     * -ECANCELED, through its ring's task work), {@code -EALREADY} when it already runs and cannot be stopped, or
     * {@code -ENOENT} when it just completed on its own.
     */
    @FunctionalInterface
    public interface Canceler {
        int cancel();
    }

    /**
     * A waiting request: what cancellation matches on, and how to stop it.
     *
     * @param fd the descriptor the request's file is (for IORING_ASYNC_CANCEL_FD), or -1
     * @param fixed whether {@code fd} is a registered-file slot (IORING_ASYNC_CANCEL_FD_FIXED)
     */
    public record Entry(Req req, Kind kind, int fd, boolean fixed, Canceler canceler) {
        public Entry {
            Objects.requireNonNull(req, "req");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(canceler, "canceler");
        }
    }

    private final Map<Req, Entry> entries = new LinkedHashMap<>();

    /** {@code req} now waits as {@code kind}. */
    public synchronized void add(Entry entry) {
        entries.put(entry.req(), entry);
    }

    /** {@code req} no longer waits (it completed, or was cancelled). */
    public synchronized void remove(Req req) {
        entries.remove(req);
    }

    /** {@code req} no longer waits as {@code kind} (an entry of another kind, which replaced it, stays). */
    public synchronized void remove(Req req, Kind kind) {
        Entry e = entries.get(req);
        if (e != null && e.kind() == kind) {
            entries.remove(req);
        }
    }

    /** The waiting requests of {@code kind} that {@code match} accepts, oldest first. */
    public synchronized List<Entry> find(Kind kind, Predicate<Entry> match) {
        List<Entry> found = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (e.kind() == kind && match.test(e)) {
                found.add(e);
            }
        }
        return found;
    }

    /** Every waiting request, oldest first. */
    public synchronized List<Entry> all() {
        return List.copyOf(entries.values());
    }

    /** The ring is gone ({@code io_ring_exit_work}): every waiting request is stopped; nothing is posted. */
    @Override
    public void close() {
        for (Entry e : all()) {
            e.canceler().cancel();
        }
        synchronized (this) {
            entries.clear();
        }
    }
}
