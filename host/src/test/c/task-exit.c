/*
 * What a thread's exit leaves undone on a ring that outlives it (do_exit: io_uring_files_cancel ->
 * io_uring_cancel_generic, which ends the thread's io-wq, io_wq_put_and_exit; task work that comes after the exit
 * runs in the fallback kworker, io_should_terminate_tw).
 *
 * A thread submits a POLL_ADD of an empty pipe (1), a READ of another empty pipe (2, armed on the pipe's poll) and a
 * SPLICE from a third empty pipe with IOSQE_ASYNC (3, an io-wq worker blocks in it), waits 300 ms and exits. The
 * exit wakes the worker, whose SPLICE ends -512 after 6.12 (-ERESTARTSYS, catalogued), -EINTR on 6.1, 6.12 and
 * hosted. The parent waits for that CQE under a 3 s TIMEOUT of its own (9), then writes all three pipes: the poll
 * and the READ, woken after their task's exit, end -ECANCELED (-125), and nothing is spliced. Prints the CQEs; exits 0 when every step worked, whatever the CQEs said (natively
 * and hosted outputs are compared).
 */
#include "ring.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>

static struct ring r;
static int polled[2], read_from[2], spliced[2], spliced_to[2];
static char buf[16];
static struct __kernel_timespec parent_wait = {.tv_sec = 3};

static void *thread_submits(void *unused) {
    (void) unused;
    unsigned tail = ring_sq_tail(&r);
    ring_prep(&r, &tail, IORING_OP_POLL_ADD, polled[0], 1)->poll32_events = POLLIN;
    struct io_uring_sqe *sqe = ring_prep(&r, &tail, IORING_OP_READ, read_from[0], 2);
    sqe->addr = (unsigned long) buf;
    sqe->len = sizeof buf;
    sqe = ring_prep(&r, &tail, IORING_OP_SPLICE, spliced_to[1], 3);
    sqe->flags = IOSQE_ASYNC;
    sqe->splice_fd_in = spliced[0];
    sqe->splice_off_in = (unsigned long long) -1;
    sqe->off = (unsigned long long) -1;
    sqe->len = sizeof buf;
    ring_publish(&r, tail);
    long submitted = ring_enter(r.fd, 3, 0, 0, NULL, 0);
    usleep(300 * 1000); /* long enough for the worker to be in the call, under load */
    return (void *) (long) (submitted != 3);
}

/* Reaps into res (by user_data 1 to 3; 9 is the parent's TIMEOUT) until CQE `until` or 9 came. */
static int reap(int *res, int until) {
    while (res[until] == 1 && res[9] == 1) {
        if (ring_cq_ready(&r) == 0 && ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 && errno != EINTR) {
            return -1;
        }
        ring_reap_res(&r, res, 10);
    }
    return 0;
}

int main(void) {
    if (ring_open(&r, 8) < 0 || pipe(polled) < 0 || pipe(read_from) < 0 || pipe(spliced) < 0
        || pipe(spliced_to) < 0) {
        perror("setup");
        return 1;
    }
    pthread_t thread;
    void *failed;
    if (pthread_create(&thread, NULL, thread_submits, NULL) != 0 || pthread_join(thread, &failed) != 0 || failed) {
        fprintf(stderr, "the thread failed\n");
        return 1;
    }
    int res[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    unsigned tail = ring_sq_tail(&r);
    struct io_uring_sqe *sqe = ring_prep(&r, &tail, IORING_OP_TIMEOUT, -1, 9);
    sqe->addr = (unsigned long) &parent_wait;
    sqe->len = 1;
    ring_publish(&r, tail);
    if (ring_enter(r.fd, 1, 0, 0, NULL, 0) != 1 || reap(res, 3) < 0) {
        perror("io_uring_enter");
        return 1;
    }
    int fired_first = res[9] != 1;
    /* the thread's exit has been seen (its SPLICE ended), or 3 s have passed */
    usleep(200 * 1000);
    if (write(polled[1], "p", 1) != 1 || write(read_from[1], "read", 4) != 4 || write(spliced[1], "spliced", 7) != 7) {
        perror("write");
        return 1;
    }
    if (reap(res, 1) < 0 || reap(res, 2) < 0 || reap(res, 3) < 0) {
        perror("io_uring_enter");
        return 1;
    }
    fcntl(spliced_to[0], F_SETFL, O_NONBLOCK);
    long moved = read(spliced_to[0], buf, sizeof buf);
    printf("the thread's POLL_ADD of a pipe: %d\nthe thread's READ of a pipe: %d\nthe thread's io-wq SPLICE: %d\n"
           "bytes spliced: %ld\nthe parent's 3 s TIMEOUT fired first: %s\n",
           res[1], res[2], res[3], moved < 0 ? 0 : moved, fired_first ? "yes" : "no");
    return 0;
}
