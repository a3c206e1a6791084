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
     * {@code rlimit(RLIMIT_FSIZE)} of the application where it is another process, which a write or fallocate the
     * emulator makes in this process does not meet by itself ({@code generic_write_check_limits},
     * {@code inode_newsize_ok}); {@link Long#MAX_VALUE} for none, and where the application is this process (its
     * own limit applies to the real call).
     */
    default long fileSizeLimit() {
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
     * {@link #release} of a slot's reference by a closed ring's exit work, which the kernel runs after the close has
     * returned: {@code io_ring_ctx_wait_and_kill} queues {@code io_ring_exit_work} on a workqueue, which waits for
     * the ring's references to drop and then frees its file table ({@code io_ring_ctx_free},
     * {@code io_sqe_files_unregister}); its {@code fput}, from a kernel thread, hands the file to
     * {@code delayed_fput_work}, one jiffy later (fs/file_table.c {@code __fput_deferred}). So a socket only that
     * table held sends its FIN some time after the close. By default at once, as {@link #release}.
     */
    default void releaseAtExit(int reference) {
        release(reference);
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
     * {@code fget} for a request ({@code io_file_get_normal}): a reference of this process to the application's
     * {@code fd}, held by the request until it is freed ({@link #put}, the kernel's {@code io_put_file}), so the
     * file stays open while the request uses it and no longer; negative where {@code fd} names nothing. Also a
     * single call's reference to a descriptor it names (SCM_RIGHTS sent, an eventfd registered), given back after
     * it. The default: {@link #local}'s number where {@link #isOpen}, which holds nothing.
     */
    default int get(int fd) {
        return isOpen(fd) ? local(fd) : -1;
    }

    /**
     * {@link #get} for a request whose issue's real call looks the descriptor up itself and answers -EBADF where it
     * names nothing ({@link OpDef#ISSUE_FINDS_FILE}): where that call can take the application's own number, the
     * number itself, without a look-up of its own (negative only for a negative {@code fd}). By default
     * {@link #get}'s reference.
     */
    default int getForIssue(int fd) {
        return get(fd);
    }

    /** {@code fput} of a reference {@link #get} or {@link #hold} gave. */
    default void put(int reference) {
        // the default holds nothing
    }

    /**
     * A request's reference from {@link #get} made to hold its file, for a request about to wait (armed on its
     * file's readiness, or queued for io-wq): where {@link #get} gave a number that holds nothing, a reference of its
     * own (a duplicate), so the request still reads and writes its file after the application closes the number, as
     * the kernel's request does through {@code req->file}; {@link #put} gives it back. The same reference where it
     * holds already, and by default.
     */
    default int hold(int reference) {
        return reference;
    }

    /**
     * The number under which the rings know the file the application's {@code fd} names, when it is a ring (the
     * ring's own descriptor); anything else for another file. The same number where the application is this
     * process; where it is another, its descriptor's file compared with the rings'.
     */
    default int ringDescriptor(int fd) {
        return fd;
    }

    /** {@code AT_FDCWD}: a path's lookup starts at the working directory. */
    int AT_FDCWD = -100;

    /** What {@link #install} answers where it cannot give the application a descriptor now. */
    int LATER = Integer.MIN_VALUE;

    /**
     * The directory a relative path of the application is looked up from, as a descriptor of this process for one
     * real call: {@code dfd} itself where the application is this process. Where it is another: for
     * {@link #AT_FDCWD} a new descriptor of its working directory at this moment (it may chdir), for any other
     * {@code dfd} {@link #local}'s; negative (-EBADF) where {@code dfd} names nothing. Give it back with
     * {@link #releaseDirectory} after the call.
     */
    default int directory(int dfd) {
        return dfd;
    }

    /** Gives back a {@link #directory} answer for {@code dfd}. */
    default void releaseDirectory(int dfd, int directory) {
        // the application's own numbers: nothing was taken
    }

    /**
     * The application's root directory as a new descriptor of this process, where it is not this process's (a
     * chroot): an absolute path of the application is looked up from it. -1 where the roots are the same, as always
     * where the application is this process. Close it after the call.
     */
    default int root() {
        return -1;
    }

    /**
     * What {@code /proc/self} ({@code thread} false) or {@code /proc/thread-self} names for the application, as a
     * path this process can look up ("/proc/PID", "/proc/PID/task/TID"); null where the application is this process.
     */
    default String procSelf(boolean thread) {
        return null;
    }

    /**
     * {@code receive_fd}: gives the application {@code local}, a descriptor of this process an opcode just opened
     * (OPENAT, ACCEPT, SOCKET, PIPE, FIXED_FD_INSTALL), O_CLOEXEC if {@code cloexec}: its number in the application,
     * or -errno (-EMFILE) and {@code local} is closed; or {@link #LATER}, and {@code local} is still the caller's.
     * Where the application is this process, {@code local} itself. Where it is another, a descriptor can be given
     * only while the application is in a call the supervisor has not answered yet; {@link #LATER} where none is.
     */
    default int install(int local, boolean cloexec) {
        return local;
    }

    /**
     * Runs {@code retry} once, on the next occasion {@link #install} can give a descriptor (at once where it can
     * now): where the application is another process, when it next makes a call the supervisor serves. A request
     * that opened a file while the application was not in a call completes only then, so an application that
     * spins on its CQ ring without entering sees that CQE only once it enters.
     */
    default void whenInstallable(Runnable retry) {
        retry.run();
    }

    /** Every descriptor {@code >= 0} is open. */
    ProcessDescriptorTable NON_NEGATIVE_OPEN = fd -> fd >= 0;
}
