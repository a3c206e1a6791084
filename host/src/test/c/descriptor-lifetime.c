/*
 * How long a request holds the file of the descriptor it names (HostedResourcesTest): from its issue to
 * its completion, and no longer. A pipe's reader sees EOF once the program closes the write end that an earlier
 * WRITE used; a READ in flight keeps reading a pipe whose read end the program closed meanwhile; a socket whose
 * RECV completed and that the program then closed is closed for its peer (EPIPE). Prints one line per case; the
 * output is the same natively and hosted. A case that would hang ends on SIGALRM with a line saying which.
 */
#include "ring.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>

static struct ring r;
static unsigned tail;
static const char *current = "setup";

static void too_late(int sig) {
    (void) sig;
    char line[160];
    int n = snprintf(line, sizeof line, "%s: no completion within 10 s\n", current);
    if (write(1, line, n) < 0) {
        _exit(3);
    }
    _exit(2);
}

static void prep(int opcode, int fd, void *buf, unsigned len, unsigned long long user_data) {
    struct io_uring_sqe *sqe = ring_sqe(&r, &tail);
    sqe->opcode = opcode;
    sqe->fd = fd;
    sqe->addr = (unsigned long) buf;
    sqe->len = len;
    sqe->user_data = user_data;
    ring_publish(&r, tail);
}

/* Submits what is published, without waiting. */
static int submit(unsigned n) {
    long got = ring_enter(r.fd, n, 0, 0, NULL, 0);
    if (got != (long) n) {
        printf("%s: submit %ld\n", current, got);
        return -1;
    }
    return 0;
}

/* Waits for one CQE and answers its res. */
static int reap(void) {
    alarm(10);
    while (ring_cq_ready(&r) == 0) {
        long got = ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
        if (got < 0 && got != -EINTR && errno != EINTR) {
            printf("%s: wait %ld (%d)\n", current, got, errno);
            exit(1);
        }
    }
    alarm(0);
    int res = ring_cq_first_res(&r);
    ring_cq_drain(&r);
    return res;
}

static int run(int opcode, int fd, void *buf, unsigned len) {
    prep(opcode, fd, buf, len, 1);
    if (submit(1) < 0) {
        exit(1);
    }
    return reap();
}

int main(void) {
    signal(SIGALRM, too_late);
    signal(SIGPIPE, SIG_IGN);
    if (ring_open(&r, 8) < 0) {
        return 1;
    }
    tail = ring_sq_tail(&r);
    char buf[16];

    /* a WRITE used the write end; the program closes it: a READ then sees EOF */
    current = "eof after the write end's close";
    int p[2];
    if (pipe(p) < 0) {
        return 1;
    }
    int wrote = run(IORING_OP_WRITE, p[1], "hello", 5);
    int read1 = run(IORING_OP_READ, p[0], buf, sizeof buf);
    close(p[1]);
    int eof = run(IORING_OP_READ, p[0], buf, sizeof buf);
    printf("%s: write %d, read %d, then read %d\n", current, wrote, read1, eof);

    /* a READ waits on an empty pipe; the program closes the write end: it completes with EOF */
    current = "a waiting read sees the write end's close";
    int q[2];
    if (pipe(q) < 0) {
        return 1;
    }
    wrote = run(IORING_OP_WRITE, q[1], "x", 1);
    read1 = run(IORING_OP_READ, q[0], buf, sizeof buf);
    prep(IORING_OP_READ, q[0], buf, sizeof buf, 2);
    if (submit(1) < 0) {
        return 1;
    }
    usleep(50000);
    close(q[1]);
    eof = reap();
    printf("%s: write %d, read %d, then read %d\n", current, wrote, read1, eof);
    close(q[0]);

    /* a READ in flight holds the read end the program closed: the bytes written later reach it */
    current = "a read in flight holds its file";
    int s[2];
    if (pipe(s) < 0) {
        return 1;
    }
    prep(IORING_OP_READ, s[0], buf, sizeof buf, 3);
    if (submit(1) < 0) {
        return 1;
    }
    usleep(50000);
    close(s[0]);
    long put = write(s[1], "abc", 3);
    int held = reap();
    printf("%s: wrote %ld after the close, read %d\n", current, put, held);
    close(s[1]);

    /* a RECV completed on a socket the program then closed: its peer's send fails with EPIPE */
    current = "a closed socket is closed for its peer";
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        return 1;
    }
    if (write(sv[0], "ping", 4) != 4) {
        return 1;
    }
    int got = run(IORING_OP_RECV, sv[1], buf, sizeof buf);
    close(sv[1]);
    long sent = send(sv[0], "pong", 4, MSG_NOSIGNAL);
    printf("%s: recv %d, then the peer's send %ld (%s)\n", current, got, sent,
           sent < 0 ? strerror(errno) : "sent");
    close(sv[0]);

    ring_close(&r);
    return 0;
}
