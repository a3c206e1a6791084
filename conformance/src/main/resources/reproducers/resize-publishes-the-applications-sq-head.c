/* ringspec lockstep reproducer: catalogue entry resize-publishes-the-applications-sq-head, replay resize-publishes-the-applications-sq-head.json
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
    /* moveSqHead(-1) */
    res = step_move_sq_head(-1);
    print_state(2);
    /* resize(sq 1, cq 0, flags 0) */
    res = step_resize(1, 0, 0x0u);
    print_state(3);
    print_pending_sqes();
    print_cqes();
    return 0;
}
