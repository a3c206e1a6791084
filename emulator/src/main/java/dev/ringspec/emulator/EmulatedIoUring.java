package dev.ringspec.emulator;

import dev.ringspec.model.Chooser;
import dev.ringspec.model.Clock;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.ModelIoUring;
import dev.ringspec.model.RuleListener;
import dev.ringspec.seam.IoUringKernel;
import dev.ringspec.seam.Ring;
import dev.ringspec.seam.UserMemory;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A kernel-compatible io_uring in Java: the reference model's rings, rules and errnos (a {@link ModelIoUring} with
 * any {@link KernelProfile}, so this machine can behave as another kernel version), plus what the model leaves
 * out: opcodes that do real I/O on the process's descriptors ({@link EmulatorOpcodes}), an io-wq of real threads
 * ({@link WorkerPool}), readiness through epoll ({@link Readiness}), waits that block ({@link RingWaiter}), timers
 * on a real or virtual clock ({@link Timers}, {@link VirtualClock}), and real ring descriptors. The emulator adds
 * opcodes and a world; every ring rule is the model's.
 *
 * <p>The calling thread is the ring's task, as with the kernel. Close the emulator to stop its threads.
 */
public final class EmulatedIoUring implements IoUringKernel, AutoCloseable, EmulatorServices {
    private final KernelProfile base;
    private final ModelIoUring model;
    private final Clock clock;
    private final RingWaiter waiter;
    private final Readiness readiness;
    private final Timers timers;
    private final WorkerPool ioWq;
    private final EmulatorOpcodes opcodes;

    private EmulatedIoUring(KernelProfile base, UserMemory memory, Clock clock) {
        this.base = Objects.requireNonNull(base, "profile");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.waiter = new RingWaiter(clock);
        this.timers = new Timers(clock);
        if (clock instanceof VirtualClock v) {
            v.onAdvance(waiter::wakeAll);
        }
        this.readiness = new Readiness();
        this.opcodes = EmulatorOpcodes.build(base, this);
        this.ioWq = new WorkerPool(opcodes.byOpcode());
        RealDescriptors descriptors = new RealDescriptors();
        this.model = new ModelIoUring(opcodes.profile(), memory)
                .withProcessDescriptors(descriptors)
                .withRingDescriptors(descriptors)
                .withWaiter(waiter)
                .withIoWq(ioWq)
                .withAsyncPoll(readiness)
                .withClock(clock);
    }

    /** An emulator that behaves as {@code profile}'s kernel, on the real clock, over {@code memory}. */
    public static EmulatedIoUring open(KernelProfile profile, UserMemory memory) {
        return new EmulatedIoUring(profile, memory, Clock.SYSTEM);
    }

    /** The same on {@code clock} (a {@link VirtualClock} for tests whose time passes only when they say so). */
    public static EmulatedIoUring open(KernelProfile profile, UserMemory memory, Clock clock) {
        return new EmulatedIoUring(profile, memory, clock);
    }

    /** The kernel version this emulator behaves as. */
    public KernelProfile profile() {
        return base;
    }

    /** Reports every rule of the model as it applies (see {@link ModelIoUring#withRuleListener}). */
    public EmulatedIoUring withRuleListener(RuleListener listener) {
        model.withRuleListener(listener);
        return this;
    }

    /**
     * Asks {@code chooser} at the model's choice points ({@link dev.ringspec.model.Choice}): where the kernel may
     * do either of several things by timing, a test or a lockstep run decides which the emulator does.
     */
    public EmulatedIoUring withChooser(Chooser chooser) {
        model.withChooser(chooser);
        return this;
    }

    @Override
    public String description() {
        return "emulator, profile " + base.version();
    }

    @Override
    public String release() {
        return base.version() + ".0-emulator";
    }

    @Override
    public SetupResult setup(int entries, MemorySegment params) {
        return model.setup(entries, params);
    }

    @Override
    public int enter(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSizeBytes) {
        return model.enter(ring, toSubmit, minComplete, flags, arg, argSizeBytes);
    }

    @Override
    public int register(Ring ring, int opcode, MemorySegment arg, int nrArgs) {
        return model.register(ring, opcode, arg, nrArgs);
    }

    @Override
    public int registerWithoutRing(int opcode, MemorySegment arg, int nrArgs) {
        return model.registerWithoutRing(opcode, arg, nrArgs);
    }

    @Override
    public int setNoNewPrivs() {
        return model.setNoNewPrivs();
    }

    @Override
    public int forkTask(boolean dropCapSysAdmin) {
        return model.forkTask(dropCapSysAdmin);
    }

    @Override
    public int freshTask() {
        return model.freshTask();
    }

    @Override
    public int close(Ring ring) {
        int fd = ring.fd();
        int r = model.close(ring);
        if (r == 0) {
            waiter.forget(fd);
        }
        return r;
    }

    // ---- EmulatorServices ----

    @Override
    public Readiness readiness() {
        return readiness;
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public Timers timers() {
        return timers;
    }

    @Override
    public IssueContext ring(int ringFd) {
        return model.issueContextOf(ringFd);
    }

    /** Stops the emulator's threads (poll, timers, io-wq). Rings still open are not usable afterwards. */
    @Override
    public void close() {
        readiness.close();
        timers.close();
        ioWq.close();
    }
}
