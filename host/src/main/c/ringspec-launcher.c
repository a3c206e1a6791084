/*
 * ringspec-launcher: the first half of `ringspec host`. Usage: ringspec-launcher FIFO PARENT PROGRAM [ARGS...]
 *
 * Installs a seccomp filter that hands io_uring_setup, io_uring_enter and io_uring_register (x86-64 numbers 425,
 * 426, 427) to a supervisor (SECCOMP_RET_USER_NOTIF) and answers ENOSYS for the same calls through the i386 and
 * x32 entry points, which would otherwise reach the real kernel. execve and execveat (59, 322) go to the supervisor
 * too, which cancels the calling thread's requests, as the kernel's exec does, and lets the call continue
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE); this launcher's own exec of PROGRAM is the first of them. The filter's listener
 * (SECCOMP_FILTER_FLAG_NEW_LISTENER) goes to the supervisor as a number written to FIFO ("PID FD KILLABLE\n"); the
 * supervisor takes it with pidfd_getfd and writes one byte back. (sendmsg would not do: a supervisor that one day
 * filters sendmsg too would deadlock on it.) KILLABLE is 1 when the filter has SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
 * (5.19+): a signal then no longer abandons a call the supervisor has received (which the kernel would answer
 * -ERESTARTSYS, restarted under SA_RESTART); the supervisor watches the program's pending signals and answers as
 * io_uring would (-EINTR). 0 on older kernels. Then the listener is closed here and PROGRAM is executed; its threads
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
    /* jump offsets count from the next instruction; each comment names the instruction's index */
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),  /* 0 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 13),          /* 1: else 15 */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),    /* 2 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_SETUP, 10, 0),                     /* 3: to 14 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_ENTER, 9, 0),                      /* 4: to 14 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_REGISTER, 8, 0),                   /* 5: to 14 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_EXECVE, 7, 0),                     /* 6: to 14 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_EXECVEAT, 6, 0),                   /* 7: to 14 */
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 4),               /* 8: else 13 */
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~X32_SYSCALL_BIT),                    /* 9: x32 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_SETUP, 9, 0),                      /* 10: to 20 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_ENTER, 8, 0),                      /* 11: to 20 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_REGISTER, 7, 0),                   /* 12: to 20 */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                             /* 13 */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),                        /* 14 */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),    /* 15: i386 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_SETUP, 3, 0),                      /* 16: to 20 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_ENTER, 2, 0),                      /* 17: to 20 */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_REGISTER, 1, 0),                   /* 18: to 20 */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                             /* 19 */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),                    /* 20 */
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
    close(out);
    int in = open(argv[1], O_RDONLY | O_CLOEXEC);
    char ack;
    if (in < 0 || read(in, &ack, 1) != 1) {
        errno = in < 0 ? errno : EPIPE;
        return fail("no answer from the supervisor");
    }
    close(in);
    close(listener);
    if (prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) != 0) {
        return fail("prctl(PR_SET_PDEATHSIG, 0)");
    }
    execvp(argv[3], argv + 3);
    return fail(argv[3]);
}
