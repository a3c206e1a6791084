/*
 * A raw-syscall ring for the hosted fault tests (no liburing): setup, both mappings, one SQE at a time, the CQ read
 * and the three syscalls. Each program includes it once.
 */
#ifndef RINGSPEC_TEST_RING_H
#define RINGSPEC_TEST_RING_H
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ring {
    int fd;
    struct io_uring_params p;
    char *rings;
    size_t ring_bytes;
    struct io_uring_sqe *sqes;
};

static inline long ring_setup(unsigned entries, struct io_uring_params *p) {
    return syscall(__NR_io_uring_setup, entries, p);
}

static inline long ring_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags, const void *arg,
                       size_t argsz) {
    return syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, arg, argsz);
}

static inline long ring_register(int fd, unsigned opcode, const void *arg, unsigned nr_args) {
    return syscall(__NR_io_uring_register, fd, opcode, arg, nr_args);
}

/* 0, or -1 with the reason on stderr */
static inline int ring_open(struct ring *r, unsigned entries) {
    memset(r, 0, sizeof *r);
    r->fd = (int) ring_setup(entries, &r->p);
    if (r->fd < 0) {
        perror("io_uring_setup");
        return -1;
    }
    size_t sq = r->p.sq_off.array + r->p.sq_entries * sizeof(unsigned);
    size_t cq = r->p.cq_off.cqes + r->p.cq_entries * sizeof(struct io_uring_cqe);
    r->ring_bytes = sq > cq ? sq : cq;
    r->rings = mmap(NULL, r->ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
                    IORING_OFF_SQ_RING);
    r->sqes = mmap(NULL, r->p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
    if (r->rings == MAP_FAILED || r->sqes == MAP_FAILED) {
        perror("mmap");
        return -1;
    }
    return 0;
}

/* Unmaps and closes: the ring's last reference in this process. */
static inline void ring_close(struct ring *r) {
    munmap(r->rings, r->ring_bytes);
    munmap(r->sqes, r->p.sq_entries * sizeof(struct io_uring_sqe));
    close(r->fd);
}

static inline unsigned *ring_u32(struct ring *r, unsigned offset) {
    return (unsigned *) (r->rings + offset);
}

/* The next SQE, cleared, published when ring_publish is called. */
static inline struct io_uring_sqe *ring_sqe(struct ring *r, unsigned *tail) {
    unsigned mask = r->p.sq_entries - 1;
    struct io_uring_sqe *sqe = &r->sqes[*tail & mask];
    memset(sqe, 0, sizeof *sqe);
    ring_u32(r, r->p.sq_off.array)[*tail & mask] = *tail & mask;
    (*tail)++;
    return sqe;
}

/* The next SQE, cleared, with its opcode, fd and user_data. */
static inline struct io_uring_sqe *ring_prep(struct ring *r, unsigned *tail, unsigned char opcode, int fd,
                                             unsigned long long user_data) {
    struct io_uring_sqe *sqe = ring_sqe(r, tail);
    sqe->opcode = opcode;
    sqe->fd = fd;
    sqe->user_data = user_data;
    return sqe;
}

static inline unsigned ring_sq_tail(struct ring *r) {
    return __atomic_load_n(ring_u32(r, r->p.sq_off.tail), __ATOMIC_RELAXED);
}

static inline void ring_publish(struct ring *r, unsigned tail) {
    __atomic_store_n(ring_u32(r, r->p.sq_off.tail), tail, __ATOMIC_RELEASE);
}

/* How many CQEs the CQ holds. */
static inline unsigned ring_cq_ready(struct ring *r) {
    return __atomic_load_n(ring_u32(r, r->p.cq_off.tail), __ATOMIC_ACQUIRE)
           - __atomic_load_n(ring_u32(r, r->p.cq_off.head), __ATOMIC_RELAXED);
}

/* Consumes every CQE. */
static inline void ring_cq_drain(struct ring *r) {
    unsigned tail = __atomic_load_n(ring_u32(r, r->p.cq_off.tail), __ATOMIC_ACQUIRE);
    __atomic_store_n(ring_u32(r, r->p.cq_off.head), tail, __ATOMIC_RELEASE);
}

/* Consumes every CQE ready now: the res of each whose user_data is below n goes to res[user_data]. */
static inline void ring_reap_res(struct ring *r, int *res, unsigned long long n) {
    while (ring_cq_ready(r) > 0) {
        unsigned head = *ring_u32(r, r->p.cq_off.head);
        struct io_uring_cqe *cqe = (struct io_uring_cqe *) (r->rings + r->p.cq_off.cqes)
                                   + (head & (r->p.cq_entries - 1));
        if (cqe->user_data < n) {
            res[cqe->user_data] = cqe->res;
        }
        __atomic_store_n(ring_u32(r, r->p.cq_off.head), head + 1, __ATOMIC_RELEASE);
    }
}

/* The first CQE's res (the CQ must hold one). */
static inline int ring_cq_first_res(struct ring *r) {
    unsigned head = __atomic_load_n(ring_u32(r, r->p.cq_off.head), __ATOMIC_RELAXED);
    struct io_uring_cqe *cqes = (struct io_uring_cqe *) (r->rings + r->p.cq_off.cqes);
    return cqes[head & (r->p.cq_entries - 1)].res;
}

/*
 * One READ of len bytes from fd into buf with IOSQE_ASYNC (an io-wq worker's), waited for: its res, or 1 with the
 * reason on stderr where the enter failed (a READ's res is never 1 here: callers read more).
 */
static inline int ring_read_async(struct ring *r, int fd, void *buf, unsigned len) {
    unsigned tail = ring_sq_tail(r);
    struct io_uring_sqe *sqe = ring_sqe(r, &tail);
    sqe->opcode = IORING_OP_READ;
    sqe->flags = IOSQE_ASYNC;
    sqe->fd = fd;
    sqe->addr = (unsigned long) buf;
    sqe->len = len;
    ring_publish(r, tail);
    if (ring_enter(r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) != 1) {
        perror("io_uring_enter");
        return 1;
    }
    return ring_cq_first_res(r);
}

#endif
