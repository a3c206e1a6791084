package dev.ringspec.host;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ringspec.emulator.sys.Linux;
import dev.ringspec.uapi.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * The supervisor's side of seccomp user notification (seccomp_unotify(2), include/uapi/linux/seccomp.h), x86-64:
 * receive a notification, check that it is still valid, answer it, or answer it by installing a descriptor in the
 * target. Every call answers 0 (or a result) or {@code -errno}; nothing here throws for the target's misdeeds.
 */
final class Seccomp {
    static final long SYS_PIDFD_OPEN = 434;
    static final long SYS_PIDFD_GETFD = 438;
    static final long SYS_KCMP = Linux.SYS_KCMP;
    static final int KCMP_FILE = 0;

    /** _IOWR('!', 0, struct seccomp_notif): 80 bytes. */
    static final long IOCTL_NOTIF_RECV = 0xc0502100L;
    /** _IOWR('!', 1, struct seccomp_notif_resp): 24 bytes. */
    static final long IOCTL_NOTIF_SEND = 0xc0182101L;
    /** SECCOMP_USER_NOTIF_FLAG_CONTINUE (5.5+). */
    static final int USER_NOTIF_FLAG_CONTINUE = 1;
    /** _IOW('!', 2, __u64). */
    static final long IOCTL_NOTIF_ID_VALID = 0x40082102L;
    /** _IOW('!', 3, struct seccomp_notif_addfd): 24 bytes. */
    static final long IOCTL_NOTIF_ADDFD = 0x40182103L;
    /** _IOW('!', 4, __u64). */
    static final long IOCTL_NOTIF_SET_FLAGS = 0x40082104L;
    static final long USER_NOTIF_FD_SYNC_WAKE_UP = 1;
    static final int ADDFD_FLAG_SETFD = 1;
    static final int ADDFD_FLAG_SEND = 2;
    static final int O_CLOEXEC = 0x80000;

    /** struct seccomp_notif: id, pid, flags, then struct seccomp_data (nr, arch, instruction_pointer, args[6]). */
    static final long NOTIF_BYTES = 80;
    static final long NOTIF_ID = 0;
    static final long NOTIF_PID = 8;
    static final long NOTIF_NR = 16;
    static final long NOTIF_ARGS = 32;

    /** The calling thread's {@link Calls}, for the static forms below. */
    private static final ThreadLocal<Calls> CALLS = ThreadLocal.withInitial(Calls::new);
    /**
     * {@code syscall(SYS_ioctl, fd, request, arg)} without errno: its result, -1 for any failure. For the two
     * ioctls of every call, NOTIF_RECV and NOTIF_SEND, whose failures need no errno ({@link Receiver#receive},
     * {@link Calls#send}): capturing it is a call into the JVM and back after each (DowncallLinker::capture_state),
     * about a tenth of the served call's own CPU time.
     */
    private static final MethodHandle IOCTL = linkIoctl();

    private Seccomp() {
    }

    @SuppressWarnings("restricted") // as Linux.call's: the kernel checks the pointer, a bad one is -EFAULT
    private static MethodHandle linkIoctl() {
        Linker linker = Linker.nativeLinker();
        MemorySegment symbol = linker.defaultLookup().find("syscall")
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no syscall"));
        return linker.downcallHandle(symbol,
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }

    /** {@link #IOCTL}: the ioctl's result, or -1 whatever the errno. */
    private static long ioctl(int fd, long request, long arg) {
        try {
            return (long) IOCTL.invokeExact(Linux.SYS_IOCTL, (long) fd, request, arg);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * One received notification: the syscall and its arguments, as the target made it. A {@link Receiver} fills the
     * same one with every call its thread receives (the thread serves a call to its end before it receives again), so
     * that receiving allocates nothing: what keeps a call past its serving keeps a {@link #copy}.
     */
    static final class Notification {
        private long id;
        private int tid;
        private int nr;
        private final long[] args;

        Notification(long id, int tid, int nr, long[] args) {
            this.id = id;
            this.tid = tid;
            this.nr = nr;
            this.args = args;
        }

        long id() {
            return id;
        }

        int tid() {
            return tid;
        }

        int nr() {
            return nr;
        }

        /** The six arguments (the array itself: the receiver's, overwritten by its next call). */
        long[] args() {
            return args;
        }

        /** A notification of its own with the same call, for keeping past this one's serving. */
        Notification copy() {
            return new Notification(id, tid, nr, args.clone());
        }

        @Override
        public String toString() {
            return "Notification[id=" + id + ", tid=" + tid + ", nr=" + nr + ", args=" + Arrays.toString(args) + "]";
        }
    }

    /** Buffers of one receiving thread, and how it learns that the program is gone. */
    static final class Receiver {
        private static final int POLLIN = 1;
        private static final int POLLERR = 0x8;
        private static final int POLLHUP = 0x10;
        private final MemorySegment notif = Arena.ofAuto().allocate(NOTIF_BYTES, 8);
        /** The notification's 64-bit words, read at once. */
        private final long[] words = new long[(int) (NOTIF_BYTES / 8)];
        /** What {@link #receive} returns, filled anew by each call it receives. */
        private final Notification received = new Notification(0, 0, 0, new long[6]);
        private final MemorySegment pollFd = Arena.ofAuto().allocate(8, 8);
        /** A zero timeout: ppoll only looks. */
        private final MemorySegment noWait = Arena.ofAuto().allocate(16, 8);
        private final MemorySegment capture = Linux.newCapture();
        private final boolean recvSeesEnd;
        private final LongAdder polls;

        /**
         * {@code recvSeesEnd}: a RECV returns (ENOENT) once no task uses the filter any more, as from 6.6
         * ({@link #setFlags} works there); before, it waits on a semaphore that the program's end does not raise, so
         * each wait for a notification is a ppoll that sees POLLHUP first. {@code polls} counts the ppoll calls on the
         * listener (on 6.6+ only where a RECV found nothing).
         */
        Receiver(boolean recvSeesEnd, LongAdder polls) {
            this.recvSeesEnd = recvSeesEnd;
            this.polls = polls;
        }

        /**
         * Waits for a notification on {@code listener}: the notification (this receiver's own, overwritten by its
         * next call); {@code null} when the target died before it could be read (ENOENT) or a signal interrupted the
         * wait; throws {@link Gone} when the last process using the filter is gone (POLLHUP).
         */
        Notification receive(int listener) {
            if (!recvSeesEnd) {
                int revents = poll(listener, MemorySegment.NULL);
                if (revents < 0) {
                    return null;
                }
                if ((revents & POLLIN) == 0) {
                    // POLLHUP (0x10) or POLLERR without POLLIN: no task uses the filter any more
                    throw new Gone();
                }
            }
            notif.fill((byte) 0);
            long r = ioctl(listener, IOCTL_NOTIF_RECV, notif.address());
            if (r < 0) {
                // kernel/seccomp.c recv_wait_event (6.6+): a RECV ends when no task uses the filter any more, and
                // then finds nothing (ENOENT), as it does for a target killed in its call or a signal (EINTR);
                // POLLHUP without POLLIN (seccomp_notify_poll: no task uses the filter) tells the end apart, whatever
                // the errno, so none is captured
                if (recvSeesEnd) {
                    int revents = poll(listener, noWait);
                    if (revents >= 0 && (revents & POLLIN) == 0 && (revents & (POLLHUP | POLLERR)) != 0) {
                        throw new Gone();
                    }
                }
                return null;
            }
            // one copy of the whole struct, not a read per field: before the JIT has compiled the serving path each
            // memory-segment access costs about a microsecond in the interpreter, and the program's first thousand
            // calls are served that way
            long[] w = words;
            MemorySegment.copy(notif, JAVA_LONG, 0, w, 0, w.length);
            // little-endian words: id; pid and flags; nr and arch; instruction_pointer; args[6]
            Notification n = received;
            n.id = w[0];
            n.tid = (int) w[(int) (NOTIF_PID / 8)];
            n.nr = (int) w[(int) (NOTIF_NR / 8)];
            System.arraycopy(w, (int) (NOTIF_ARGS / 8), n.args, 0, n.args.length);
            return n;
        }

        /**
         * ppoll for POLLIN on the listener, until it is ready ({@code timeout} NULL) or only looking
         * ({@link #noWait}): its revents, or -1 where the call failed (a signal).
         */
        private int poll(int listener, MemorySegment timeout) {
            polls.increment();
            pollFd.set(JAVA_INT, 0, listener);
            pollFd.set(JAVA_INT, 4, POLLIN); // events = POLLIN; revents cleared
            if (Linux.call(capture, Linux.SYS_PPOLL, pollFd.address(), 1, timeout.address(), 0, 0, 0) < 0) {
                return -1;
            }
            return pollFd.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 6) & 0xffff;
        }
    }

    /** The last process using the filter is gone. */
    static final class Gone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Gone() {
            super("the program is gone", null, false, false);
        }
    }

    /**
     * The ioctls that answer and check notifications, and kcmp, made by one thread at a time: each with the thread's
     * own buffer for its struct (at most 24 bytes) and its own errno capture, so that a call costs no allocation and
     * no thread-local lookup. A serving thread keeps one; the static forms below use the calling thread's.
     */
    static final class Calls {
        private static final int SIG_BLOCK = 0;
        private static final int SIG_SETMASK = 2;
        private final MemorySegment scratch = Arena.ofAuto().allocate(24, 8);
        /** struct seccomp_notif_resp's words, written at once by {@link #send}. */
        private final long[] response = new long[3];
        private final MemorySegment capture = Linux.newCapture();
        /** Every signal, as a kernel sigset_t (64 bits): the kernel leaves SIGKILL and SIGSTOP out itself. */
        private final MemorySegment allSignals = Arena.ofAuto().allocate(8, 8).fill((byte) -1);
        /** The mask {@link #addFd} restores. */
        private final MemorySegment heldMask = Arena.ofAuto().allocate(8, 8);

        /** Whether notification {@code id} is still pending (its target alive and still in the call). */
        boolean idValid(int listener, long id) {
            scratch.set(JAVA_LONG, 0, id);
            return Linux.call(capture, Linux.SYS_IOCTL, listener, IOCTL_NOTIF_ID_VALID, scratch.address(), 0, 0, 0)
                    == 0;
        }

        /** Answers {@code id}: the call returns {@code result} (a negative one as that errno); 0, or -1 if failed. */
        int send(int listener, long id, long result) {
            // struct seccomp_notif_resp: id, val, error, flags
            boolean failed = result < 0 && result >= -4095;
            long[] r = response;
            r[0] = id;
            r[1] = failed ? 0 : result;
            // error (32 bits) and flags (0) as one little-endian word: one copy, as Receiver reads
            r[2] = failed ? result & 0xffff_ffffL : 0;
            MemorySegment.copy(r, 0, scratch, JAVA_LONG, 0, r.length);
            // no errno: a failed answer (the target gone: ENOENT) is answered by nobody, as the caller knows
            return ioctl(listener, IOCTL_NOTIF_SEND, scratch.address()) < 0 ? -1 : 0;
        }

        /**
         * Lets {@code id}'s call run in the kernel as if it had not been filtered (SECCOMP_USER_NOTIF_FLAG_CONTINUE):
         * 0 or -errno.
         */
        int sendContinue(int listener, long id) {
            scratch.set(JAVA_LONG, 0, id);
            scratch.set(JAVA_LONG, 8, 0);
            scratch.set(JAVA_INT, 16, 0);
            scratch.set(JAVA_INT, 20, USER_NOTIF_FLAG_CONTINUE);
            return (int) Linux.call(capture, Linux.SYS_IOCTL, listener, IOCTL_NOTIF_SEND, scratch.address(), 0, 0, 0);
        }

        /** struct seccomp_notif_addfd: id, flags, srcfd, newfd (0: the lowest free), newfd_flags. */
        int addFd(int listener, long id, int flags, int localFd, int newFdFlags) {
            return addFd(listener, id, flags, localFd, 0, newFdFlags);
        }

        /** The same with {@code newFd}, the number that SECCOMP_ADDFD_FLAG_SETFD asks for. */
        int addFd(int listener, long id, int flags, int localFd, int newFd, int newFdFlags) {
            scratch.set(JAVA_LONG, 0, id);
            scratch.set(JAVA_INT, 8, flags);
            scratch.set(JAVA_INT, 12, localFd);
            scratch.set(JAVA_INT, 16, newFd);
            scratch.set(JAVA_INT, 20, newFdFlags);
            // Signals blocked while the ioctl waits for the target to take the descriptor: kernel/seccomp.c
            // seccomp_notify_addfd marks the call answered (with ADDFD_FLAG_SEND) before it waits, and a signal that
            // ends the wait withdraws the descriptor but not the answer, so the program's call would return 0 with no
            // descriptor installed (its io_uring_setup answered 0, its standard input: HostedFaultTest). SIGKILL and
            // SIGSTOP stay deliverable; the others wait the few microseconds until the mask is restored.
            Linux.call(capture, Linux.SYS_RT_SIGPROCMASK, SIG_BLOCK, allSignals.address(), heldMask.address(), 8, 0,
                    0);
            try {
                return (int) Linux.call(capture, Linux.SYS_IOCTL, listener, IOCTL_NOTIF_ADDFD, scratch.address(), 0,
                        0, 0);
            } finally {
                Linux.call(capture, Linux.SYS_RT_SIGPROCMASK, SIG_SETMASK, heldMask.address(), 0, 8, 0, 0);
            }
        }

        /** {@code kcmp(KCMP_FILE)}: whether {@code fd1} of {@code pid1} and {@code fd2} of {@code pid2} are one. */
        boolean sameFile(int pid1, int pid2, int fd1, int fd2) {
            return Linux.call(capture, SYS_KCMP, pid1, pid2, KCMP_FILE, fd1, fd2, 0) == 0;
        }
    }

    /** Whether notification {@code id} is still pending (its target alive and still in the call). */
    static boolean idValid(int listener, long id) {
        return CALLS.get().idValid(listener, id);
    }

    /** Answers {@code id}: the call returns {@code result} (a negative one as that errno). 0, or -1 if it failed. */
    static int send(int listener, long id, long result) {
        return CALLS.get().send(listener, id, result);
    }

    /** Lets {@code id}'s call run in the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE): 0 or -errno. */
    static int sendContinue(int listener, long id) {
        return CALLS.get().sendContinue(listener, id);
    }

    /**
     * Installs {@code localFd} in the target as a new O_CLOEXEC descriptor and answers {@code id} with its number
     * (SECCOMP_ADDFD_FLAG_SEND), as io_uring_setup returns its ring's: the number, or -errno (ESRCH or ENOENT when
     * the target is gone).
     */
    static int addFdAndSend(int listener, long id, int localFd) {
        return CALLS.get().addFd(listener, id, ADDFD_FLAG_SEND, localFd, O_CLOEXEC);
    }

    /**
     * Installs {@code localFd} in the target of pending notification {@code id} as a new descriptor (O_CLOEXEC if
     * {@code cloexec}), leaving the notification pending: the target's new number, or -errno (ENOENT when the
     * notification was answered meanwhile, ESRCH when the target is gone, EMFILE).
     */
    static int addFd(int listener, long id, int localFd, boolean cloexec) {
        return CALLS.get().addFd(listener, id, 0, localFd, cloexec ? O_CLOEXEC : 0);
    }

    /**
     * Installs {@code localFd} in the target of pending notification {@code id} as its descriptor {@code number}
     * (SECCOMP_ADDFD_FLAG_SETFD: whatever {@code number} named is closed first, as dup2 does), not close-on-exec,
     * leaving the notification pending: {@code number}, or -errno.
     */
    static int addFdAt(int listener, long id, int localFd, int number) {
        return CALLS.get().addFd(listener, id, ADDFD_FLAG_SETFD, localFd, number, 0);
    }

    /**
     * SECCOMP_IOCTL_NOTIF_SET_FLAGS (6.6+): {@code syncWakeUp} asks SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (the target is
     * woken on this CPU), false clears it. 0, or -errno (-EINVAL before 6.6, where the ioctl does not exist). The same
     * release made a RECV end when no task uses the filter any more ({@link Receiver}).
     */
    static int setFlags(int listener, boolean syncWakeUp) {
        return (int) Linux.call(Linux.SYS_IOCTL, listener, IOCTL_NOTIF_SET_FLAGS,
                syncWakeUp ? USER_NOTIF_FD_SYNC_WAKE_UP : 0);
    }
}
