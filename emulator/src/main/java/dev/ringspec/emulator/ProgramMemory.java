package dev.ringspec.emulator;

import static dev.ringspec.uapi.Errno.EOPNOTSUPP;

import dev.ringspec.seam.AddressSpace;
import java.lang.foreign.MemorySegment;

/**
 * The memory of a program the emulator serves from outside (the {@code host} module): {@link #resolve} hands out
 * windows copied in, and the transfers of the read and write opcodes copy straight between that program's buffers
 * and the file, through a buffer of this JVM ({@code process_vm_readv} and {@code process_vm_writev}). Its
 * addresses are never handed to a real call of this JVM.
 */
public interface ProgramMemory extends AddressSpace {

    @Override
    default boolean local() {
        return false;
    }

    /** Copies the program's bytes at {@code address} into {@code into}: false where not all are readable. */
    boolean copyIn(long address, MemorySegment into);

    /** Copies {@code from} into the program's memory at {@code address}: false where not all are writable. */
    boolean copyOut(MemorySegment from, long address);

    /**
     * {@code madvise(address, len, advice)} on the program's memory: 0 or -errno; -EOPNOTSUPP for advice that
     * cannot be given to another process's memory.
     */
    default int madvise(long address, long len, int advice) {
        return -EOPNOTSUPP;
    }
}
