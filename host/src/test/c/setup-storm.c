/*
 * Many rings set up, mapped, given a NOP and closed in a row (host/src/test/java HostedFaultTest): every setup must
 * answer a descriptor of its own (above the three standard ones) that maps and completes its NOP, whatever signals
 * the supervisor's threads meet meanwhile. Prints how many did; exit status 1 at the first that did not, and why.
 */
#include "ring.h"
#include <stdlib.h>

int main(int argc, char **argv) {
    int setups = argc > 1 ? atoi(argv[1]) : 2000;
    for (int i = 0; i < setups; i++) {
        struct ring r;
        if (ring_open(&r, 4) != 0 || r.fd < 3) {
            printf("setup %d answered %d\n", i, r.fd);
            return 1;
        }
        unsigned tail = ring_sq_tail(&r);
        struct io_uring_sqe *sqe = ring_sqe(&r, &tail);
        sqe->opcode = IORING_OP_NOP;
        sqe->user_data = (unsigned) i;
        ring_publish(&r, tail);
        long n = ring_enter(r.fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
        if (n != 1 || ring_cq_ready(&r) != 1 || ring_cq_first_res(&r) != 0) {
            printf("ring %d: enter answered %ld, %u CQEs\n", i, n, ring_cq_ready(&r));
            return 1;
        }
        ring_close(&r);
    }
    printf("%d setups, each a ring that maps and completes a NOP\n", setups);
    return 0;
}
