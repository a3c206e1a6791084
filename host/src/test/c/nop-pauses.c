/*
 * NOPs in two halves, with a pause after each for a test to look at the supervisor in between. Usage: nop-pauses N
 * TOLD ASKS: N io_uring_enter calls of one NOP each (GETEVENTS), then one byte written to the FIFO TOLD and one
 * read from the FIFO ASKS; N more, then the same again. Prints "2N NOPs" and exits 0, or says which call went wrong
 * and exits 1. For ServedCallAllocationTest: what the supervisor does for the second N calls, its JIT past the first.
 */
#include "ring.h"

#include <fcntl.h>
#include <stdlib.h>

static int nops(struct ring *r, long n) {
    for (long i = 0; i < n; i++) {
        unsigned tail = ring_sq_tail(r);
        ring_sqe(r, &tail)->opcode = IORING_OP_NOP;
        ring_publish(r, tail);
        long got = ring_enter(r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
        if (got != 1 || ring_cq_ready(r) != 1 || ring_cq_first_res(r) != 0) {
            printf("call %ld: %ld (errno %d), %u CQEs\n", i, got, errno, ring_cq_ready(r));
            return -1;
        }
        ring_cq_drain(r);
    }
    return 0;
}

/* One byte to TOLD, then one from ASKS: 0, or -1 where either failed. */
static int pause_here(int told, int asks) {
    char byte = 'p';
    return write(told, &byte, 1) == 1 && read(asks, &byte, 1) == 1 ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: nop-pauses N TOLD ASKS\n");
        return 2;
    }
    long n = atol(argv[1]);
    int told = open(argv[2], O_WRONLY);
    int asks = open(argv[3], O_RDONLY);
    struct ring r;
    if (told < 0 || asks < 0 || ring_open(&r, 8) < 0) {
        perror("nop-pauses");
        return 1;
    }
    for (int half = 0; half < 2; half++) {
        if (nops(&r, n) < 0) {
            return 1;
        }
        if (pause_here(told, asks) < 0) {
            perror("nop-pauses: pause");
            return 1;
        }
    }
    printf("%ld NOPs\n", 2 * n);
    return 0;
}
