/*
 * A task's exit cancels its requests on a ring's own descriptor and those linked to them, and no others
 * (do_exit: io_uring_files_cancel; io_match_task_safe without cancel_all matches a link holding a request with
 * REQ_F_INFLIGHT, which io_file_get_normal sets on a request whose file is an io_uring instance).
 *
 * A forked child submits, on the ring it shares with its parent, a POLL_ADD of the ring's descriptor linked to a
 * 10 s TIMEOUT, and a 1 s TIMEOUT of its own, then exits. The parent reaps two CQEs, under a 3 s TIMEOUT of its own
 * (the CQ ring is empty again, so a poll of the ring waits). Then a thread of the parent submits a POLL_ADD of the
 * ring's descriptor and a 1 s TIMEOUT, and exits; the parent reaps the other three CQEs. Each POLL_ADD and the
 * linked TIMEOUT end -ECANCELED (-125) at the exit, each 1 s TIMEOUT -ETIME (-62). Prints the CQEs in user_data
 * order; exits 0 when every step worked, whatever the CQEs said (natively and hosted outputs are compared).
 */
#include "ring.h"
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>

static struct __kernel_timespec long_wait = {.tv_sec = 10}, short_wait = {.tv_sec = 1},
                                parent_wait = {.tv_sec = 3};

static void prep(struct ring *r, unsigned *tail, unsigned char opcode, int fd, const void *addr, unsigned len,
                 unsigned char flags, unsigned long long user_data) {
    struct io_uring_sqe *sqe = ring_sqe(r, tail);
    sqe->opcode = opcode;
    sqe->flags = flags;
    sqe->fd = fd;
    sqe->addr = (unsigned long) addr;
    sqe->len = len;
    sqe->poll32_events = opcode == IORING_OP_POLL_ADD ? POLLIN : 0;
    sqe->user_data = user_data;
}

static struct ring r;

/* The parent's thread: a POLL_ADD of the ring (4) and a 1 s TIMEOUT (5), then it exits. */
static void *thread_submits(void *unused) {
    (void) unused;
    unsigned tail = ring_sq_tail(&r);
    prep(&r, &tail, IORING_OP_POLL_ADD, r.fd, NULL, 0, 0, 4);
    prep(&r, &tail, IORING_OP_TIMEOUT, -1, &short_wait, 1, 0, 5);
    ring_publish(&r, tail);
    return (void *) (long) (ring_enter(r.fd, 2, 0, 0, NULL, 0) != 2);
}

/* Reaps into res (by user_data; 9 is the parent's TIMEOUT) until `want` CQEs of the others came or 9 did. */
static int reap(int *res, int want) {
    static int seen;
    while (res[5] == 1 && seen < want) {
        if (ring_cq_ready(&r) == 0 && ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
            return -1;
        }
        while (ring_cq_ready(&r) > 0) {
            unsigned head = *ring_u32(&r, r.p.cq_off.head);
            struct io_uring_cqe *cqe = (struct io_uring_cqe *) (r.rings + r.p.cq_off.cqes)
                                       + (head & (r.p.cq_entries - 1));
            unsigned long long ud = cqe->user_data;
            res[ud == 9 ? 5 : ud - 1] = cqe->res;
            seen += ud != 9;
            __atomic_store_n(ring_u32(&r, r.p.cq_off.head), head + 1, __ATOMIC_RELEASE);
        }
    }
    return 0;
}

int main(void) {
    if (ring_open(&r, 8) < 0) {
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        unsigned tail = ring_sq_tail(&r);
        prep(&r, &tail, IORING_OP_POLL_ADD, r.fd, NULL, 0, IOSQE_IO_LINK, 1);
        prep(&r, &tail, IORING_OP_TIMEOUT, -1, &long_wait, 1, 0, 2);
        prep(&r, &tail, IORING_OP_TIMEOUT, -1, &short_wait, 1, 0, 3);
        ring_publish(&r, tail);
        if (ring_enter(r.fd, 3, 0, 0, NULL, 0) != 3) {
            perror("io_uring_enter");
            _exit(1);
        }
        _exit(0);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "the child failed\n");
        return 1;
    }
    int res[6] = {1, 1, 1, 1, 1, 1};
    unsigned tail = ring_sq_tail(&r);
    prep(&r, &tail, IORING_OP_TIMEOUT, -1, &parent_wait, 1, 0, 9);
    ring_publish(&r, tail);
    if (ring_enter(r.fd, 1, 0, 0, NULL, 0) != 1 || reap(res, 2) < 0) {
        perror("io_uring_enter");
        return 1;
    }
    pthread_t thread;
    void *failed;
    if (pthread_create(&thread, NULL, thread_submits, NULL) != 0 || pthread_join(thread, &failed) != 0 || failed) {
        fprintf(stderr, "the thread failed\n");
        return 1;
    }
    if (reap(res, 5) < 0) {
        perror("io_uring_enter");
        return 1;
    }
    printf("the child's POLL_ADD of the ring: %d\nthe TIMEOUT linked to it: %d\nthe child's 1 s TIMEOUT: %d\n"
           "the thread's POLL_ADD of the ring: %d\nthe thread's 1 s TIMEOUT: %d\n"
           "the parent's 3 s TIMEOUT fired first: %s\n",
           res[0], res[1], res[2], res[3], res[4], res[5] == 1 ? "no" : "yes");
    return 0;
}
