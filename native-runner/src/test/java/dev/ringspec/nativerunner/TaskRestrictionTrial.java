package dev.ringspec.nativerunner;

import static dev.ringspec.uapi.IoUring.IORING_OP_NOP;
import static dev.ringspec.uapi.IoUring.IORING_REGISTER_RESTRICTIONS;
import static dev.ringspec.uapi.IoUring.IORING_RESTRICTION_SQE_OP;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.ringspec.uapi.IoUringRestriction;
import dev.ringspec.uapi.IoUringTaskRestriction;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Run in a child JVM: registers real per-task restrictions (allow only NOP), which can never be undone for the
 * process, and prints the syscall's result. The evidence behind {@code Feature.TASK_RESTRICTIONS}.
 */
public final class TaskRestrictionTrial {
    private TaskRestrictionTrial() {
    }

    public static void main(String[] args) {
        System.out.println("no_new_privs " + Posix.setNoNewPrivs());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment arg = arena.allocate(IoUringTaskRestriction.SIZE_BYTES + IoUringRestriction.SIZE_BYTES, 8);
            arg.set(JAVA_SHORT, IoUringTaskRestriction.NR_RES_OFFSET, (short) 1);
            long r = IoUringTaskRestriction.SIZE_BYTES;
            arg.set(JAVA_SHORT, r + IoUringRestriction.OPCODE_OFFSET, (short) IORING_RESTRICTION_SQE_OP);
            arg.set(JAVA_BYTE, r + IoUringRestriction.SQE_OP_OFFSET, (byte) IORING_OP_NOP);
            System.out.println("register " + new NativeIoUring().registerWithoutRing(IORING_REGISTER_RESTRICTIONS,
                    arg, 1));
        }
    }
}
