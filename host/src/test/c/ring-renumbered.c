/*
 * A ring's descriptor number made to name another ring, or nothing, between calls on it: by dup2, dup3, close,
 * close_range, i386's close (int $0x80), another thread's dup2, and a forked child's dup2. Each case first makes
 * three enters on ring A's number (the supervisor has found A for it by then), then changes the number, then submits
 * a NOP through ring B's SQ and enters on the number: if it names B, the NOP is consumed (1) and B has a CQE; if it
 * names nothing, -EBADF. Then a READ in flight on a number that is then pointed at another pipe, and a second READ
 * on the number: the first reads the first pipe (its request holds that file), the second the other. One line per
 * case; the same natively and hosted. Exit 0, or 1 when a call cannot be made.
 */
#include "ring.h"
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>

#ifndef __NR_close_range
#define __NR_close_range 436
#endif

/* Three empty enters on fd: the supervisor finds the ring, checks it, then uses what it found. */
static void warm(int fd) {
    for (int i = 0; i < 3; i++) {
        if (ring_enter(fd, 0, 0, 0, NULL, 0) != 0) {
            perror("io_uring_enter (warm)");
            exit(1);
        }
    }
}

/* A NOP published on b's SQ, then an enter on fd: what it returned, and how many CQEs b then holds. */
static void probe(const char *name, int fd, struct ring *b) {
    unsigned tail = ring_sq_tail(b);
    ring_sqe(b, &tail)->opcode = IORING_OP_NOP;
    ring_publish(b, tail);
    long r = ring_enter(fd, 1, 0, 0, NULL, 0);
    int err = r < 0 ? errno : 0;
    printf("%s: enter %ld%s%s, ring B's CQEs %u\n", name, r, err ? " " : "", err ? strerror(err) : "",
           ring_cq_ready(b));
    ring_cq_drain(b);
    // a NOP the enter did not consume is taken back
    if (r != 1) {
        __atomic_store_n(ring_u32(b, b->p.sq_off.tail), tail - 1, __ATOMIC_RELEASE);
    }
}

static int spare(struct ring *a) {
    int fd = dup(a->fd);
    if (fd < 0) {
        perror("dup");
        exit(1);
    }
    return fd;
}

struct renumber {
    int from, to;
};

static void *dup2_thread(void *arg) {
    struct renumber *r = arg;
    if (dup2(r->from, r->to) < 0) {
        perror("dup2 (thread)");
    }
    return NULL;
}

/* One READ of up to 8 bytes from fd into buf, tagged user_data, submitted (not waited for). */
static void read_submit(struct ring *r, int fd, char *buf, unsigned long user_data) {
    unsigned tail = ring_sq_tail(r);
    struct io_uring_sqe *sqe = ring_sqe(r, &tail);
    sqe->opcode = IORING_OP_READ;
    sqe->fd = fd;
    sqe->addr = (unsigned long) buf;
    sqe->len = 8;
    sqe->user_data = user_data;
    ring_publish(r, tail);
    if (ring_enter(r->fd, 1, 0, 0, NULL, 0) != 1) {
        perror("io_uring_enter (read)");
        exit(1);
    }
}

/* Waits for one CQE and prints it with the buffer of its READ. */
static void read_reap(struct ring *r, char bufs[][9]) {
    if (ring_cq_ready(r) == 0 && ring_enter(r->fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
        perror("io_uring_enter (wait)");
        exit(1);
    }
    unsigned head = __atomic_load_n(ring_u32(r, r->p.cq_off.head), __ATOMIC_RELAXED);
    struct io_uring_cqe *cqe = &((struct io_uring_cqe *) (r->rings + r->p.cq_off.cqes))[head & (r->p.cq_entries - 1)];
    printf("READ %llu: %d \"%s\"\n", (unsigned long long) cqe->user_data, cqe->res, bufs[cqe->user_data]);
    __atomic_store_n(ring_u32(r, r->p.cq_off.head), head + 1, __ATOMIC_RELEASE);
}

/* A READ waits on pipe one through number n; n is pointed at pipe two; a second READ on n reads pipe two. */
static void read_across_dup2(struct ring *r) {
    int one[2], two[2];
    static char bufs[3][9];
    if (pipe(one) != 0 || pipe(two) != 0 || write(two[1], "two", 3) != 3) {
        perror("pipe");
        exit(1);
    }
    int n = dup(one[0]);
    read_submit(r, n, bufs[1], 1);
    dup2(two[0], n);
    read_submit(r, n, bufs[2], 2);
    read_reap(r, bufs);
    if (write(one[1], "one", 3) != 3) {
        perror("write");
        exit(1);
    }
    read_reap(r, bufs);
    close(n);
    close(one[0]);
    close(one[1]);
    close(two[0]);
    close(two[1]);
}

int main(void) {
    /* a READ that took a stale file would wait for good: end with SIGALRM instead */
    alarm(60);
    struct ring a, b;
    if (ring_open(&a, 4) != 0 || ring_open(&b, 4) != 0) {
        return 1;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    int n;

    n = spare(&a);
    warm(n);
    dup2(b.fd, n);
    probe("dup2", n, &b);
    close(n);

    n = spare(&a);
    warm(n);
    dup3(b.fd, n, O_CLOEXEC);
    probe("dup3", n, &b);
    close(n);

    n = spare(&a);
    warm(n);
    close(n);
    probe("close", n, &b);

    n = spare(&a);
    warm(n);
    syscall(__NR_close_range, n, n, 0);
    probe("close_range", n, &b);

    n = spare(&a);
    warm(n);
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(6), "b"(n) : "memory");
    printf("i386 close: %s\n", r == 0 ? "0" : "not 0");
    if (r == 0) {
        probe("i386 close", n, &b);
    } else {
        close(n);
    }

    n = spare(&a);
    warm(n);
    pthread_t t;
    struct renumber across = {b.fd, n};
    if (pthread_create(&t, NULL, dup2_thread, &across) != 0 || pthread_join(t, NULL) != 0) {
        perror("pthread");
        return 1;
    }
    probe("another thread's dup2", n, &b);
    close(n);

    n = spare(&a);
    warm(n);
    pid_t child = fork();
    if (child == 0) {
        warm(n);
        dup2(b.fd, n);
        probe("a child's dup2", n, &b);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    probe("the parent's number after the child's dup2", n, &b);
    close(n);

    read_across_dup2(&a);

    ring_close(&b);
    ring_close(&a);
    return 0;
}
