package dev.ringspec.emulator;

import dev.ringspec.model.Clock;
import dev.ringspec.model.IssueContext;
import dev.ringspec.model.KernelProfile;

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

    /** The emulator's clock, real or virtual. */
    Clock clock();

    /** Deadlines on {@link #clock()}. */
    Timers timers();

    /**
     * The live ring of this emulator whose file {@code ringFd} is (the ring's own descriptor, or a duplicate of it,
     * as a registered-file slot holds), or null.
     */
    IssueContext ring(int ringFd);
}
