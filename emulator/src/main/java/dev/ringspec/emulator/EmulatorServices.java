package dev.ringspec.emulator;

import dev.ringspec.model.Clock;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.KernelProfile;
import dev.ringspec.model.OpDef;
import dev.ringspec.model.ProcessDescriptorTable;
import dev.ringspec.model.Req;

/**
 * What the emulator gives its opcodes beyond a ring's {@link IssueContext}: readiness of real descriptors, time and
 * timers, and the other rings of the same emulator ({@code MSG_RING}). One per {@link EmulatedIoUring}; opcodes get
 * it when the emulator builds its opcode table ({@link EmulatorOpcodes}).
 */
public interface EmulatorServices {

    /** The kernel version the emulator behaves as (its base profile, before the emulator's opcodes). */
    KernelProfile profile();

    /** Readiness of real descriptors (POLL_ADD, and requests that would block). */
    Readiness readiness();

    /** Which requests' tasks have exited: a poll of theirs that fires ends -ECANCELED. */
    TaskExits taskExits();

    /** The emulator's clock, real or virtual. */
    Clock clock();

    /** Deadlines on {@link #clock()}. */
    Timers timers();

    /**
     * The live ring of this emulator whose file {@code ringFd} is (the ring's own descriptor, or a duplicate of it,
     * as a registered-file slot holds), or null.
     */
    IssueContext ring(int ringFd);

    /** The faults to inject (short transfers: {@link Faults#shorten}). */
    Faults faults();

    /**
     * Hands a request's work from a poll callback, a timer or a worker to its ring's task
     * ({@link IssueContext#taskWorkFromOtherThread}), through the injected delays and reorderings if any: what
     * every completion from outside the ring's task goes through.
     */
    void deliver(IssueContext ctx, Req req, OpDef.Issue func);

    /** {@link #deliver}, then {@code queued} on the delivering thread once the work is on the ring's list. */
    default void deliver(IssueContext ctx, Req req, OpDef.Issue func, Runnable queued) {
        deliver(ctx, req, func);
        queued.run();
    }

    /**
     * A direct transfer's bio ({@link DirectIo}): {@code transfer} makes the real call off the ring's task and
     * answers the completion that the ring's task then runs as task work ({@code io_complete_rw}). Call from the
     * ring's task, then return {@link OpDef#SKIP_COMPLETE}.
     */
    void directIo(IssueContext ctx, Req req, java.util.function.Supplier<OpDef.Issue> transfer);

    /**
     * The descriptor table of the process whose rings these are: this JVM's, or a served program's, whose
     * descriptors, working directory and root an opcode reaches only through it.
     */
    ProcessDescriptorTable processDescriptors();

    /**
     * Counts a request answered -EOPNOTSUPP because the emulator cannot do it for the process it serves, once per
     * {@code what} (an opcode's name, or an opcode and the argument refused): see {@link EmulatedIoUring#refusals}.
     */
    void refuse(String what);

    /**
     * {@code io_req_track_inflight}: {@code task} (the submitter's key, {@link Req#task}) has a request on a ring's own
     * descriptor, which the task's exit cancels ({@link EmulatedIoUring#cancelExitedTask}).
     */
    default void inflightTracked(Object task) {
    }
}
