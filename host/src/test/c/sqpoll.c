/*
 * An SQPOLL ring driven with raw syscalls, as a library does it: the ring is set up by a thread that exits at
 * once; the new SQ thread, with nothing to do, raises IORING_SQ_NEED_WAKEUP and sleeps at once, consuming nothing
 * published while it sleeps; io_uring_enter with IORING_ENTER_SQ_WAKEUP wakes it and answers to_submit; awake, it
 * submits what the main thread publishes without any io_uring_enter (a NOP and a READ of a pipe into this
 * process's memory); after sq_thread_idle it sleeps again; a GETEVENTS enter waits for the SQ thread's CQE. Prints what it saw and exits 0, or exits 1 with the reason on
 * stderr. Run natively and under `ringspec host` by HostedSqPollTest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define IDLE_MS 1000

static struct io_uring_params p;
static int ring_fd = -1;
static unsigned *sq_tail, *sq_head, *sq_flags, *sq_array, *cq_head, *cq_tail;
static struct io_uring_sqe *sqes;
static struct io_uring_cqe *cqes;

static int fail(const char *what, long got) {
    fprintf(stderr, "sqpoll: %s (got %ld)\n", what, got);
    return 1;
}

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void *set_up(void *unused) {
    (void) unused;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SQPOLL;
    p.sq_thread_idle = IDLE_MS;
    ring_fd = (int) syscall(__NR_io_uring_setup, 8, &p);
    return NULL;
}

/* Publishes one SQE (no enter): the SQ thread sees the new tail. */
static void publish(uint8_t opcode, uint64_t user_data, int fd, void *buffer, unsigned len) {
    unsigned tail = *sq_tail;
    unsigned index = tail & (p.sq_entries - 1);
    struct io_uring_sqe *sqe = &sqes[index];
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = opcode;
    sqe->user_data = user_data;
    sqe->fd = fd;
    sqe->addr = (uint64_t) (uintptr_t) buffer;
    sqe->len = len;
    sqe->off = (uint64_t) -1;
    sq_array[index] = index;
    __atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
}

/* Waits up to 10 s, without entering, until the CQ holds `count` CQEs. */
static unsigned await_cqes(unsigned count) {
    long deadline = now_ms() + 10000;
    unsigned ready;
    while ((ready = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) - *cq_head) < count && now_ms() < deadline) {
        sleep_ms(1);
    }
    return ready;
}

/* The CQE at the head: its user_data and res, then the head moves on. */
static void take_cqe(uint64_t *user_data, int *res) {
    unsigned head = *cq_head;
    *user_data = cqes[head & (p.cq_entries - 1)].user_data;
    *res = cqes[head & (p.cq_entries - 1)].res;
    __atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
}

static int need_wakeup(void) {
    return (__atomic_load_n(sq_flags, __ATOMIC_ACQUIRE) & IORING_SQ_NEED_WAKEUP) != 0;
}

int main(void) {
    long set_up_ms = now_ms();
    pthread_t creator;
    if (pthread_create(&creator, NULL, set_up, NULL) != 0 || pthread_join(creator, NULL) != 0) {
        return fail("pthread", -1);
    }
    if (ring_fd < 0) {
        return fail("io_uring_setup with SQPOLL", ring_fd);
    }
    size_t ring_bytes = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_bytes = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (cq_bytes > ring_bytes) {
        ring_bytes = cq_bytes;
    }
    char *ring = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd,
            IORING_OFF_SQ_RING);
    sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQES);
    if (ring == MAP_FAILED || sqes == MAP_FAILED) {
        return fail("mmap", -1);
    }
    sq_head = (unsigned *) (ring + p.sq_off.head);
    sq_tail = (unsigned *) (ring + p.sq_off.tail);
    sq_flags = (unsigned *) (ring + p.sq_off.flags);
    sq_array = (unsigned *) (ring + p.sq_off.array);
    cq_head = (unsigned *) (ring + p.cq_off.head);
    cq_tail = (unsigned *) (ring + p.cq_off.tail);
    cqes = (struct io_uring_cqe *) (ring + p.cq_off.cqes);

    /* 1. A new SQ thread with nothing to do raises NEED_WAKEUP and sleeps at once (sq_thread_idle counts only
     *    after work or a wakeup); what is published while it sleeps stays in the SQ. */
    long deadline = now_ms() + 10 * IDLE_MS;
    while (!need_wakeup() && now_ms() < deadline) {
        sleep_ms(10);
    }
    if (!need_wakeup() || now_ms() - set_up_ms >= IDLE_MS) {
        return fail("NEED_WAKEUP from a new SQ thread with nothing to do before sq_thread_idle, ms",
                now_ms() - set_up_ms);
    }
    publish(IORING_OP_NOP, 1, -1, NULL, 0);
    sleep_ms(100);
    if (__atomic_load_n(sq_head, __ATOMIC_ACQUIRE) != 0 || await_cqes(0) != 0) {
        return fail("an SQE consumed while the SQ thread sleeps", await_cqes(0));
    }
    printf("after setup: NEED_WAKEUP raised, the published NOP waits\n");

    /* 2. SQ_WAKEUP wakes the thread: the enter answers to_submit and the NOP completes. */
    long r = syscall(__NR_io_uring_enter, ring_fd, 1, 0, IORING_ENTER_SQ_WAKEUP, NULL, 0);
    if (r != 1) {
        return fail("io_uring_enter(SQ_WAKEUP) answers to_submit", r);
    }
    if (await_cqes(1) != 1) {
        return fail("the NOP's CQE after SQ_WAKEUP", await_cqes(0));
    }
    uint64_t user_data, user_data2;
    int res, res2;
    take_cqe(&user_data, &res);
    if (user_data != 1 || res != 0) {
        return fail("the NOP's CQE after SQ_WAKEUP", res);
    }
    printf("SQ_WAKEUP: enter answered %ld, the NOP completed\n", r);

    /* 3. Awake for sq_thread_idle: it submits without an enter, into the memory of the process whose thread set
     *    it up. */
    if (need_wakeup()) {
        return fail("NEED_WAKEUP within sq_thread_idle of a wakeup", 1);
    }
    int pipefd[2];
    if (pipe(pipefd) != 0 || write(pipefd[1], "sqpoll!", 7) != 7) {
        return fail("pipe", -1);
    }
    char buffer[16];
    memset(buffer, 0, sizeof buffer);
    publish(IORING_OP_NOP, 2, -1, NULL, 0);
    publish(IORING_OP_READ, 3, pipefd[0], buffer, sizeof buffer);
    unsigned ready = await_cqes(2);
    if (ready != 2) {
        return fail("CQEs of two SQEs published without an enter", ready);
    }
    take_cqe(&user_data, &res);
    take_cqe(&user_data2, &res2);
    if (user_data != 2 || res != 0 || user_data2 != 3 || res2 != 7) {
        return fail("the NOP's and the READ's CQEs", (long) res * 1000 + res2);
    }
    if (memcmp(buffer, "sqpoll!", 8) != 0) {
        return fail("the bytes the SQ thread read into this process", buffer[0]);
    }
    printf("without enter: a NOP and a READ of %d bytes \"%s\"\n", res2, buffer);

    /* 4. Idle again after sq_thread_idle. */
    deadline = now_ms() + 10 * IDLE_MS;
    while (!need_wakeup() && now_ms() < deadline) {
        sleep_ms(10);
    }
    if (!need_wakeup()) {
        return fail("NEED_WAKEUP after sq_thread_idle", 0);
    }
    printf("idle: NEED_WAKEUP raised again\n");

    /* 5. A GETEVENTS enter waits for what the SQ thread completes. */
    publish(IORING_OP_NOP, 4, -1, NULL, 0);
    unsigned flags = IORING_ENTER_GETEVENTS | (need_wakeup() ? IORING_ENTER_SQ_WAKEUP : 0);
    r = syscall(__NR_io_uring_enter, ring_fd, 1, 1, flags, NULL, 0);
    if (r != 1 || await_cqes(1) != 1) {
        return fail("io_uring_enter(GETEVENTS) on an SQPOLL ring", r);
    }
    take_cqe(&user_data, &res);
    if (user_data != 4 || res != 0) {
        return fail("the CQE a GETEVENTS enter waited for", res);
    }
    printf("GETEVENTS: enter answered %ld with the CQE there\n", r);
    close(ring_fd);
    return 0;
}
