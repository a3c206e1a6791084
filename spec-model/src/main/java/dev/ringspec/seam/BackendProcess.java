package dev.ringspec.seam;

import static dev.ringspec.uapi.Errno.ENOSYS;

/**
 * The process a backend's rings live in, for what a test needs of it besides io_uring: open files to register or
 * look up by descriptor, and the {@code no_new_privs} bit per-task restrictions require. For the running kernel
 * that is this JVM's process; for a guest kernel, a process in the guest; for the model, descriptor numbers it
 * treats as open. Every call answers like the system call it stands for: a result, or {@code -errno}.
 */
public interface BackendProcess {

    /** {@code pipe2(fds, O_CLOEXEC)}: {@code {readFd, writeFd}}, or {@code {-errno}}. */
    int[] pipe();

    /** {@code close(fd)}: 0 or {@code -errno}. */
    int close(int fd);

    /**
     * {@code prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)} for the calling thread's task, which then may register
     * per-task restrictions without CAP_SYS_ADMIN: 0 or {@code -errno}. Irreversible for that task.
     */
    int setNoNewPrivs();

    /** A backend without a process of its own: every call answers {@code -ENOSYS}. */
    BackendProcess NONE = new BackendProcess() {
        @Override
        public int[] pipe() {
            return new int[] {-ENOSYS};
        }

        @Override
        public int close(int fd) {
            return -ENOSYS;
        }

        @Override
        public int setNoNewPrivs() {
            return -ENOSYS;
        }
    };
}
