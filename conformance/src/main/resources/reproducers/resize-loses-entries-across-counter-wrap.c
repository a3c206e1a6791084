/* ringspec lockstep reproducer: catalogue entry resize-loses-entries-across-counter-wrap, replay resize-loses-cqes-across-counter-wrap.json
 * Build: gcc -O1 -I <the directory of ringspec-reproducer.h> -o repro repro.c -lpthread    Run: ./repro
 * Prints the ring's counters after each step, as ringspec's trace does. */
#include "ringspec-reproducer.h"

int main(void) {
    if (pipe(pipe_fds) != 0) { perror("pipe"); return 2; }
    /* setup(entries 1, flags SINGLE_ISSUER|DEFER_TASKRUN, cq 0) */
    res = step_setup(1, 0x3000u, 0);
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
    /* moveCqHead(-1) */
    res = step_move_cq_head(-1);
    print_state(4);
    /* resize(sq 1, cq 0, flags 0) */
    res = step_resize(1, 0, 0x0u);
    print_state(5);
    print_pending_sqes();
    print_cqes();
    return 0;
}
