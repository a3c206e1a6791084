/*
 * The cost of a program's first io_uring calls: CALLS single-NOP enters (default 100000, GETEVENTS for the NOP), with
 * the mean cost of each stretch between calls 1, 2, 10, 100, 1,000, 3,000, 10,000, 20,000, 50,000 and CALLS printed
 * as "calls N: total T ms, this stretch S us/call". Natively the stretches cost the same; under `ringspec host` in a
 * fresh JVM the first thousand calls run before the JIT has compiled the serving path. Usage: first-calls [CALLS];
 * build with `cc -O2 -o first-calls first-calls.c`. A timer, not a test: it checks only that each enter answers 1.
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

int main(int argc, char **argv) {
    long calls = argc > 1 ? atol(argv[1]) : 100000;
    if (calls < 1) {
        fprintf(stderr, "first-calls: CALLS is 1 or more, not %s\n", argv[1]);
        return 2;
    }
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int fd = (int) syscall(__NR_io_uring_setup, 4, &p);
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
    for (unsigned i = 0; i < p.sq_entries; i++) {
        memset(&sqes[i], 0, sizeof sqes[i]);
        sqes[i].opcode = IORING_OP_NOP;
        sq_array[i] = i;
    }
    const long marks[] = {1, 2, 10, 100, 1000, 3000, 10000, 20000, 50000};
    size_t next = 0;
    long previous = 0;
    double start = now(), last = start;
    for (long c = 1; c <= calls; c++) {
        __atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
        long r = syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
        if (r != 1 || __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) == *cq_head) {
            fprintf(stderr, "first-calls: enter %ld answered %ld\n", c, r);
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
