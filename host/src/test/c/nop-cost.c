/*
 * NOP cost through raw io_uring syscalls: for each batch size (1, 32, 256, or the BATCH arguments in their order, each
 * 1 to 256) it submits and reaps batches of NOPs (one io_uring_enter per batch, GETEVENTS for the whole batch) for
 * about ROUNDS NOPs, and prints "batch B: N ns/nop, E us/enter". Usage: nop-cost [ROUNDS [BATCH...]]. Run natively,
 * under `ringspec host` and under benchmarks/hosted's C supervisor to compare them (benchmarks/hosted/run.sh); a
 * timer, not a test: it only checks that every CQE came back.
 *
 * `nop-cost --first [CALLS]` times a program's first calls instead: CALLS single-NOP enters (default 100000), with the
 * mean cost of each stretch between calls 1, 2, 10, 100, 1,000, 3,000, 10,000, 20,000, 50,000 and CALLS, printed as
 * "calls N: total T ms, this stretch S us/call". Natively the stretches cost the same; under `ringspec host` in a
 * fresh JVM the first thousand calls run before the JIT has compiled the serving path.
 */
#define _GNU_SOURCE
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --first: CALLS single-NOP enters on the ring, each stretch's mean cost printed as it ends. */
static int first_calls(int fd, char *ring, struct io_uring_params *p, long calls) {
    unsigned *sq_tail = (unsigned *) (ring + p->sq_off.tail);
    unsigned *cq_head = (unsigned *) (ring + p->cq_off.head);
    unsigned *cq_tail = (unsigned *) (ring + p->cq_off.tail);
    const long marks[] = {1, 2, 10, 100, 1000, 3000, 10000, 20000, 50000};
    size_t next = 0;
    long previous = 0;
    double start = now(), last = start;
    for (long c = 1; c <= calls; c++) {
        __atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
        long r = syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
        if (r != 1 || __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) == *cq_head) {
            fprintf(stderr, "nop-cost: enter %ld answered %ld\n", c, r);
            return 1;
        }
        __atomic_store_n(cq_head, *cq_head + 1, __ATOMIC_RELEASE);
        if (c == calls || (next < sizeof marks / sizeof marks[0] && c == marks[next])) {
            double t = now();
            printf("calls %7ld: total %9.2f ms, this stretch %9.2f us/call\n", c, (t - start) * 1e3,
                    (t - last) * 1e6 / (c - previous));
            last = t;
            previous = c;
            next++;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    int first = argc > 1 && strcmp(argv[1], "--first") == 0;
    argv += first;
    argc -= first;
    long rounds = argc > 1 ? atol(argv[1]) : first ? 100000 : 200000;
    if (first && rounds < 1) {
        fprintf(stderr, "nop-cost: CALLS is 1 or more, not %s\n", argv[1]);
        return 2;
    }
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int fd = (int) syscall(__NR_io_uring_setup, 256, &p);
    if (fd < 0) {
        perror("io_uring_setup");
        return 1;
    }
    size_t ring_bytes = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    if (p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe) > ring_bytes) {
        ring_bytes = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    }
    char *ring = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    if (ring == MAP_FAILED || sqes == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    unsigned *sq_tail = (unsigned *) (ring + p.sq_off.tail);
    unsigned *sq_array = (unsigned *) (ring + p.sq_off.array);
    unsigned *cq_head = (unsigned *) (ring + p.cq_off.head);
    unsigned *cq_tail = (unsigned *) (ring + p.cq_off.tail);
    unsigned mask = p.sq_entries - 1;
    for (unsigned i = 0; i < p.sq_entries; i++) {
        memset(&sqes[i], 0, sizeof sqes[i]);
        sqes[i].opcode = IORING_OP_NOP;
        sq_array[i] = i;
    }
    if (first) {
        return first_calls(fd, ring, &p, rounds);
    }
    int defaults[] = {1, 32, 256};
    int count = argc > 2 ? argc - 2 : 3;
    for (int b = 0; b < count; b++) {
        int batch = argc > 2 ? atoi(argv[2 + b]) : defaults[b];
        if (batch < 1 || batch > (int) p.sq_entries) {
            fprintf(stderr, "nop-cost: a batch is 1 to %u NOPs, not %s\n", p.sq_entries, argv[2 + b]);
            return 2;
        }
        long enters = rounds / batch;
        if (enters < 200) {
            enters = 200;
        }
        double start = now();
        for (long e = 0; e < enters; e++) {
            unsigned tail = *sq_tail;
            __atomic_store_n(sq_tail, tail + batch, __ATOMIC_RELEASE);
            long r = syscall(__NR_io_uring_enter, fd, batch, batch, IORING_ENTER_GETEVENTS, NULL, 0);
            unsigned ready = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) - *cq_head;
            if (r != batch || ready != (unsigned) batch) {
                fprintf(stderr, "nop-cost: enter %ld, %u CQEs ready, batch %d\n", r, ready, batch);
                return 1;
            }
            __atomic_store_n(cq_head, *cq_head + batch, __ATOMIC_RELEASE);
        }
        double seconds = now() - start;
        printf("batch %3d: %8.1f ns/nop, %8.2f us/enter (%ld enters)\n", batch, seconds * 1e9 / (enters * batch),
                seconds * 1e6 / enters, enters);
        (void) mask;
    }
    return 0;
}
