package dev.ringspec.emulator;

import dev.ringspec.model.Clock;
import dev.ringspec.model.IssueContext;

/**
 * What the emulator gives its opcodes beyond a ring's {@link IssueContext}: readiness of real descriptors, time and
 * timers, and the other rings of the same emulator ({@code MSG_RING}). One per {@link EmulatedIoUring}; opcodes get
 * it when the emulator builds its opcode table ({@link EmulatorOpcodes}).
 */
public interface EmulatorServices {

    /** Readiness of real descriptors (POLL_ADD, and requests that would block). */
    Readiness readiness();

    /** The emulator's clock, real or virtual. */
    Clock clock();

    /** Deadlines on {@link #clock()}. */
    Timers timers();

    /** The live ring of this emulator whose descriptor is {@code ringFd}, or null. */
    IssueContext ring(int ringFd);
}
