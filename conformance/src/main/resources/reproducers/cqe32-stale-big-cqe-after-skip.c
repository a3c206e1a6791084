/* ringspec lockstep reproducer: catalogue entry cqe32-stale-big-cqe-after-skip, replay cqe32-stale-big-cqe-after-skip.json
 * Build: gcc -O1 -I <the directory of ringspec-reproducer.h> -o repro repro.c -lpthread    Run: ./repro
 * Prints the ring's counters after each step, as ringspec's trace does. */
#include "ringspec-reproducer.h"

int main(void) {
    if (pipe(pipe_fds) != 0) { perror("pipe"); return 2; }
    /* setup(entries 2, flags CQE32, cq 0) */
    res = step_setup(2, 0x800u, 0);
    print_state(0);
    /* publishTail(+1) */
    res = step_publish_tail(1);
    print_state(1);
    /* writeSqe(slot 0: NOP, flags CQE_SKIP_SUCCESS, nop_flags CQE32, off 0x1111, addr 0x2222, ud 1) */
    res = step_write_sqe(0, 0, 0x40u, 0, 0, 0x1111ull, 0x2222ull, 0, 0x20u, 0x1ull, 0, 0);
    print_state(2);
    /* writeArray(position 0 = 1) */
    res = step_write_array(0, 1);
    print_state(3);
    /* publishTail(+1) */
    res = step_publish_tail(1);
    print_state(4);
    /* enter(to_submit 2, min_complete 0, flags 0) */
    res = step_enter(2, 0, 0x0u);
    print_state(5);
    /* publishTail(+1) */
    res = step_publish_tail(1);
    print_state(6);
    /* enter(to_submit 1, min_complete 0, flags 0) */
    res = step_enter(1, 0, 0x0u);
    print_state(7);
    print_pending_sqes();
    print_cqes();
    return 0;
}
