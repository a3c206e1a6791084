package dev.ringspec.model;

/**
 * The process's descriptor table ({@code current->files}) as the model sees it: which descriptors are open. Not to be
 * confused with a ring's registered-file table ({@link FileTable}, the kernel's filetable.c). The kernel looks a
 * descriptor up with {@code fget}; a pure-Java model cannot see the process's table, so whoever drives it says
 * which descriptors are open.
 *
 * <p>{@link #NON_NEGATIVE_OPEN} (the default) treats every descriptor {@code >= 0} as an open, non-io_uring file
 * and every negative one as closed. Tests that need the truth plug in a checker (for example one that asks
 * {@code /proc/self/fd}); the model itself adds one fact it does know: its own ring descriptors are io_uring
 * files, which {@code IORING_REGISTER_FILES} refuses with -EBADF.
 */
@FunctionalInterface
public interface ProcessDescriptorTable {

    /** Whether {@code fd} names an open file of the process ({@code fget(fd) != NULL}). */
    boolean isOpen(int fd);

    /**
     * {@code rlimit(RLIMIT_NOFILE)}, the bound {@code io_sqe_files_register} checks after its own
     * {@code IORING_MAX_FIXED_FILES}. The default is no bound below the kernel's: the JVM raises its soft limit to
     * the hard limit at start (-XX:+MaxFDLimit), which is normally above what tests register.
     */
    default long noFileLimit() {
        return Long.MAX_VALUE;
    }

    /**
     * {@code fget} for a registered-file table: the reference a slot holds for {@code fd}, which stays valid after
     * the application closes {@code fd} (an emulator duplicates the descriptor); the model keeps the number.
     * Called only for a descriptor {@link #isOpen} accepted.
     */
    default int acquire(int fd) {
        return fd;
    }

    /** {@code fput} of a reference {@link #acquire} gave, or of a descriptor an opcode installed in a slot. */
    default void release(int reference) {
        // the model holds numbers, not references
    }

    /**
     * The descriptor of this process that names the application's {@code fd} at this moment, for an opcode's real
     * call ({@link IssueContext#fileDescriptor}); negative when {@code fd} names nothing. The same number where the
     * application is this process; a descriptor taken from it ({@code pidfd_getfd}) where it is another.
     */
    default int local(int fd) {
        return fd;
    }

    /**
     * The number under which the rings know the file the application's {@code fd} names, when it is a ring (the
     * ring's own descriptor); anything else for another file. The same number where the application is this
     * process; where it is another, its descriptor's file compared with the rings'.
     */
    default int ringDescriptor(int fd) {
        return fd;
    }

    /** Every descriptor {@code >= 0} is open. */
    ProcessDescriptorTable NON_NEGATIVE_OPEN = fd -> fd >= 0;
}
