/*
 * A ring's end: the kernel frees a ring (and lets go of its registered files) when the last descriptor, fork copy
 * and mapping of it are gone, not before. Each case registers a pipe's write end in a ring, closes the program's own
 * copy of it, and then watches the read end: EOF means the ring let go of the write end. One line per case; run
 * natively and under `ringspec host` (HostedFaultTest compares the lines). alarm() ends a case that hangs.
 */
#include "ring.h"
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

static int failures;

/* Whether the pipe's read end sees EOF within ms milliseconds. */
static int eof_within(int read_end, int ms) {
    struct pollfd p = {.fd = read_end, .events = POLLIN};
    if (poll(&p, 1, ms) != 1) {
        return 0;
    }
    char c;
    return read(read_end, &c, 1) == 0;
}

static void check(const char *name, int got, int want) {
    printf("%s: %s\n", name, got ? "the ring let go of the pipe" : "the ring still holds the pipe");
    if (got != want) {
        fprintf(stderr, "ring-end: %s: expected the opposite\n", name);
        failures++;
    }
}

/* A ring holding pipe[1] registered; the program's own pipe[1] closed. */
static int ring_holding_pipe(struct ring *r, int pipefd[2]) {
    if (ring_open(r, 4) != 0 || pipe(pipefd) != 0) {
        return -1;
    }
    long ret = ring_register(r->fd, IORING_REGISTER_FILES, pipefd, 2);
    if (ret != 0) {
        perror("IORING_REGISTER_FILES");
        return -1;
    }
    close(pipefd[1]);
    return 0;
}

int main(void) {
    alarm(30);
    struct ring r;
    int pipefd[2];

    if (ring_holding_pipe(&r, pipefd) != 0) {
        return 1;
    }
    check("ring alive", eof_within(pipefd[0], 300), 0);
    ring_close(&r);
    check("descriptor closed and unmapped", eof_within(pipefd[0], 5000), 1);
    close(pipefd[0]);

    if (ring_holding_pipe(&r, pipefd) != 0) {
        return 1;
    }
    int dup_fd = dup(r.fd);
    close(r.fd);
    check("descriptor closed, a dup and the mappings left", eof_within(pipefd[0], 300), 0);
    long nop = ring_enter(dup_fd, 0, 0, 0, NULL, 0);
    printf("io_uring_enter on the dup: %ld\n", nop);
    close(dup_fd);
    check("the dup closed too, the mappings left", eof_within(pipefd[0], 300), 0);
    munmap(r.rings, r.ring_bytes);
    munmap(r.sqes, r.p.sq_entries * sizeof(struct io_uring_sqe));
    check("and unmapped", eof_within(pipefd[0], 5000), 1);
    close(pipefd[0]);

    if (ring_holding_pipe(&r, pipefd) != 0) {
        return 1;
    }
    int go[2];
    if (pipe(go) != 0) {
        return 1;
    }
    pid_t child = fork();
    if (child == 0) {
        /* holds the ring (descriptor and mappings) until the parent says go */
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) < 0) {
            _exit(2);
        }
        _exit(0);
    }
    close(go[0]);
    ring_close(&r);
    check("the parent let go, a forked child holds it", eof_within(pipefd[0], 300), 0);
    close(go[1]);
    int status;
    waitpid(child, &status, 0);
    check("the child exited", eof_within(pipefd[0], 5000), 1);
    close(pipefd[0]);

    printf("ring-end: %s\n", failures ? "differs from the kernel's facts" : "as the kernel");
    return failures ? 1 : 0;
}
