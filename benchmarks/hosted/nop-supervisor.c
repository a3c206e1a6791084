/*
 * nop-supervisor: a minimal seccomp user-notification supervisor in C that serves io_uring with NOPs only. A
 * measuring yardstick for `ringspec host`, not part of the product: the cost of a round trip through seccomp user
 * notification with next to nothing done in it, measured in the same run as the JVM supervisor (see run.sh here).
 *
 * Usage: nop-supervisor [--sync-wake-up] [--poll] [--kcmp] LAUNCHER PROGRAM [ARGS...]
 *
 * LAUNCHER is the host module's ringspec-launcher (host/src/main/c): it installs the filter that hands
 * io_uring_setup, io_uring_enter and io_uring_register to a supervisor, writes "PID FD KILLABLE" into a FIFO, waits
 * for one byte back and execs PROGRAM. This supervisor takes the listener with pidfd_getfd, as the JVM does.
 *
 *   setup     a memfd laid out as this machine's 6.18 kernel lays out a plain ring (struct io_rings at offset 0:
 *             heads and tails at 0/4/8/12, masks, entries, dropped, flags, overflow, CQEs at 64, the SQ array after
 *             the CQEs on a 64-byte boundary; the SQEs at IORING_OFF_SQES), its offsets written into the program's
 *             params (process_vm_writev), the memfd installed and the call answered at once (NOTIF_ADDFD with
 *             ADDFD_FLAG_SEND). Only flags 0 (-EINVAL otherwise); features: SINGLE_MMAP.
 *   enter     the SQEs from the SQ head to the tail (at most to_submit) consumed in order, a CQE posted for each
 *             (NOP: res 0; any other opcode: res -EINVAL), the CQ tail then the SQ head published, the count
 *             answered. Never waits: every CQE it will ever post is posted before the answer. A full CQ ring counts
 *             the CQE in cq overflow and drops it (the kernel would keep it on its overflow list).
 *   register  -EINVAL; anything else -ENOSYS.
 *   execve    and execveat (the launcher hands them over too, the first being its own exec of PROGRAM), and the
 *             other calls it hands over (close, dup2, dup3, close_range, fork, clone, ...): continued in the kernel,
 *             not counted.
 *
 * Per call it makes two syscalls, NOTIF_RECV and NOTIF_SEND: a blocking RECV returns ENOENT once no task uses the
 * filter any more (kernel/seccomp.c recv_wait_event, 6.6+), so nothing else is needed to notice the program's end.
 * Options add what the JVM supervisor does per call, to tell the costs apart:
 *   --sync-wake-up  SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6+): the answered task is woken on this CPU.
 *   --poll          ppoll on the listener before each RECV (the JVM's way to see POLLHUP); forced before 6.6, where
 *                   a RECV waits on a semaphore that the program's end does not raise.
 *   --kcmp          kcmp(KCMP_FILE) of the enter's descriptor against the ring's memfd (the JVM's check that a
 *                   cached descriptor still names the same ring; it makes it now only after a call that may have
 *                   renumbered descriptors, so not in nop-cost's loop).
 *
 * Exit status: the program's (128 + N for signal N); 127 when the supervisor cannot start it. Statistics on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "nop-supervisor serves x86-64 syscall numbers only"
#endif

#define NR_SETUP 425
#define NR_ENTER 426
#define NR_REGISTER 427
#define NR_EXECVE 59
#define NR_EXECVEAT 322
/* not in older uapi headers: _IOW('!', 4, __u64) and its one flag (6.6+) */
#define IOCTL_NOTIF_SET_FLAGS _IOW('!', 4, uint64_t)
#define USER_NOTIF_FD_SYNC_WAKE_UP 1ULL
#define MAX_SQ_ENTRIES 32768u

/* io_rings as 6.18 lays it out (shared/reference/uapi.md, "Ring memory layout reported by the 6.18.44 kernel") */
enum {
    SQ_HEAD = 0, SQ_TAIL = 4, CQ_HEAD = 8, CQ_TAIL = 12, SQ_RING_MASK = 16, CQ_RING_MASK = 20,
    SQ_RING_ENTRIES = 24, CQ_RING_ENTRIES = 28, SQ_DROPPED = 32, SQ_FLAGS = 36, CQ_FLAGS = 40, CQ_OVERFLOW = 44,
    CQES = 64,
};

/* the one ring this supervisor serves (a second setup is refused: -EMFILE) */
static struct {
    int memfd;
    int program_fd;
    unsigned sq_entries, cq_entries;
    unsigned char *rings;
    struct io_uring_sqe *sqes;
    unsigned *sq_array;
    struct io_uring_cqe *cqes;
} ring = {.memfd = -1, .program_fd = -1};

static int sync_wake_up, poll_first, check_kcmp;
static long calls, enters, nops;

static unsigned *field(unsigned offset) {
    return (unsigned *) (ring.rings + offset);
}

static int fail(const char *what) {
    fprintf(stderr, "nop-supervisor: %s: %s\n", what, strerror(errno));
    return 127;
}

static unsigned round_up_pow2(unsigned n) {
    unsigned p = 1;
    while (p < n) {
        p <<= 1;
    }
    return p;
}

static int answer(int listener, uint64_t id, long result) {
    struct seccomp_notif_resp resp = {.id = id};
    if (result < 0) {
        resp.error = (int) result;
    } else {
        resp.val = result;
    }
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* io_uring_setup(entries, params): answered here (ADDFD_FLAG_SEND) or the result returned for answer() */
static long setup(int listener, const struct seccomp_notif *n, int *answered) {
    pid_t pid = n->pid;
    unsigned entries = (unsigned) n->data.args[0];
    uintptr_t user_params = (uintptr_t) n->data.args[1];
    struct io_uring_params p;
    struct iovec local = {&p, sizeof p};
    struct iovec remote = {(void *) user_params, sizeof p};
    if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t) sizeof p) {
        return -EFAULT;
    }
    if (entries == 0 || entries > MAX_SQ_ENTRIES || p.flags != 0) {
        return -EINVAL;
    }
    if (ring.memfd >= 0) {
        return -EMFILE;
    }
    unsigned sq = round_up_pow2(entries), cq = 2 * sq;
    unsigned array = (CQES + cq * (unsigned) sizeof(struct io_uring_cqe) + 63) & ~63u;
    size_t ring_bytes = array + sq * sizeof(unsigned);
    size_t sqe_bytes = sq * sizeof(struct io_uring_sqe);
    int memfd = (int) syscall(SYS_memfd_create, "io_uring", MFD_CLOEXEC);
    if (memfd < 0 || ftruncate(memfd, (off_t) (IORING_OFF_SQES + sqe_bytes)) != 0) {
        return -ENOMEM;
    }
    ring.rings = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, memfd, 0);
    ring.sqes = mmap(NULL, sqe_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, memfd, IORING_OFF_SQES);
    if (ring.rings == MAP_FAILED || ring.sqes == MAP_FAILED) {
        return -ENOMEM;
    }
    ring.memfd = memfd;
    ring.sq_entries = sq;
    ring.cq_entries = cq;
    ring.sq_array = field(array);
    ring.cqes = (struct io_uring_cqe *) (ring.rings + CQES);
    *field(SQ_RING_MASK) = sq - 1;
    *field(CQ_RING_MASK) = cq - 1;
    *field(SQ_RING_ENTRIES) = sq;
    *field(CQ_RING_ENTRIES) = cq;

    memset(&p, 0, sizeof p);
    p.sq_entries = sq;
    p.cq_entries = cq;
    p.features = IORING_FEAT_SINGLE_MMAP;
    p.sq_off = (struct io_sqring_offsets) {.head = SQ_HEAD, .tail = SQ_TAIL, .ring_mask = SQ_RING_MASK,
            .ring_entries = SQ_RING_ENTRIES, .flags = SQ_FLAGS, .dropped = SQ_DROPPED, .array = array};
    p.cq_off = (struct io_cqring_offsets) {.head = CQ_HEAD, .tail = CQ_TAIL, .ring_mask = CQ_RING_MASK,
            .ring_entries = CQ_RING_ENTRIES, .overflow = CQ_OVERFLOW, .cqes = CQES, .flags = CQ_FLAGS};
    /* the program may be gone (or its pid reused) by now: write only into a call that is still pending */
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n->id) != 0
            || process_vm_writev(pid, &local, 1, &remote, 1, 0) != (ssize_t) sizeof p) {
        return -EFAULT;
    }
    struct seccomp_notif_addfd addfd = {.id = n->id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (unsigned) memfd,
            .newfd_flags = O_CLOEXEC};
    ring.program_fd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    *answered = 1;
    return 0;
}

/* io_uring_enter(fd, to_submit, min_complete, flags, ...) on the one ring: NOPs submitted and completed inline */
static long enter(const struct seccomp_notif *n) {
    int fd = (int) n->data.args[0];
    unsigned to_submit = (unsigned) n->data.args[1];
    unsigned flags = (unsigned) n->data.args[3];
    if (ring.memfd < 0 || fd != ring.program_fd) {
        return -EBADF;
    }
    if (check_kcmp && syscall(SYS_kcmp, getpid(), n->pid, KCMP_FILE, ring.memfd, fd) != 0) {
        return -EOPNOTSUPP;
    }
    if ((flags & ~IORING_ENTER_GETEVENTS) != 0) {
        return -EINVAL;
    }
    enters++;
    /* the SQ head and the CQ tail are this side's own; the program publishes the SQ tail and the CQ head */
    unsigned sq_head = *field(SQ_HEAD);
    unsigned sq_tail = __atomic_load_n(field(SQ_TAIL), __ATOMIC_ACQUIRE);
    unsigned cq_tail = *field(CQ_TAIL);
    unsigned cq_head = __atomic_load_n(field(CQ_HEAD), __ATOMIC_ACQUIRE);
    unsigned pending = sq_tail - sq_head;
    unsigned count = to_submit < pending ? to_submit : pending;
    for (unsigned i = 0; i < count; i++, sq_head++) {
        unsigned index = __atomic_load_n(&ring.sq_array[sq_head & (ring.sq_entries - 1)], __ATOMIC_RELAXED);
        if (index >= ring.sq_entries) {
            __atomic_store_n(field(SQ_DROPPED), *field(SQ_DROPPED) + 1, __ATOMIC_RELAXED);
            continue;
        }
        const struct io_uring_sqe *sqe = &ring.sqes[index];
        uint64_t user_data = __atomic_load_n(&sqe->user_data, __ATOMIC_RELAXED);
        int res = __atomic_load_n(&sqe->opcode, __ATOMIC_RELAXED) == IORING_OP_NOP ? 0 : -EINVAL;
        if (cq_tail - cq_head == ring.cq_entries) {
            __atomic_store_n(field(CQ_OVERFLOW), *field(CQ_OVERFLOW) + 1, __ATOMIC_RELAXED);
            continue;
        }
        struct io_uring_cqe *cqe = &ring.cqes[cq_tail & (ring.cq_entries - 1)];
        __atomic_store_n(&cqe->user_data, user_data, __ATOMIC_RELAXED);
        __atomic_store_n(&cqe->res, res, __ATOMIC_RELAXED);
        __atomic_store_n(&cqe->flags, 0u, __ATOMIC_RELAXED);
        cq_tail++;
        nops++;
    }
    /* pairs with the program's acquire load of the CQ tail: the CQEs above are written before it sees them */
    __atomic_store_n(field(CQ_TAIL), cq_tail, __ATOMIC_RELEASE);
    /* pairs with the program's acquire load of the SQ head: the SQEs read above may be reused from now on */
    __atomic_store_n(field(SQ_HEAD), sq_head, __ATOMIC_RELEASE);
    return (long) count;
}

/* the launcher's "PID FD KILLABLE" line from the FIFO, waiting while the launcher lives */
static int read_line(const char *fifo, pid_t child, char *line, size_t size) {
    int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    size_t used = 0;
    while (used == 0 || line[used - 1] != '\n') {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        poll(&pfd, 1, 50);
        ssize_t r = read(fd, line + used, size - 1 - used);
        if (r > 0) {
            used += (size_t) r;
        } else if (waitpid(child, NULL, WNOHANG) == child || used == size - 1) {
            close(fd);
            errno = EPIPE;
            return -1;
        }
    }
    line[used] = 0;
    close(fd);
    return 0;
}

/* one byte back once the launcher opens the FIFO to read it: it may exec the program now */
static int acknowledge(const char *fifo, pid_t child) {
    for (;;) {
        int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t w = write(fd, "!", 1);
            close(fd);
            return w == 1 ? 0 : -1;
        }
        if (errno != ENXIO || waitpid(child, NULL, WNOHANG) == child) {
            return -1;
        }
        usleep(100);
    }
}

/* whether the program has ended (left for the final waitpid to reap) */
static int exited(pid_t child) {
    siginfo_t info = {0};
    return waitid(P_PID, (id_t) child, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == child;
}

static int start(char **argv, pid_t *child, int *listener) {
    char dir[] = "/tmp/nop-supervisor-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        return fail("mkdtemp");
    }
    char fifo[sizeof dir + 16];
    snprintf(fifo, sizeof fifo, "%s/listener", dir);
    if (mkfifo(fifo, 0600) != 0) {
        return fail("mkfifo");
    }
    char parent[16];
    snprintf(parent, sizeof parent, "%d", (int) getpid());
    *child = fork();
    if (*child < 0) {
        return fail("fork");
    }
    if (*child == 0) {
        char **args = calloc(64 + 3, sizeof *args);
        int n = 0;
        args[n++] = argv[0];
        args[n++] = fifo;
        args[n++] = parent;
        for (int i = 1; argv[i] != NULL && n < 64; i++) {
            args[n++] = argv[i];
        }
        execv(argv[0], args);
        _exit(fail(argv[0]));
    }
    char line[64];
    int pid, fd, killable;
    if (read_line(fifo, *child, line, sizeof line) != 0 || sscanf(line, "%d %d %d", &pid, &fd, &killable) != 3) {
        return fail("the launcher's listener line");
    }
    int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
    *listener = pidfd < 0 ? -1 : (int) syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (*listener < 0) {
        return fail("pidfd_getfd of the listener");
    }
    close(pidfd);
    if (acknowledge(fifo, *child) != 0) {
        return fail("acknowledging the launcher");
    }
    unlink(fifo);
    rmdir(dir);
    return 0;
}

int main(int argc, char **argv) {
    int a = 1;
    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
        if (strcmp(argv[a], "--sync-wake-up") == 0) {
            sync_wake_up = 1;
        } else if (strcmp(argv[a], "--poll") == 0) {
            poll_first = 1;
        } else if (strcmp(argv[a], "--kcmp") == 0) {
            check_kcmp = 1;
        } else {
            break;
        }
    }
    if (argc - a < 2) {
        fprintf(stderr, "usage: nop-supervisor [--sync-wake-up] [--poll] [--kcmp] LAUNCHER PROGRAM [ARGS...]\n");
        return 127;
    }
    pid_t child = -1;
    int listener = -1;
    if (start(argv + a, &child, &listener) != 0) {
        return 127;
    }
    /* a supervisor is told of the program's end by its RECV only from 6.6, the release that brought SYNC_WAKE_UP */
    int recv_sees_end = ioctl(listener, IOCTL_NOTIF_SET_FLAGS, sync_wake_up ? USER_NOTIF_FD_SYNC_WAKE_UP : 0) == 0;
    if (sync_wake_up && !recv_sees_end) {
        fprintf(stderr, "nop-supervisor: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP is not available here (6.6+)\n");
        return 127;
    }
    poll_first |= !recv_sees_end;
    for (;;) {
        if (poll_first) {
            struct pollfd pfd = {.fd = listener, .events = POLLIN};
            if (poll(&pfd, 1, -1) < 0 && errno == EINTR) {
                continue;
            }
            if ((pfd.revents & POLLIN) == 0) {
                break; /* POLLHUP: no task uses the filter any more */
            }
        }
        struct seccomp_notif n;
        memset(&n, 0, sizeof n);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n) != 0) {
            /* ENOENT: the program's end (or a target killed in its call); EINTR: a signal */
            if (errno == ENOENT && exited(child)) {
                break;
            }
            continue;
        }
        if (n.data.nr != NR_SETUP && n.data.nr != NR_ENTER && n.data.nr != NR_REGISTER) {
            /* the launcher hands execs over too (ringspec host cancels the caller's requests there), and the calls
             * that may renumber descriptors or make a process (ringspec host notes them): let them run */
            struct seccomp_notif_resp resp = {.id = n.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
            ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
            continue;
        }
        calls++;
        int answered = 0;
        long result;
        switch (n.data.nr) {
        case NR_SETUP:
            result = setup(listener, &n, &answered);
            break;
        case NR_ENTER:
            result = enter(&n);
            break;
        case NR_REGISTER:
            result = -EINVAL;
            break;
        default:
            result = -ENOSYS;
        }
        if (!answered) {
            answer(listener, n.id, result);
        }
    }
    int status;
    if (waitpid(child, &status, 0) != child) {
        return fail("waitpid");
    }
    fprintf(stderr, "nop-supervisor: %ld intercepted calls, %ld enters, %ld NOPs%s%s%s\n", calls, enters, nops,
            sync_wake_up ? ", SYNC_WAKE_UP" : "", poll_first ? ", ppoll" : "", check_kcmp ? ", kcmp" : "");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
