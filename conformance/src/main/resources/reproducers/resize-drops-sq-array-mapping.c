/* ringspec lockstep reproducer: catalogue entry resize-drops-sq-array-mapping, replay resize-drops-sq-array-mapping.json
 * Build: gcc -O1 -I <the directory of ringspec-reproducer.h> -o repro repro.c -lpthread    Run: ./repro
 * Prints the ring's counters after each step, as ringspec's trace does. */
#include "ringspec-reproducer.h"

int main(void) {
    if (pipe(pipe_fds) != 0) { perror("pipe"); return 2; }
    /* setup(entries 4, flags SINGLE_ISSUER|DEFER_TASKRUN, cq 0) */
    res = step_setup(4, 0x3000u, 0);
    print_state(0);
    /* writeSqe(slot 0: NOP, ud 7) */
    res = step_write_sqe(0, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x7ull, 0, 0);
    print_state(1);
    /* writeSqe(slot 1: NOP, ud 1) */
    res = step_write_sqe(1, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x1ull, 0, 0);
    print_state(2);
    /* writeArray(position 0 = 1) */
    res = step_write_array(0, 1);
    print_state(3);
    /* publishTail(+1) */
    res = step_publish_tail(1);
    print_state(4);
    /* resize(sq 4, cq 8, flags CQSIZE) */
    res = step_resize(4, 8, 0x8u);
    print_state(5);
    print_pending_sqes();
    print_cqes();
    return 0;
}
