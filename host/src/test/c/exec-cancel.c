/*
 * An exec cancels the requests of the thread that runs it (begin_new_exec: io_uring_task_cancel). A forked child
 * submits, on the ring it shares with its parent, a 10 s TIMEOUT and a READ of a pipe nobody writes, then execs this
 * program again (which exits at once). The parent then waits, under a 3 s TIMEOUT of its own, for both CQEs: each
 * -ECANCELED (-125) at the exec. Prints the CQEs in user_data order; exits 0 when every step worked, whatever the CQEs
 * said (natively and hosted outputs are compared).
 */
#include "ring.h"
#include <stdlib.h>
#include <sys/wait.h>

static struct __kernel_timespec child_wait = {.tv_sec = 10}, parent_wait = {.tv_sec = 3};

static void prep(struct ring *r, unsigned *tail, unsigned char opcode, int fd, const void *addr, unsigned len,
                 unsigned long long user_data) {
    struct io_uring_sqe *sqe = ring_sqe(r, tail);
    sqe->opcode = opcode;
    sqe->fd = fd;
    sqe->addr = (unsigned long) addr;
    sqe->len = len;
    sqe->user_data = user_data;
}

int main(int argc, char **argv) {
    if (argc > 1) {
        return 0; /* the exec's target */
    }
    struct ring r;
    int p[2];
    static char buf[64];
    if (ring_open(&r, 8) < 0 || pipe(p) < 0) {
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        unsigned tail = ring_sq_tail(&r);
        prep(&r, &tail, IORING_OP_TIMEOUT, -1, &child_wait, 1, 1);
        prep(&r, &tail, IORING_OP_READ, p[0], buf, sizeof buf, 2);
        ring_publish(&r, tail);
        if (ring_enter(r.fd, 2, 0, 0, NULL, 0) != 2) {
            perror("io_uring_enter");
            return 1;
        }
        execl("/proc/self/exe", argv[0], "exec-target", (char *) NULL);
        perror("execl");
        return 1;
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "the child failed\n");
        return 1;
    }
    unsigned tail = ring_sq_tail(&r);
    prep(&r, &tail, IORING_OP_TIMEOUT, -1, &parent_wait, 1, 9);
    ring_publish(&r, tail);
    if (ring_enter(r.fd, 1, 0, 0, NULL, 0) != 1) {
        perror("io_uring_enter");
        return 1;
    }
    int res[3] = {1, 1, 1};
    int seen = 0;
    while (res[2] == 1 && seen < 2) {
        if (ring_cq_ready(&r) == 0 && ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
            perror("io_uring_enter");
            return 1;
        }
        while (ring_cq_ready(&r) > 0) {
            unsigned head = *ring_u32(&r, r.p.cq_off.head);
            struct io_uring_cqe *cqe = (struct io_uring_cqe *) (r.rings + r.p.cq_off.cqes)
                                       + (head & (r.p.cq_entries - 1));
            unsigned long long ud = cqe->user_data;
            res[ud == 9 ? 2 : ud - 1] = cqe->res;
            seen += ud != 9;
            __atomic_store_n(ring_u32(&r, r.p.cq_off.head), head + 1, __ATOMIC_RELEASE);
        }
    }
    printf("the child's TIMEOUT: %d\nthe child's READ: %d\nthe parent's 3 s TIMEOUT fired first: %s\n", res[0],
           res[1], res[2] == 1 ? "no" : "yes");
    return 0;
}
