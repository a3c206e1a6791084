package dev.ringspec.seam;

import static dev.ringspec.uapi.Errno.ENOSYS;

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

    /**
     * {@code prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)} for the calling thread's task, which may then register per-task
     * restrictions without CAP_SYS_ADMIN: 0 or {@code -errno}; irreversible for the task. {@code -ENOSYS} where the
     * backend has no tasks of its own.
     */
    default int setNoNewPrivs() {
        return -ENOSYS;
    }

    /**
     * {@code clone(2)}: the calling thread goes on as a new child of its current task. The child gets what
     * {@code copy_process} copies (no_new_privs, the credentials, io_uring's per-task restrictions); with
     * {@code dropCapSysAdmin} it gives up CAP_SYS_ADMIN. Rings stay open, but a SINGLE_ISSUER ring of the parent
     * refuses the child ({@code -EEXIST}). 0 or {@code -errno}. Nothing undoes it but {@link #freshTask}.
     *
     * @throws UnsupportedOperationException where the backend cannot give a thread another task (this JVM)
     */
    default int forkTask(boolean dropCapSysAdmin) {
        throw new UnsupportedOperationException(description() + " cannot fork a task");
    }

    /**
     * The calling thread's next calls are made by a new task that inherits nothing (made by the process's first,
     * unrestricted task): how a run that restricted or forked its task ends. 0 or {@code -errno}.
     *
     * @throws UnsupportedOperationException where the backend cannot give a thread another task (this JVM)
     */
    default int freshTask() {
        throw new UnsupportedOperationException(description() + " cannot give a thread a new task");
    }

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
