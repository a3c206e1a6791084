/* ringspec lockstep reproducer: catalogue entry resize-wraps-a-32-byte-cqe, replay resize-wraps-a-32-byte-cqe.json
 * Build: gcc -O1 -I <the directory of ringspec-reproducer.h> -o repro repro.c -lpthread    Run: ./repro
 * Prints the ring's counters after each step, as ringspec's trace does. */
#include "ringspec-reproducer.h"

int main(void) {
    if (pipe(pipe_fds) != 0) { perror("pipe"); return 2; }
    /* setup(entries 1, flags CQSIZE|SINGLE_ISSUER|DEFER_TASKRUN|CQE_MIXED, cq 4) */
    res = step_setup(1, 0x43008u, 4);
    print_state(0);
    /* writeSqe(slot 0: NOP, ud 1) */
    res = step_write_sqe(0, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x1ull, 0, 0);
    print_state(1);
    /* publishTail(+1) */
    res = step_publish_tail(1);
    print_state(2);
    /* enter(to_submit 1, min_complete 0, flags 0) */
    res = step_enter(1, 0, 0x0u);
    print_state(3);
    /* consumeCqes(1) */
    res = step_consume_cqes(1, 0);
    print_state(4);
    /* writeSqe(slot 0: NOP, nop_flags CQE32, off 0x1111, addr 0x2222, ud 2) */
    res = step_write_sqe(0, 0, 0x0u, 0, 0, 0x1111ull, 0x2222ull, 0, 0x20u, 0x2ull, 0, 0);
    print_state(5);
    /* publishTail(+1) */
    res = step_publish_tail(1);
    print_state(6);
    /* enter(to_submit 1, min_complete 0, flags 0) */
    res = step_enter(1, 0, 0x0u);
    print_state(7);
    /* resize(sq 1, cq 2, flags CQSIZE) */
    res = step_resize(1, 2, 0x8u);
    print_state(8);
    print_pending_sqes();
    print_cqes();
    return 0;
}
