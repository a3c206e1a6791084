/*
 * SIGALRM during an io_uring_enter GETEVENTS wait, with a handler: what the call returns and that the handler ran,
 * one line per case, natively and under `ringspec host` (HostedProgramTest compares the lines). The kernel ends such
 * a wait with -EINTR (io_cqring_wait; not -ERESTARTSYS, so SA_RESTART does not restart it), answers 0 instead when the
 * CQ holds CQEs, and the submitted count when the same call submitted; a wait whose own sigmask blocks the signal
 * runs to its timeout and the handler runs after it. IORING_REGISTER_SYNC_CANCEL waiting for a request that keeps
 * running (a READV of about 2 GiB from a sparse memfd into 64 MiB, on an io-wq worker, which the cancellation's
 * signal to the worker does not stop) ends with -EINTR too (io_sync_cancel's io_run_task_work_sig), and the read
 * ends whole. Exits 1 where the kernel's answer differs from these facts.
 */
#include "ring.h"
#include <signal.h>
#include <sys/time.h>
#include <sys/uio.h>

static volatile sig_atomic_t handled;

static void on_alarm(int signal) {
    (void) signal;
    handled++;
}

static void handle(int restart) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
}

/* SIGALRM in usec microseconds */
static void alarm_in(long usec) {
    struct itimerval t;
    memset(&t, 0, sizeof t);
    t.it_value.tv_usec = usec;
    setitimer(ITIMER_REAL, &t, NULL);
}

/* SIGALRM in 100 ms */
static void alarm_soon(void) {
    alarm_in(100000);
}

static int failures;

static void report(const char *name, long ret, int err, long want_ret, int want_err, int want_handled) {
    printf("%s: returned %ld errno %d, handler ran %d\n", name, ret, ret < 0 ? err : 0, (int) handled);
    if (ret != want_ret || (ret < 0 && err != want_err) || handled != want_handled) {
        fprintf(stderr, "signal-wait: %s: expected %ld errno %d, handler %d\n", name, want_ret, want_err,
                want_handled);
        failures++;
    }
    handled = 0;
}

static void nop(struct ring *r) {
    unsigned tail = ring_sq_tail(r);
    ring_sqe(r, &tail)->opcode = IORING_OP_NOP;
    ring_publish(r, tail);
}

int main(void) {
    struct ring r;
    if (ring_open(&r, 8) != 0) {
        return 1;
    }
    long ret;

    handle(0);
    alarm_soon();
    ret = ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    report("empty CQ, no SA_RESTART", ret, errno, -1, EINTR, 1);

    handle(1);
    alarm_soon();
    ret = ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    report("empty CQ, SA_RESTART", ret, errno, -1, EINTR, 1);

    struct __kernel_timespec ten_seconds = {.tv_sec = 10};
    struct io_uring_getevents_arg arg;
    memset(&arg, 0, sizeof arg);
    arg.ts = (uint64_t) (uintptr_t) &ten_seconds;
    alarm_soon();
    ret = ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
    report("empty CQ, 10 s timeout", ret, errno, -1, EINTR, 1);

    nop(&r);
    ret = ring_enter(r.fd, 1, 0, 0, NULL, 0);
    alarm_soon();
    ret = ring_enter(r.fd, 0, 2, IORING_ENTER_GETEVENTS, NULL, 0);
    report("one CQE, waiting for two", ret, errno, 0, 0, 1);
    ring_cq_drain(&r);

    nop(&r);
    alarm_soon();
    ret = ring_enter(r.fd, 1, 2, IORING_ENTER_GETEVENTS, NULL, 0);
    report("one NOP submitted, waiting for two", ret, errno, 1, 0, 1);
    ring_cq_drain(&r);

    sigset_t block_alarm;
    sigemptyset(&block_alarm);
    sigaddset(&block_alarm, SIGALRM);
    struct __kernel_timespec short_wait = {.tv_nsec = 400000000};
    arg.ts = (uint64_t) (uintptr_t) &short_wait;
    arg.sigmask = (uint64_t) (uintptr_t) &block_alarm;
    arg.sigmask_sz = _NSIG / 8;
    alarm_soon();
    ret = ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
    report("the wait's sigmask blocks it, 400 ms timeout", ret, errno, -1, ETIME, 1);

    /* IORING_REGISTER_SYNC_CANCEL waiting for a running READV: the signal ends the wait, not the read */
    enum { IOVECS = 1024, CHUNK = 2 << 20, CHUNKS = 32 };
    static struct iovec iov[IOVECS];
    /* 64 MiB, more than any cache: the copy goes to memory (about 110 ms here, 33 ms into one chunk) */
    char *chunk = mmap(NULL, (size_t) CHUNK * CHUNKS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int big = (int) syscall(SYS_memfd_create, "signal-wait", 0);
    if (chunk == MAP_FAILED || big < 0 || ftruncate(big, 4L << 30) != 0) {
        perror("signal-wait: the sparse file");
        return 1;
    }
    for (int i = 0; i < IOVECS; i++) {
        iov[i].iov_base = chunk + (size_t) CHUNK * (i % CHUNKS);
        iov[i].iov_len = CHUNK;
    }
    unsigned tail = ring_sq_tail(&r);
    struct io_uring_sqe *sqe = ring_sqe(&r, &tail);
    sqe->opcode = IORING_OP_READV;
    sqe->fd = big;
    sqe->addr = (uint64_t) (uintptr_t) iov;
    sqe->len = IOVECS;
    sqe->flags = IOSQE_ASYNC;
    sqe->user_data = 7;
    ring_publish(&r, tail);
    ring_enter(r.fd, 1, 0, 0, NULL, 0);
    usleep(20000); /* an io-wq worker takes it up: running, not pending (pending work is cancelled at once) */
    struct io_uring_sync_cancel_reg sc;
    memset(&sc, 0, sizeof sc);
    sc.addr = 7;
    sc.timeout.tv_sec = -1;
    sc.timeout.tv_nsec = -1;
    handle(0);
    alarm_in(2000); /* the read takes 100 ms or more */
    ret = ring_register(r.fd, IORING_REGISTER_SYNC_CANCEL, &sc, 1);
    report("IORING_REGISTER_SYNC_CANCEL waiting for a running read", ret, errno, -1, EINTR, 1);
    ret = ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    printf("the read: enter %ld, res %d\n", ret, ring_cq_ready(&r) ? ring_cq_first_res(&r) : -1);
    ring_cq_drain(&r);
    close(big);

    ring_close(&r);
    printf("signal-wait: %s\n", failures ? "differs from the kernel's facts" : "as the kernel");
    return failures ? 1 : 0;
}
