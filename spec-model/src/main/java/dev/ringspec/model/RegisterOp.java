package dev.ringspec.model;

import java.lang.foreign.MemorySegment;

/**
 * A register opcode from another module ({@link KernelProfile.Builder#registerOp}): {@code __io_uring_register}'s
 * case for it, reached after the generic checks every register opcode passes (the opcode's range, the submitter
 * task, the ring's restrictions). It sees the ring as its opcodes do, through the ring's {@link IssueContext}.
 */
@FunctionalInterface
public interface RegisterOp {

    /** 0 or a non-negative result, or the kernel's {@code -errno}; never throws for bad arguments. */
    int register(IssueContext ring, MemorySegment arg, int nrArgs);
}
