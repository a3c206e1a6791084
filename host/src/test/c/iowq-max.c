/*
 * IORING_REGISTER_IOWQ_MAX_WORKERS and what a thread's exit does to its io-wq work (io_uring/register.c
 * io_register_iowq_max_workers, io-wq.c io_wq_max_workers, io_worker_handle_work, io_wq_destroy; io_uring.c
 * io_req_task_submit).
 *
 * 1. The calls on the main thread's plain ring: a query (all zero) answers the defaults (bound: the ring's SQ
 *    entries, at most 4 per CPU; unbound: RLIMIT_NPROC), a change answers the old values, a zero keeps a value, a
 *    value above RLIMIT_NPROC is cut to it; bad arguments answer -EINVAL or -EFAULT and change nothing.
 * 2. A thread that never used a ring answers zeros, but sets the ring's caps; a thread's io-wq made at its first
 *    submission gets the ring's caps. An SQPOLL ring's caps are its SQ thread's: the main thread's stay.
 * 3. With one unbound worker, a thread queues three IOSQE_ASYNC SPLICEs from empty pipes and exits: the running one
 *    ends -ERESTARTSYS (-512), the two still queued -ECANCELED (-125).
 * 4. A thread submits a TIMEOUT hard-linked to a NOP and exits: when the timer fires after the exit, the TIMEOUT
 *    ends -ETIME (-62) and the NOP, queued to the exited task, -EFAULT (-14).
 * Prints what it saw; exits 0 when every step worked, whatever the kernel answered (natively and hosted outputs are
 * compared).
 */
#include "ring.h"
#include <limits.h>
#include <pthread.h>
#include <sys/resource.h>

static struct ring r;
static unsigned long nproc;
static unsigned cpus;

static long max_workers(int fd, unsigned bound, unsigned unbound, unsigned out[2]) {
    unsigned v[2] = {bound, unbound};
    long ret = ring_register(fd, IORING_REGISTER_IOWQ_MAX_WORKERS, v, 2);
    out[0] = v[0];
    out[1] = v[1];
    return ret < 0 ? -errno : ret;
}

/* A value as the program prints it: a number, or its relation to the defaults. */
static const char *name(unsigned v, unsigned sq_entries) {
    static char buf[4][32];
    static int next;
    char *b = buf[next++ & 3];
    if (v == nproc) {
        return "RLIMIT_NPROC";
    }
    unsigned def = sq_entries < 4 * cpus ? sq_entries : 4 * cpus;
    if (v == def && v > 4) {
        return "min(sq_entries, 4 * CPUs)";
    }
    snprintf(b, 32, "%u", v);
    return b;
}

static void show(const char *what, long ret, unsigned v[2], unsigned sq) {
    printf("%s: %ld {%s, %s}\n", what, ret, name(v[0], sq), name(v[1], sq));
}

static void *fresh_thread(void *unused) {
    (void) unused;
    unsigned v[2];
    long ret = max_workers(r.fd, 0, 7, v);
    show("a thread without io_uring sets {0, 7}", ret, v, r.p.sq_entries);
    unsigned tail = ring_sq_tail(&r);
    ring_sqe(&r, &tail)->opcode = IORING_OP_NOP;
    ring_publish(&r, tail);
    if (ring_enter(r.fd, 1, 0, 0, NULL, 0) != 1) {
        return (void *) 1;
    }
    ret = max_workers(r.fd, 0, 0, v);
    show("the same thread after its first submission queries", ret, v, r.p.sq_entries);
    return NULL;
}

static int spliced[3][2], spliced_to[2];
static char buf[16];

static void *splicing_thread(void *unused) {
    (void) unused;
    unsigned tail = ring_sq_tail(&r);
    for (int i = 0; i < 3; i++) {
        struct io_uring_sqe *sqe = ring_prep(&r, &tail, IORING_OP_SPLICE, spliced_to[1], 1 + i);
        sqe->flags = IOSQE_ASYNC;
        sqe->splice_fd_in = spliced[i][0];
        sqe->splice_off_in = (unsigned long long) -1;
        sqe->off = (unsigned long long) -1;
        sqe->len = sizeof buf;
    }
    ring_publish(&r, tail);
    long submitted = ring_enter(r.fd, 3, 0, 0, NULL, 0);
    usleep(300 * 1000); /* long enough for the worker to be in the first call, under load */
    return (void *) (long) (submitted != 3);
}

static struct __kernel_timespec timer = {.tv_nsec = 200 * 1000 * 1000}, parent_wait = {.tv_sec = 3};

static void *linking_thread(void *unused) {
    (void) unused;
    unsigned tail = ring_sq_tail(&r);
    struct io_uring_sqe *sqe = ring_prep(&r, &tail, IORING_OP_TIMEOUT, -1, 4);
    sqe->addr = (unsigned long) &timer;
    sqe->len = 1;
    sqe->flags = IOSQE_IO_HARDLINK;
    ring_prep(&r, &tail, IORING_OP_NOP, -1, 5);
    ring_publish(&r, tail);
    return (void *) (long) (ring_enter(r.fd, 2, 0, 0, NULL, 0) != 2);
}

/* Reaps into res (by user_data, below 10) until every one of first..last came, or 9 did. */
static int reap(int *res, int first, int last) {
    for (;;) {
        int all = 1;
        for (int i = first; i <= last; i++) {
            all &= res[i] != 1;
        }
        if (all || res[9] != 1) {
            return 0;
        }
        if (ring_cq_ready(&r) == 0 && ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 && errno != EINTR) {
            return -1;
        }
        ring_reap_res(&r, res, 10);
    }
}

static int run_thread(void *(*body)(void *)) {
    pthread_t thread;
    void *failed;
    if (pthread_create(&thread, NULL, body, NULL) != 0 || pthread_join(thread, &failed) != 0 || failed) {
        fprintf(stderr, "a thread failed\n");
        return -1;
    }
    return 0;
}

static int parent_timeout(void) {
    unsigned tail = ring_sq_tail(&r);
    struct io_uring_sqe *sqe = ring_prep(&r, &tail, IORING_OP_TIMEOUT, -1, 9);
    sqe->addr = (unsigned long) &parent_wait;
    sqe->len = 1;
    ring_publish(&r, tail);
    return ring_enter(r.fd, 1, 0, 0, NULL, 0) == 1 ? 0 : -1;
}

int main(void) {
    struct rlimit lim;
    getrlimit(RLIMIT_NPROC, &lim);
    nproc = lim.rlim_cur > INT_MAX ? INT_MAX : lim.rlim_cur;
    cpus = (unsigned) sysconf(_SC_NPROCESSORS_ONLN);
    if (ring_open(&r, 16) < 0 || pipe(spliced_to) < 0) {
        return 1;
    }
    for (int i = 0; i < 3; i++) {
        if (pipe(spliced[i]) < 0) {
            perror("pipe");
            return 1;
        }
    }
    unsigned v[2];
    unsigned sq = r.p.sq_entries;
    show("query", max_workers(r.fd, 0, 0, v), v, sq);
    show("set {2, 1}", max_workers(r.fd, 2, 1, v), v, sq);
    show("set {0, 3}", max_workers(r.fd, 0, 3, v), v, sq);
    show("query", max_workers(r.fd, 0, 0, v), v, sq);
    show("set {0, RLIMIT_NPROC + 1}", max_workers(r.fd, 0, (unsigned) nproc + 1, v), v, sq);
    show("query", max_workers(r.fd, 0, 0, v), v, sq);
    show("set {0x80000000, 1}", max_workers(r.fd, 0x80000000u, 1, v), v, sq);
    printf("nr_args 1: %ld\n", ring_register(r.fd, IORING_REGISTER_IOWQ_MAX_WORKERS, v, 1) < 0 ? -errno : 0L);
    printf("nr_args 3: %ld\n", ring_register(r.fd, IORING_REGISTER_IOWQ_MAX_WORKERS, v, 3) < 0 ? -errno : 0L);
    printf("NULL: %ld\n", ring_register(r.fd, IORING_REGISTER_IOWQ_MAX_WORKERS, NULL, 2) < 0 ? -errno : 0L);
    printf("unmapped: %ld\n", ring_register(r.fd, IORING_REGISTER_IOWQ_MAX_WORKERS, (void *) 8, 2) < 0 ? -errno : 0L);
    show("query", max_workers(r.fd, 0, 0, v), v, sq);
    if (run_thread(fresh_thread) < 0) {
        return 1;
    }
    show("the main thread queries", max_workers(r.fd, 0, 0, v), v, sq);

    struct io_uring_params p = {.flags = IORING_SETUP_SQPOLL, .sq_thread_idle = 100};
    int sqpoll = (int) ring_setup(8, &p);
    if (sqpoll < 0) {
        printf("SQPOLL ring: %d\n", -errno);
    } else {
        show("the SQPOLL ring sets {1, 1}", max_workers(sqpoll, 1, 1, v), v, p.sq_entries);
        show("the SQPOLL ring queries", max_workers(sqpoll, 0, 0, v), v, p.sq_entries);
        close(sqpoll);
    }
    show("the main ring queries", max_workers(r.fd, 0, 0, v), v, sq);

    /* 3: one unbound worker for the thread's io-wq, made at its first submission */
    show("set {0, 1}", max_workers(r.fd, 0, 1, v), v, sq);
    ring_cq_drain(&r);
    int res[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    if (run_thread(splicing_thread) < 0 || parent_timeout() < 0 || reap(res, 1, 3) < 0) {
        perror("io_uring_enter");
        return 1;
    }
    printf("the running SPLICE: %d\nthe queued SPLICEs: %d %d\nthe parent's 3 s TIMEOUT fired first: %s\n", res[1],
           res[2], res[3], res[9] != 1 ? "yes" : "no");

    /* 4: a link whose second request is queued after its task exited */
    res[9] = 1;
    if (run_thread(linking_thread) < 0 || parent_timeout() < 0 || reap(res, 4, 5) < 0) {
        perror("io_uring_enter");
        return 1;
    }
    printf("the exited thread's TIMEOUT: %d\nthe NOP hard-linked to it: %d\nthe parent's 3 s TIMEOUT fired first: %s\n",
           res[4], res[5], res[9] != 1 ? "yes" : "no");
    return 0;
}
