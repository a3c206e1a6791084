/*
 * IORING_REGISTER_FILE_ALLOC_RANGE (HostedRegisterOpsTest): where IORING_FILE_INDEX_ALLOC takes direct descriptors
 * (SOCKET into a sparse table of 8), each refusal (nr_args, resv, an end past the table, an overflowing range),
 * and the whole table again after a new registration. Prints one line per step; the same natively and hosted.
 */
#include "ring.h"

#include <stdint.h>
#include <sys/socket.h>

#ifndef IORING_FILE_INDEX_ALLOC
#define IORING_FILE_INDEX_ALLOC (~0U)
#endif

static struct ring r;
static unsigned tail;

struct range {
    uint32_t off;
    uint32_t len;
    uint64_t resv;
};

static long alloc_range(uint32_t off, uint32_t len, uint64_t resv, unsigned nr) {
    struct range range = {off, len, resv};
    long got = ring_register(r.fd, IORING_REGISTER_FILE_ALLOC_RANGE, &range, nr);
    return got < 0 ? -errno : got;
}

/* A direct UDP socket into any free slot: the slot, or -errno. */
static int direct_socket(void) {
    struct io_uring_sqe *sqe = ring_sqe(&r, &tail);
    sqe->opcode = IORING_OP_SOCKET;
    sqe->fd = AF_INET;
    sqe->off = SOCK_DGRAM;
    sqe->file_index = IORING_FILE_INDEX_ALLOC;
    ring_publish(&r, tail);
    if (ring_enter(r.fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) != 1) {
        return -1000 - errno;
    }
    int res = ring_cq_first_res(&r);
    ring_cq_drain(&r);
    return res;
}

static void sparse(unsigned n) {
    int fds[8];
    memset(fds, 0xff, sizeof fds);
    long got = ring_register(r.fd, IORING_REGISTER_FILES, fds, n);
    printf("register %u sparse files: %ld\n", n, got < 0 ? -errno : got);
}

int main(void) {
    if (ring_open(&r, 8) < 0) {
        return 1;
    }
    tail = ring_sq_tail(&r);
    printf("a range without a table: %ld\n", alloc_range(0, 1, 0, 0));
    printf("an empty range without a table: %ld\n", alloc_range(0, 0, 0, 0));
    sparse(8);
    printf("nr_args 1: %ld\n", alloc_range(4, 2, 0, 1));
    printf("resv set: %ld\n", alloc_range(4, 2, 1, 0));
    printf("past the table: %ld\n", alloc_range(4, 5, 0, 0));
    printf("overflowing: %ld\n", alloc_range(0xfffffff0u, 0x20, 0, 0));
    printf("slots 4 and 5: %ld\n", alloc_range(4, 2, 0, 0));
    for (int i = 0; i < 3; i++) {
        printf("socket %d: %d\n", i, direct_socket());
    }
    long got = ring_register(r.fd, IORING_UNREGISTER_FILES, NULL, 0);
    printf("unregister: %ld\n", got < 0 ? -errno : got);
    sparse(3);
    for (int i = 0; i < 4; i++) {
        printf("socket %d after a new registration: %d\n", i, direct_socket());
    }
    return 0;
}
