package dev.ringspec.emulator.ops;

import static dev.ringspec.uapi.IoUring.IORING_ASYNC_CANCEL_ANY;
import static dev.ringspec.uapi.IoUring.IORING_ENTER_GETEVENTS;
import static dev.ringspec.uapi.IoUring.IORING_OP_ASYNC_CANCEL;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_ADD;
import static dev.ringspec.uapi.IoUring.IORING_OP_READ;
import static dev.ringspec.uapi.IoUring.IORING_OP_POLL_REMOVE;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_FILES;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.ringspec.emulator.BothSides;
import dev.ringspec.seam.Cqe;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.RingDriver;
import dev.ringspec.seam.Sqe;
import dev.ringspec.seam.UserMemory;
import dev.ringspec.uapi.IoUringParams;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** A ring for poll, cancel and eventfd scenarios, on any backend: SQE writers, settling, reaping. */
final class TestRing {
    final IoUringKernel kernel;
    final UserMemory memory;
    final RingDriver d;
    final List<Cqe> cqes = new ArrayList<>();

    TestRing(IoUringKernel kernel, UserMemory memory, int entries, int setupFlags, int cqEntries) {
        this.kernel = kernel;
        this.memory = memory;
        MemorySegment params = memory.allocate(IoUringParams.SIZE_BYTES);
        params.set(JAVA_INT, IoUringParams.FLAGS_OFFSET, setupFlags);
        params.set(JAVA_INT, IoUringParams.CQ_ENTRIES_OFFSET, cqEntries);
        this.d = new RingDriver(kernel, kernel.setup(entries, params).ringOrNull());
    }

    TestRing(IoUringKernel kernel, UserMemory memory) {
        this(kernel, memory, 8, 0, 0);
    }

    /** A scenario's steps on a ring and a world of real files, both closed after. */
    @FunctionalInterface
    interface Body {
        List<Cqe> run(World w, TestRing r) throws Exception;
    }

    /** {@code body} on a ring of {@code entries} SQEs with {@code setupFlags} (and {@code cqEntries} if not 0). */
    static BothSides.Scenario on(int entries, int setupFlags, int cqEntries, Body body) {
        return (kernel, memory) -> {
            try (World w = new World()) {
                TestRing r = new TestRing(kernel, memory, entries, setupFlags, cqEntries);
                try {
                    return body.run(w, r);
                } finally {
                    r.close();
                }
            }
        };
    }

    /** {@code body} on a ring of 8 SQEs. */
    static BothSides.Scenario on(Body body) {
        return on(8, 0, 0, body);
    }

    /** A POLL_ADD: {@code len} holds its flags ({@code IORING_POLL_ADD_MULTI}), {@code events} poll32_events. */
    long pollAdd(int fd, int events, int len, long userData) {
        long at = d.nextSqe();
        Sqe.opcode(d.sqes(), at, IORING_OP_POLL_ADD);
        Sqe.fd(d.sqes(), at, fd);
        Sqe.opFlags(d.sqes(), at, events);
        Sqe.len(d.sqes(), at, len);
        Sqe.userData(d.sqes(), at, userData);
        return at;
    }

    /** A POLL_REMOVE of {@code target}: {@code len} the update flags, {@code newUserData} in off. */
    long pollRemove(long target, int len, int events, long newUserData, long userData) {
        long at = d.nextSqe();
        Sqe.opcode(d.sqes(), at, IORING_OP_POLL_REMOVE);
        Sqe.fd(d.sqes(), at, -1);
        Sqe.addr(d.sqes(), at, target);
        Sqe.len(d.sqes(), at, len);
        Sqe.opFlags(d.sqes(), at, events);
        Sqe.off(d.sqes(), at, newUserData);
        Sqe.userData(d.sqes(), at, userData);
        return at;
    }

    /** An ASYNC_CANCEL: {@code target} in addr, {@code flags} the cancel flags, {@code fd}, {@code opcode} in len. */
    long cancel(long target, int flags, int fd, int opcode, long userData) {
        long at = d.nextSqe();
        Sqe.opcode(d.sqes(), at, IORING_OP_ASYNC_CANCEL);
        Sqe.fd(d.sqes(), at, fd);
        Sqe.addr(d.sqes(), at, target);
        Sqe.opFlags(d.sqes(), at, flags);
        Sqe.len(d.sqes(), at, opcode);
        Sqe.userData(d.sqes(), at, userData);
        return at;
    }

    /** An IORING_ASYNC_CANCEL_ANY as {@code userData}, submitted; then settles until {@code n} CQEs are ready. */
    List<Cqe> cancelAny(long userData, int n) {
        cancel(0, IORING_ASYNC_CANCEL_ANY, 0, 0, userData);
        submit();
        return settle(n);
    }

    /** An ASYNC_CANCEL of {@code target} by user_data, submitted; then settles until {@code n} CQEs are ready. */
    List<Cqe> cancelAndSettle(long target, long userData, int n) {
        cancel(target, 0, 0, 0, userData);
        submit();
        return settle(n);
    }

    /** A READ of 8 bytes from {@code fd} into {@code buffer}, at the file's position. */
    long read8(int fd, MemorySegment buffer, long userData) {
        long at = d.nextSqe();
        Sqe.opcode(d.sqes(), at, IORING_OP_READ);
        Sqe.fd(d.sqes(), at, fd);
        Sqe.addr(d.sqes(), at, buffer.address());
        Sqe.len(d.sqes(), at, 8);
        Sqe.off(d.sqes(), at, -1);
        Sqe.userData(d.sqes(), at, userData);
        return at;
    }

    long nop(long userData) {
        long at = d.nextSqe();
        Sqe.prepNop(d.sqes(), at, userData);
        return at;
    }

    int submit() {
        return d.submit(0, 0);
    }

    /** Registers {@code fds} as the ring's file table. */
    int registerFiles(int... fds) {
        MemorySegment arg = memory.allocate(4L * fds.length);
        for (int i = 0; i < fds.length; i++) {
            arg.setAtIndex(JAVA_INT, i, fds[i]);
        }
        return kernel.register(d.ring(), IORING_REGISTER_FILES, arg, fds.length);
    }

    /**
     * Enters until {@code done} holds (the kernel's task work has run by the time a write returns; the emulator's
     * arrives from its poll thread), at most 5 seconds; then reaps what is there.
     */
    List<Cqe> settle(BooleanSupplier done) {
        settleWithoutReaping(done);
        return reap();
    }

    /** Enters until {@code done} holds, at most 5 seconds. */
    void settleWithoutReaping(BooleanSupplier done) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            kernel.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
            if (done.getAsBoolean() || System.nanoTime() > deadline) {
                return;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Enters until {@code n} CQEs are ready, then reaps them all. */
    List<Cqe> settle(int n) {
        return settle(() -> d.ready() >= n);
    }

    /** Reaps every CQE ready now, also keeping them in {@link #cqes}. */
    List<Cqe> reap() {
        List<Cqe> out = new ArrayList<>();
        for (Cqe c = d.reap(); c != null; c = d.reap()) {
            out.add(c);
        }
        cqes.addAll(out);
        return out;
    }

    /** Waits a little for anything more the emulator might still post, and reaps it (nothing, if all is well). */
    List<Cqe> quiet() {
        try {
            Thread.sleep(30);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kernel.enter(d.ring(), 0, 0, IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0);
        return reap();
    }

    void close() {
        kernel.close(d.ring());
    }
}
