/*
 * Rings and threads: a SINGLE_ISSUER ring set up by the main thread takes NOPs from it and refuses them from another
 * thread; a thread blocked in a GETEVENTS wait on a second ring is woken by a NOP the main thread submits to that
 * ring meanwhile (a supervisor that served one call at a time would never receive the main thread's call). Prints
 * each result; exits 0 when every call answered, whatever it answered (natively and hosted outputs are compared).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ring {
    int fd;
    unsigned *sq_tail, *sq_array, *cq_head, *cq_tail, mask;
    struct io_uring_sqe *sqes;
};

static int setup(struct ring *r, unsigned flags) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    p.flags = flags;
    r->fd = (int) syscall(__NR_io_uring_setup, 8, &p);
    if (r->fd < 0) {
        return -errno;
    }
    size_t bytes = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_bytes = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    char *ring = mmap(NULL, bytes > cq_bytes ? bytes : cq_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
            IORING_OFF_SQ_RING);
    r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
            IORING_OFF_SQES);
    if (ring == MAP_FAILED || r->sqes == MAP_FAILED) {
        return -ENOMEM;
    }
    r->sq_tail = (unsigned *) (ring + p.sq_off.tail);
    r->sq_array = (unsigned *) (ring + p.sq_off.array);
    r->cq_head = (unsigned *) (ring + p.cq_off.head);
    r->cq_tail = (unsigned *) (ring + p.cq_off.tail);
    r->mask = p.sq_entries - 1;
    return 0;
}

/* Queues one NOP and enters with to_submit 1; the enter's result (or -errno). */
static int nop(struct ring *r) {
    unsigned tail = *r->sq_tail;
    struct io_uring_sqe *sqe = &r->sqes[tail & r->mask];
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = IORING_OP_NOP;
    sqe->user_data = tail;
    r->sq_array[tail & r->mask] = tail & r->mask;
    __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
    int ret = (int) syscall(__NR_io_uring_enter, r->fd, 1, 0, 0, NULL, 0);
    return ret < 0 ? -errno : ret;
}

/* Takes every CQE: how many. */
static unsigned reap(struct ring *r) {
    unsigned head = *r->cq_head, tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
    __atomic_store_n(r->cq_head, tail, __ATOMIC_RELEASE);
    return tail - head;
}

static struct ring single, waited;
static int other_nop;
static int wait_ret;

static void *other_thread(void *unused) {
    (void) unused;
    other_nop = nop(&single);
    return NULL;
}

static void *waiting_thread(void *unused) {
    (void) unused;
    int ret = (int) syscall(__NR_io_uring_enter, waited.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    wait_ret = ret < 0 ? -errno : ret;
    return NULL;
}

int main(void) {
    pthread_t t;
    int ret = setup(&single, IORING_SETUP_SINGLE_ISSUER);
    printf("setup SINGLE_ISSUER: %d\n", ret);
    if (ret < 0) {
        return 1;
    }
    printf("NOP from the thread that set it up: %d\n", nop(&single));
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, NULL);
    printf("NOP from another thread: %d\n", other_nop);
    printf("CQEs: %u\n", reap(&single));

    if (setup(&waited, 0) < 0) {
        return 1;
    }
    pthread_create(&t, NULL, waiting_thread, NULL);
    usleep(200 * 1000);
    printf("NOP while another thread waits: %d\n", nop(&waited));
    pthread_join(t, NULL);
    printf("the wait returned %d, CQEs: %u\n", wait_ret, reap(&waited));
    return 0;
}
