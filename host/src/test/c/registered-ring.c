/*
 * Registered ring descriptors (HostedRegisteredRingTest): IORING_REGISTER_RING_FDS at a chosen and at any offset,
 * io_uring_enter with IORING_ENTER_REGISTERED_RING and io_uring_register with IORING_REGISTER_USE_REGISTERED_RING,
 * the errors (an index past the slots, an empty slot, unknown flags first, a descriptor that is no ring, a taken
 * slot), a ring used through its slot after the program closed its descriptor, and IORING_UNREGISTER_RING_FDS.
 * Each thread has slots of its own, emptied when the thread exits: a ring a thread registered and never unregistered
 * ends once the program closes it, and the pipe end it holds registered with it. Prints one line per step; the
 * output is the same natively and hosted.
 */
#include "ring.h"

#include <poll.h>
#include <pthread.h>

#ifndef IORING_REGISTER_USE_REGISTERED_RING
#define IORING_REGISTER_USE_REGISTERED_RING (1U << 31)
#endif

static struct ring r;
static unsigned tail;

static long nop(int fd, unsigned flags) {
    ring_sqe(&r, &tail)->opcode = IORING_OP_NOP;
    ring_publish(&r, tail);
    long got = ring_enter(fd, 1, 1, IORING_ENTER_GETEVENTS | flags, NULL, 0);
    if (got < 0) {
        got = -errno;
        tail--;
        ring_publish(&r, tail);
        return got;
    }
    ring_cq_drain(&r);
    return got;
}

static long reg(int fd, unsigned opcode, struct io_uring_rsrc_update *u, unsigned n) {
    long got = ring_register(fd, opcode, u, n);
    return got < 0 ? -errno : got;
}

static void *register_and_exit(void *fd) {
    struct io_uring_rsrc_update u = {.offset = 0, .data = (unsigned) (long) fd};
    printf("a thread registers a ring and exits: %ld\n", reg((int) (long) fd, IORING_REGISTER_RING_FDS, &u, 1));
    return NULL;
}

/* A second ring holding a pipe's write end registered, in the slot of a thread that then exits. */
static void a_dead_threads_slot_holds_nothing(void) {
    struct ring r2;
    int q[2];
    if (ring_open(&r2, 4) < 0 || pipe(q) < 0) {
        return;
    }
    printf("register the write end: %ld\n", reg(r2.fd, IORING_REGISTER_FILES, (void *) &q[1], 1));
    close(q[1]);
    pthread_t t;
    pthread_create(&t, NULL, register_and_exit, (void *) (long) r2.fd);
    pthread_join(t, NULL);
    ring_close(&r2);
    struct pollfd end = {.fd = q[0], .events = POLLIN};
    int n = poll(&end, 1, 5000);
    printf("the write end closed with the ring: %s\n", n == 1 && (end.revents & POLLHUP) ? "yes" : "no");
    close(q[0]);
}

static void *other_thread(void *index) {
    printf("another thread's enter at the same index: %ld\n",
           nop((int) (long) index, IORING_ENTER_REGISTERED_RING));
    return NULL;
}

int main(void) {
    if (ring_open(&r, 8) < 0) {
        return 1;
    }
    tail = ring_sq_tail(&r);
    struct io_uring_rsrc_update u = {.offset = 3, .data = (unsigned) r.fd};
    long got = reg(r.fd, IORING_REGISTER_RING_FDS, &u, 1);
    printf("register at offset 3: %ld, offset %u\n", got, u.offset);
    struct io_uring_rsrc_update any = {.offset = -1U, .data = (unsigned) r.fd};
    got = reg(r.fd, IORING_REGISTER_RING_FDS, &any, 1);
    printf("register at any offset: %ld, offset %u\n", got, any.offset);
    struct io_uring_rsrc_update taken = {.offset = 3, .data = (unsigned) r.fd};
    printf("register at a taken offset: %ld\n", reg(r.fd, IORING_REGISTER_RING_FDS, &taken, 1));
    int p[2];
    if (pipe(p) < 0) {
        return 1;
    }
    struct io_uring_rsrc_update pipe_end = {.offset = -1U, .data = (unsigned) p[0]};
    printf("register a pipe: %ld\n", reg(r.fd, IORING_REGISTER_RING_FDS, &pipe_end, 1));
    struct io_uring_rsrc_update past = {.offset = 16, .data = (unsigned) r.fd};
    printf("register past the slots: %ld\n", reg(r.fd, IORING_REGISTER_RING_FDS, &past, 1));

    printf("enter by index 3: %ld\n", nop(3, IORING_ENTER_REGISTERED_RING));
    printf("enter by index 16: %ld\n", nop(16, IORING_ENTER_REGISTERED_RING));
    printf("enter by empty index 7: %ld\n", nop(7, IORING_ENTER_REGISTERED_RING));
    printf("enter by index 3 with unknown flags: %ld\n", nop(3, IORING_ENTER_REGISTERED_RING | 0x80000000u));
    pthread_t t;
    pthread_create(&t, NULL, other_thread, (void *) 3L);
    pthread_join(t, NULL);

    unsigned eventfd_args[1] = {(unsigned) -1};
    printf("register by index 3 (an eventfd of -1): %ld\n",
           reg(3, IORING_REGISTER_EVENTFD | IORING_REGISTER_USE_REGISTERED_RING,
               (struct io_uring_rsrc_update *) eventfd_args, 1));
    printf("register by empty index 9: %ld\n",
           reg(9, IORING_REGISTER_EVENTFD | IORING_REGISTER_USE_REGISTERED_RING,
               (struct io_uring_rsrc_update *) eventfd_args, 1));

    a_dead_threads_slot_holds_nothing();

    int fd = r.fd;
    close(fd);
    printf("enter by index 3 after the descriptor's close: %ld\n", nop(3, IORING_ENTER_REGISTERED_RING));
    struct io_uring_rsrc_update gone = {.offset = 3};
    printf("unregister index 3 by index %u: %ld\n", any.offset,
           reg((int) any.offset, IORING_UNREGISTER_RING_FDS | IORING_REGISTER_USE_REGISTERED_RING, &gone, 1));
    printf("enter by index 3 after unregistering it: %ld\n", nop(3, IORING_ENTER_REGISTERED_RING));
    printf("enter by index %u: %ld\n", any.offset, nop((int) any.offset, IORING_ENTER_REGISTERED_RING));
    struct io_uring_rsrc_update bad = {.offset = any.offset, .data = 1};
    printf("unregister with data set: %ld\n",
           reg((int) any.offset, IORING_UNREGISTER_RING_FDS | IORING_REGISTER_USE_REGISTERED_RING, &bad, 1));
    return 0;
}
