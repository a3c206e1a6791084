/*
 * ringspec-launcher: the first half of `ringspec host`. Usage: ringspec-launcher FIFO PARENT PROGRAM [ARGS...]
 *
 * Installs a seccomp filter that hands io_uring_setup, io_uring_enter and io_uring_register (x86-64 numbers 425,
 * 426, 427) to a supervisor (SECCOMP_RET_USER_NOTIF) and answers ENOSYS for the same calls through the i386 and
 * x32 entry points, which would otherwise reach the real kernel. execve and execveat (59, 322) go to the supervisor
 * too, which cancels the calling thread's requests, as the kernel's exec does, and lets the call continue
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE); this launcher's own exec of PROGRAM is the first of them. So do, from every
 * entry point, the calls that can change which file a descriptor number names (close, dup2, dup3, close_range, an
 * exec's close-on-exec, a SECCOMP_IOCTL_NOTIF_ADDFD of a supervisor inside the program) and those that make a process
 * (fork, vfork, clone without CLONE_THREAD, clone3), whose number may be an ended one's: the supervisor notes that
 * descriptor numbers may name other files now and lets them continue, so that it need not ask the kernel (kcmp) at
 * every io_uring_enter whether the ring's number still names the ring. The filter's listener
 * (SECCOMP_FILTER_FLAG_NEW_LISTENER) goes to the supervisor as a number written to FIFO ("PID FD KILLABLE\n"); the
 * supervisor takes it with pidfd_getfd and writes one byte back. (sendmsg would not do: a supervisor that one day
 * filters sendmsg too would deadlock on it.) KILLABLE is 1 when the filter has SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
 * (5.19+): a signal then no longer abandons a call the supervisor has received (which the kernel would answer
 * -ERESTARTSYS, restarted under SA_RESTART); the supervisor watches the program's pending signals and answers as
 * io_uring would (-EINTR). 0 on older kernels. Then PROGRAM is executed (the listener, O_CLOEXEC, closes); its threads
 * and children inherit the filter. no_new_privs is set first, as an unprivileged filter needs. Exit 127 when
 * anything before the exec fails, the reason on stderr.
 *
 * PARENT is the supervisor's process id. Until the exec the launcher dies with it (PR_SET_PDEATHSIG, SIGKILL), and
 * exits at once when its parent is already another process (the supervisor died before the death signal was set):
 * both FIFO opens block until the other side opens, and a launcher left in one would never end. The death signal is
 * cleared before the exec, so the program is not tied to the supervisor's thread that started it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "ringspec-launcher filters x86-64 syscall numbers only"
#endif

#define X32_SYSCALL_BIT 0x40000000u
#define NR_SETUP 425u
#define NR_ENTER 426u
#define NR_REGISTER 427u
#define NR_EXECVE 59u
#define NR_EXECVEAT 322u
/* what can change which file a descriptor number names, or give a process number to a new process */
#define NR_CLOSE 3u
#define NR_DUP2 33u
#define NR_DUP3 292u
#define NR_CLOSE_RANGE 436u
#define NR_CLONE 56u
#define NR_FORK 57u
#define NR_VFORK 58u
#define NR_CLONE3 435u
#define NR_IOCTL 16u
/* x32's own numbers (taken with X32_SYSCALL_BIT) where they differ from x86-64's */
#define NR_X32_IOCTL 514u
#define NR_X32_EXECVE 520u
#define NR_X32_EXECVEAT 545u
/* i386's (int $0x80), where they differ */
#define NR_I386_FORK 2u
#define NR_I386_CLOSE 6u
#define NR_I386_EXECVE 11u
#define NR_I386_IOCTL 54u
#define NR_I386_DUP2 63u
#define NR_I386_CLONE 120u
#define NR_I386_VFORK 190u
#define NR_I386_DUP3 330u
#define NR_I386_EXECVEAT 358u
#define CLONE_THREAD 0x00010000u
/* SECCOMP_IOCTL_NOTIF_ADDFD, _IOW('!', 3, struct seccomp_notif_addfd): a supervisor in the program giving a
 * descriptor (SECCOMP_ADDFD_FLAG_SETFD replaces a number) */
#define IOCTL_NOTIF_ADDFD 0x40182103u
#define NR offsetof(struct seccomp_data, nr)
/* the low 32 bits of argument N (little-endian) */
#define ARG_LOW(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static int fail(const char *what) {
    fprintf(stderr, "ringspec-launcher: %s: %s\n", what, strerror(errno));
    return 127;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: ringspec-launcher FIFO PARENT PROGRAM [ARGS...]\n");
        return 127;
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
        return fail("prctl(PR_SET_PDEATHSIG)");
    }
    if ((long) getppid() != strtol(argv[2], NULL, 10)) {
        errno = ESRCH;
        return fail("the supervisor is gone");
    }
    /* jump offsets count from the next instruction; each comment names the instruction's index (the table is
     * made by hand from its labels: allow 52, notif 53, enosys 54, x32 18, i386 33, clone 48, ioctl 50) */
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)), /* 0 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 31),           /* 1: else 33 */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),                                  /* 2 */
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 14, 0),             /* 3: to 18 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_SETUP, 48, 0),                    /* 4: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_ENTER, 47, 0),                    /* 5: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_REGISTER, 46, 0),                 /* 6: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_EXECVE, 45, 0),                   /* 7: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_EXECVEAT, 44, 0),                 /* 8: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_CLOSE, 43, 0),                    /* 9: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_DUP2, 42, 0),                     /* 10: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_DUP3, 41, 0),                     /* 11: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_CLOSE_RANGE, 40, 0),              /* 12: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_FORK, 39, 0),                     /* 13: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_VFORK, 38, 0),                    /* 14: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_CLONE3, 37, 0),                   /* 15: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_CLONE, 31, 0),                    /* 16: to 48 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IOCTL, 32, 34),                   /* 17: to 50, else 52 */
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT),                   /* 18: x32 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_SETUP, 34, 0),                    /* 19: to 54 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_ENTER, 33, 0),                    /* 20: to 54 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_REGISTER, 32, 0),                 /* 21: to 54 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_X32_EXECVE, 30, 0),               /* 22: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_X32_EXECVEAT, 29, 0),             /* 23: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_CLOSE, 28, 0),                    /* 24: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_DUP2, 27, 0),                     /* 25: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_DUP3, 26, 0),                     /* 26: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_CLOSE_RANGE, 25, 0),              /* 27: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_FORK, 24, 0),                     /* 28: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_VFORK, 23, 0),                    /* 29: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_CLONE3, 22, 0),                   /* 30: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_CLONE, 16, 0),                    /* 31: to 48 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_X32_IOCTL, 17, 19),               /* 32: to 50, else 52 */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR),                                  /* 33: i386 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_SETUP, 19, 0),                    /* 34: to 54 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_ENTER, 18, 0),                    /* 35: to 54 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_REGISTER, 17, 0),                 /* 36: to 54 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_I386_EXECVE, 15, 0),              /* 37: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_I386_EXECVEAT, 14, 0),            /* 38: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_I386_CLOSE, 13, 0),               /* 39: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_I386_DUP2, 12, 0),                /* 40: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_I386_DUP3, 11, 0),                /* 41: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_CLOSE_RANGE, 10, 0),              /* 42: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_I386_FORK, 9, 0),                 /* 43: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_I386_VFORK, 8, 0),                /* 44: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_CLONE3, 7, 0),                    /* 45: to 53 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_I386_CLONE, 1, 0),                /* 46: to 48 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_I386_IOCTL, 2, 4),                /* 47: to 50, else 52 */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(0)),                          /* 48: clone: flags */
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 2, 3),                /* 49: to 52, else 53 */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(1)),                          /* 50: ioctl: request */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IOCTL_NOTIF_ADDFD, 1, 0),            /* 51: to 53, else 52 */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                            /* 52: allow */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),                       /* 53: notif */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),                   /* 54: enosys */
    };
    struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        return fail("prctl(PR_SET_NO_NEW_PRIVS)");
    }
    int killable = 1;
    int listener = (int) syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                 SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
    if (listener < 0 && errno == EINVAL) {
        /* before 5.19 */
        killable = 0;
        listener = (int) syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    }
    if (listener < 0) {
        return fail("seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)");
    }
    int out = open(argv[1], O_WRONLY | O_CLOEXEC);
    if (out < 0) {
        return fail(argv[1]);
    }
    char line[64];
    int n = snprintf(line, sizeof line, "%d %d %d\n", (int) getpid(), listener, killable);
    if (write(out, line, (size_t) n) != n) {
        return fail("write to the supervisor");
    }
    /* No close from here on: the filter hands closes to the supervisor, which answers none before the byte back;
     * out, in and the listener are O_CLOEXEC (seccomp's listener always is) and go at the exec. With out still open
     * the read end opens at once and would read this line back: it is opened once the supervisor has read it all. */
    int unread;
    while (ioctl(out, FIONREAD, &unread) == 0 && unread > 0) {
        usleep(100);
    }
    int in = open(argv[1], O_RDONLY | O_CLOEXEC);
    char ack;
    if (in < 0 || read(in, &ack, 1) != 1) {
        errno = in < 0 ? errno : EPIPE;
        return fail("no answer from the supervisor");
    }
    if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) != 0) {
        return fail("prctl(PR_SET_PDEATHSIG, 0)");
    }
    execvp(argv[3], argv + 3);
    return fail(argv[3]);
}
