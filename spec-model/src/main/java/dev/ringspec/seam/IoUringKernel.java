package dev.ringspec.seam;

import java.lang.foreign.MemorySegment;

/**
 * The one seam every io_uring backend sits behind: the running kernel (native-runner), the reference model and
 * the emulator. It is shaped like the three syscalls, so conformance code is written once against it.
 *
 * <p>Every call answers with the kernel's number: a non-negative result, or {@code -errno}. Nothing here throws
 * for bad io_uring input; invalid parameters and corrupted rings come back as the errno the kernel gives. Pointer
 * arguments ({@code params}, {@code arg}) are native segments, read and written the way the kernel reads and
 * writes user memory; {@link MemorySegment#NULL} stands for a NULL pointer.
 *
 * <p>Calls run on the calling thread, which is the kernel's "task": a ring created with
 * {@code IORING_SETUP_SINGLE_ISSUER} or {@code IORING_SETUP_DEFER_TASKRUN} answers {@code -EEXIST} to any other
 * thread, exactly as the kernel does. Drive such a ring from one platform thread, never from virtual threads.
 */
public interface IoUringKernel {

    /** Who answers: for example {@code "Linux 6.18.44 (FFM)"} or {@code "model, profile 6.18"}. */
    String description();

    /**
     * The kernel release this backend behaves as, as uname(2) reports it (for example {@code "6.18.44-fc-v669"});
     * the model and emulator report their profile's version.
     */
    String release();

    /**
     * {@code io_uring_setup(entries, params)}. {@code params} is the caller's 120-byte {@code struct
     * io_uring_params}: flags and the other inputs are read from it, and on success the kernel's answer (entries,
     * features, ring offsets) is written back into it. On success the rings are mapped and ready.
     */
    SetupResult setup(int entries, MemorySegment params);

    /** {@code io_uring_enter(ring, toSubmit, minComplete, flags, arg, argSizeBytes)}. */
    int enter(Ring ring, int toSubmit, int minComplete, int flags, MemorySegment arg, long argSizeBytes);

    /**
     * {@code io_uring_register(ring, opcode, arg, nrArgs)}. After a successful {@code IORING_REGISTER_RESIZE_RINGS}
     * the ring's regions are mapped anew: segments taken from the ring before the call are no longer valid.
     */
    int register(Ring ring, int opcode, MemorySegment arg, int nrArgs);

    /** {@code io_uring_register(-1, opcode, arg, nrArgs)}: the "blind" opcodes that need no ring. */
    int registerWithoutRing(int opcode, MemorySegment arg, int nrArgs);

    /** Unmaps the ring's regions and closes its file descriptor; 0, or {@code -errno}. Closing twice is {@code -EBADF}. */
    int close(Ring ring);

    /** The answer of {@link #setup}: a ring, or the kernel's {@code -errno}. */
    sealed interface SetupResult {

        /** The ring was created and mapped. */
        record Created(Ring ring) implements SetupResult {
        }

        /** Setup failed; {@code result} is the negative errno the kernel returned. */
        record Failed(int result) implements SetupResult {
            public Failed {
                if (result >= 0) {
                    throw new IllegalArgumentException("a failed setup carries a negative errno, not " + result);
                }
            }
        }

        /** The ring, or {@code null} if setup failed. */
        default Ring ringOrNull() {
            return this instanceof Created(Ring ring) ? ring : null;
        }

        /** The syscall's result: the ring's file descriptor, or {@code -errno}. */
        default int result() {
            return switch (this) {
                case Created(Ring ring) -> ring.fd();
                case Failed(int result) -> result;
            };
        }
    }
}
