/* ringspec lockstep reproducer: catalogue entry drain-stalls-when-the-cq-tail-passes-its-sequence, replay drain-stalls-when-an-sqe-after-it-is-dropped.json
 * Build: gcc -O1 -I <the directory of ringspec-reproducer.h> -o repro repro.c -lpthread    Run: ./repro
 * Prints the ring's counters after each step, as ringspec's trace does. */
#include "ringspec-reproducer.h"

int main(void) {
    if (pipe(pipe_fds) != 0) { perror("pipe"); return 2; }
    /* setup(entries 4, flags 0, cq 0) */
    res = step_setup(4, 0x0u, 0);
    print_state(0);
    /* writeSqe(slot 0: NOP, ud 1) */
    res = step_write_sqe(0, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x1ull, 0, 0);
    print_state(1);
    /* writeSqe(slot 1: NOP, flags IO_DRAIN, ud 2) */
    res = step_write_sqe(1, 0, 0x2u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x2ull, 0, 0);
    print_state(2);
    /* writeSqe(slot 2: NOP, ud 3) */
    res = step_write_sqe(2, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x3ull, 0, 0);
    print_state(3);
    /* writeArray(position 0 = 0) */
    res = step_write_array(0, 0);
    print_state(4);
    /* writeArray(position 1 = 1) */
    res = step_write_array(1, 1);
    print_state(5);
    /* writeArray(position 2 = 99) */
    res = step_write_array(2, 99);
    print_state(6);
    /* publishTail(+3) */
    res = step_publish_tail(3);
    print_state(7);
    /* enter(to_submit 3, min_complete 0, flags 0) */
    res = step_enter(3, 0, 0x0u);
    print_state(8);
    print_pending_sqes();
    print_cqes();
    return 0;
}
