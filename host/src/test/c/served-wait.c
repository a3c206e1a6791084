/*
 * A program for the host server's tests (HostServerTest): waits in io_uring_enter for a CQE that never comes.
 *   served-wait signal   SIGINT handled (no SA_RESTART): prints "waiting PID", then what the wait returned once the
 *                        signal ended it ("enter -4 handled 1": -EINTR, io_cqring_wait), and exits 0 for that
 *   served-wait family   forks a child that sleeps; prints both process ids ("pids PARENT CHILD"), then waits for
 *                        ever (until it is killed)
 *   served-wait escape   as family, but the sleeper is a grandchild that left the family as a daemon does (a child
 *                        that calls setsid, forks it and exits): "pids PARENT GRANDCHILD", the grandchild an orphan
 */
#include "ring.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

static volatile sig_atomic_t handled;

static void on_signal(int signal) {
    (void) signal;
    handled++;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: served-wait signal|family|escape\n");
        return 2;
    }
    struct ring r;
    if (ring_open(&r, 4) != 0) {
        return 1;
    }
    if (strcmp(argv[1], "signal") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        printf("waiting %d\n", (int) getpid());
        fflush(stdout);
        long ret = ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
        printf("enter %ld handled %d\n", ret < 0 ? -errno : ret, (int) handled);
        return ret < 0 && errno == EINTR && handled == 1 ? 0 : 1;
    }
    int escape = strcmp(argv[1], "escape") == 0;
    int told[2];
    if (escape && pipe(told) != 0) {
        return 1;
    }
    pid_t child = fork();
    if (child == 0) {
        if (escape) {
            setsid();
            pid_t grandchild = fork();
            if (grandchild != 0) {
                write(told[1], &grandchild, sizeof grandchild);
                _exit(0);
            }
        }
        for (;;) {
            pause();
        }
    }
    if (escape) {
        waitpid(child, NULL, 0);
        if (read(told[0], &child, sizeof child) != sizeof child) {
            return 1;
        }
    }
    printf("pids %d %d\n", (int) getpid(), (int) child);
    fflush(stdout);
    ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    return 1;
}
