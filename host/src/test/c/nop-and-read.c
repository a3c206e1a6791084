/*
 * A program with its own io_uring code, raw syscalls only: sets up a ring, maps it at IORING_OFF_SQ_RING and
 * IORING_OFF_SQES, submits NOPs and a READ of a pipe into its own buffer, reaps every CQE, checks them and exits 0.
 * Any difference from what the kernel answers exits 1 with the reason on stderr. Run natively and under
 * `ringspec host` by HostedProgramTest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOPS 5

static int fail(const char *what, long got) {
    fprintf(stderr, "nop-and-read: %s (got %ld)\n", what, got);
    return 1;
}

int main(void) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int fd = (int) syscall(__NR_io_uring_setup, 8, &p);
    if (fd < 0) {
        return fail("io_uring_setup", fd);
    }
    if (p.sq_entries != 8 || p.cq_entries != 16) {
        return fail("entries", p.sq_entries * 1000 + p.cq_entries);
    }
    size_t ring_bytes = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_bytes = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (cq_bytes > ring_bytes) {
        ring_bytes = cq_bytes;
    }
    char *ring = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    if (ring == MAP_FAILED || sqes == MAP_FAILED) {
        return fail("mmap", -1);
    }
    unsigned *sq_tail = (unsigned *) (ring + p.sq_off.tail);
    unsigned *sq_array = (unsigned *) (ring + p.sq_off.array);
    unsigned *cq_head = (unsigned *) (ring + p.cq_off.head);
    unsigned *cq_tail = (unsigned *) (ring + p.cq_off.tail);
    struct io_uring_cqe *cqes = (struct io_uring_cqe *) (ring + p.cq_off.cqes);

    int pipefd[2];
    if (pipe(pipefd) != 0 || write(pipefd[1], "hosted!", 7) != 7) {
        return fail("pipe", -1);
    }
    char buffer[16];
    memset(buffer, 0, sizeof buffer);
    unsigned tail = __atomic_load_n(sq_tail, __ATOMIC_RELAXED);
    for (int i = 0; i < NOPS + 1; i++) {
        struct io_uring_sqe *sqe = &sqes[tail & (p.sq_entries - 1)];
        memset(sqe, 0, sizeof *sqe);
        sqe->opcode = i < NOPS ? IORING_OP_NOP : IORING_OP_READ;
        sqe->user_data = 100 + i;
        if (i == NOPS) {
            sqe->fd = pipefd[0];
            sqe->addr = (uint64_t) (uintptr_t) buffer;
            sqe->len = sizeof buffer;
            sqe->off = (uint64_t) -1;
        }
        sq_array[tail & (p.sq_entries - 1)] = tail & (p.sq_entries - 1);
        tail++;
    }
    __atomic_store_n(sq_tail, tail, __ATOMIC_RELEASE);
    long r = syscall(__NR_io_uring_enter, fd, NOPS + 1, NOPS + 1, IORING_ENTER_GETEVENTS, NULL, 0);
    if (r != NOPS + 1) {
        return fail("io_uring_enter", r);
    }
    unsigned head = __atomic_load_n(cq_head, __ATOMIC_RELAXED);
    unsigned ready = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) - head;
    if (ready != NOPS + 1) {
        return fail("CQEs ready", ready);
    }
    for (unsigned i = 0; i < ready; i++) {
        struct io_uring_cqe *cqe = &cqes[(head + i) & (p.cq_entries - 1)];
        long want = cqe->user_data == 100 + NOPS ? 7 : 0;
        if (cqe->user_data < 100 || cqe->user_data > 100 + NOPS || cqe->res != want) {
            fprintf(stderr, "nop-and-read: CQE user_data %llu res %d\n", (unsigned long long) cqe->user_data,
                    cqe->res);
            return 1;
        }
    }
    __atomic_store_n(cq_head, head + ready, __ATOMIC_RELEASE);
    if (memcmp(buffer, "hosted!", 8) != 0) {
        return fail("the READ's bytes in the buffer", buffer[0]);
    }
    /* bad input: the kernel's errno, never a crash: a descriptor that is no ring, none at all, a wild pointer */
    errno = 0;
    if (syscall(__NR_io_uring_enter, pipefd[0], 0, 0, 0, NULL, 0) != -1 || errno != EOPNOTSUPP) {
        return fail("io_uring_enter on a pipe: errno", errno);
    }
    errno = 0;
    if (syscall(__NR_io_uring_enter, 9999, 0, 0, 0, NULL, 0) != -1 || errno != EBADF) {
        return fail("io_uring_enter on a closed descriptor: errno", errno);
    }
    errno = 0;
    if (syscall(__NR_io_uring_setup, 8, (void *) 16) != -1 || errno != EFAULT) {
        return fail("io_uring_setup with a wild params pointer: errno", errno);
    }
    printf("nop-and-read: %d NOPs and a READ of 7 bytes reaped\n", NOPS);
    return 0;
}
