package dev.ringspec.lockstep;

import dev.ringspec.seam.SqeFields;
import java.util.random.RandomGenerator;

/**
 * An opcode beyond NOP that generated runs write: how one of its SQEs looks. A module that adds an opcode to the
 * model (its {@code OpDef}, given to a profile through {@code KernelProfile.Builder.opcode}) tells a lockstep run of
 * it here ({@link LockstepRunner#withOpcodes}, {@link LockstepCheck#withOpcodes}); the {@link Generator} then mixes
 * its SQEs into batches of NOPs, sometimes linked or with CQE_SKIP_SUCCESS. Nothing else changes: a step that writes
 * it is a plain {@link Step.WriteSqe}, so comparison, shrinking, replays and the C and JUnit reproducers take it as
 * they take a NOP.
 *
 * <p>The steps must stay deterministic on every side: a form that asks for io-wq, or for a completion nobody
 * delivers, gets its run ended by the referee's refusing rules ({@link Referee#REFUSING}) like any other step.
 */
@FunctionalInterface
public interface GeneratedOpcode {
    /**
     * One SQE of the opcode, its fields drawn from {@code random}; the generator replaces {@code user_data} with
     * the run's next one and may add IOSQE_IO_LINK or IOSQE_CQE_SKIP_SUCCESS to {@code flags}.
     */
    SqeFields sqe(RandomGenerator random);
}
