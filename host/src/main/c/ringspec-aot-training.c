/*
 * ringspec-aot-training: the program the `ringspec` script hosts once per jar and JDK to record the JVM's AOT cache
 * (-XX:AOTMode=record): the serving path's classes and method profiles, so that a fresh `ringspec host` JVM starts
 * with them instead of warming up inside the user's program. Usage: ringspec-aot-training (no arguments).
 *
 * Through raw io_uring syscalls, in about a second hosted: NOPs in batches of 1, 32 and 256 (one io_uring_enter per
 * batch, GETEVENTS for the whole batch), WRITE and READ through a pipe, O_DIRECT READs of a file in $TMPDIR or /tmp
 * (left out where it cannot be opened so: their CQEs come later, from the emulator's bio threads), short relative
 * TIMEOUTs, and a multishot POLL_ADD on the pipe that posts a CQE per write. Exits 0 when every CQE came back as
 * expected, 1 (saying which) otherwise: the script then keeps no cache. A training run, not a test and not a
 * benchmark.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/time_types.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ENTRIES 256

static unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
static struct io_uring_sqe *sqes;
static struct io_uring_cqe *cqes;
static int ring_fd;

static int setup(void) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    ring_fd = (int) syscall(__NR_io_uring_setup, ENTRIES, &p);
    if (ring_fd < 0) {
        perror("io_uring_setup");
        return -1;
    }
    size_t bytes = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    if (p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe) > bytes) {
        bytes = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    }
    char *ring = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQ_RING);
    sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
            ring_fd, IORING_OFF_SQES);
    if (ring == MAP_FAILED || sqes == MAP_FAILED) {
        perror("mmap");
        return -1;
    }
    sq_tail = (unsigned *) (ring + p.sq_off.tail);
    sq_mask = (unsigned *) (ring + p.sq_off.ring_mask);
    sq_array = (unsigned *) (ring + p.sq_off.array);
    cq_head = (unsigned *) (ring + p.cq_off.head);
    cq_tail = (unsigned *) (ring + p.cq_off.tail);
    cq_mask = (unsigned *) (ring + p.cq_off.ring_mask);
    cqes = (struct io_uring_cqe *) (ring + p.cq_off.cqes);
    return 0;
}

/* The next SQE, zeroed, with its opcode and user_data; published by submit(). */
static struct io_uring_sqe *sqe(unsigned *pending, int opcode, unsigned long long user_data) {
    unsigned index = (*sq_tail + *pending) & *sq_mask;
    struct io_uring_sqe *s = &sqes[index];
    memset(s, 0, sizeof *s);
    s->opcode = (unsigned char) opcode;
    s->user_data = user_data;
    sq_array[index] = index;
    ++*pending;
    return s;
}

/* Publishes the pending SQEs, waits for `wait` CQEs and reaps every CQE there; returns how many with res < 0 or -1. */
static int submit(unsigned pending, unsigned wait, unsigned *reaped) {
    __atomic_store_n(sq_tail, *sq_tail + pending, __ATOMIC_RELEASE); /* pairs with the SQ's load-acquire of tail */
    if (syscall(__NR_io_uring_enter, ring_fd, pending, wait, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
        perror("io_uring_enter");
        return -1;
    }
    int failed = 0;
    unsigned head = *cq_head;
    unsigned tail = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE); /* pairs with the CQ's store-release of tail */
    for (; head != tail; head++) {
        if (cqes[head & *cq_mask].res < 0 && cqes[head & *cq_mask].res != -62 /* ETIME: a timeout's own end */) {
            failed++;
        }
        ++*reaped;
    }
    __atomic_store_n(cq_head, head, __ATOMIC_RELEASE); /* pairs with the CQ's load-acquire of head */
    return failed;
}

/* 300 O_DIRECT READs of one block of a new file in $TMPDIR or /tmp: 0, or -1 when one did not complete. */
static int direct_reads(void) {
    static char block[4096] __attribute__((aligned(4096)));
    char path[4096];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/ringspec-aot-training.XXXXXX", dir != NULL && *dir != '\0' ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        return 0;
    }
    memset(block, 'd', sizeof block);
    int direct = write(fd, block, sizeof block) == (ssize_t) sizeof block && fsync(fd) == 0
            ? open(path, O_RDONLY | O_DIRECT) : -1;
    unlink(path);
    close(fd);
    for (unsigned i = 0; direct >= 0 && i < 300; i++) {
        unsigned pending = 0;
        unsigned reaped = 0;
        struct io_uring_sqe *r = sqe(&pending, IORING_OP_READ, 5);
        r->fd = direct;
        r->addr = (unsigned long long) (unsigned long) block;
        r->len = sizeof block;
        if (submit(pending, 1, &reaped) != 0 || reaped != 1) {
            close(direct);
            return -1;
        }
    }
    if (direct >= 0) {
        close(direct);
    }
    return 0;
}

static int fail(const char *what) {
    fprintf(stderr, "ringspec-aot-training: %s\n", what);
    return 1;
}

int main(void) {
    static const unsigned batches[][2] = {{1, 12000}, {32, 400}, {256, 120}};
    int pipe_fds[2];
    char buf[64];
    unsigned reaped;
    if (setup() != 0 || pipe(pipe_fds) != 0) {
        return fail("no ring or no pipe");
    }
    for (unsigned b = 0; b < 3; b++) {
        for (unsigned call = 0; call < batches[b][1]; call++) {
            unsigned pending = 0;
            reaped = 0;
            for (unsigned i = 0; i < batches[b][0]; i++) {
                sqe(&pending, IORING_OP_NOP, i);
            }
            if (submit(pending, pending, &reaped) != 0 || reaped != pending) {
                return fail("a NOP batch did not complete");
            }
        }
    }
    memset(buf, 'r', sizeof buf);
    for (unsigned i = 0; i < 2000; i++) {
        unsigned pending = 0;
        reaped = 0;
        struct io_uring_sqe *w = sqe(&pending, IORING_OP_WRITE, 1);
        w->fd = pipe_fds[1];
        w->addr = (unsigned long long) (unsigned long) buf;
        w->len = sizeof buf;
        w->flags = IOSQE_IO_LINK;
        struct io_uring_sqe *r = sqe(&pending, IORING_OP_READ, 2);
        r->fd = pipe_fds[0];
        r->addr = (unsigned long long) (unsigned long) buf;
        r->len = sizeof buf;
        if (submit(pending, 2, &reaped) != 0 || reaped != 2) {
            return fail("a WRITE and READ pair did not complete");
        }
    }
    if (direct_reads() != 0) {
        return fail("an O_DIRECT READ did not complete");
    }
    struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 200000};
    for (unsigned i = 0; i < 100; i++) {
        unsigned pending = 0;
        reaped = 0;
        struct io_uring_sqe *t = sqe(&pending, IORING_OP_TIMEOUT, 3);
        t->addr = (unsigned long long) (unsigned long) &ts;
        t->len = 1;
        if (submit(pending, 1, &reaped) != 0 || reaped != 1) {
            return fail("a TIMEOUT did not end");
        }
    }
    unsigned pending = 0;
    reaped = 0;
    struct io_uring_sqe *poll = sqe(&pending, IORING_OP_POLL_ADD, 4);
    poll->fd = pipe_fds[0];
    poll->poll32_events = POLLIN;
    poll->len = IORING_POLL_ADD_MULTI;
    if (submit(pending, 0, &reaped) != 0) {
        return fail("the multishot POLL_ADD was refused");
    }
    for (unsigned i = 0; i < 500; i++) {
        unsigned before = reaped;
        if (write(pipe_fds[1], "p", 1) != 1) {
            return fail("the pipe failed");
        }
        if (submit(0, 1, &reaped) != 0 || reaped == before) {
            return fail("the multishot POLL_ADD failed");
        }
        if (read(pipe_fds[0], buf, 1) != 1) {
            return fail("the pipe failed");
        }
    }
    return reaped >= 500 ? 0 : fail("the multishot POLL_ADD posted too few CQEs");
}
