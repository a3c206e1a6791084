/* ringspec lockstep reproducer: catalogue entry cqe-stale-cache-jumps-overflow-list, replay cqe-mixed-stale-cache-after-skip.json
 * Build: gcc -O1 -I <the directory of ringspec-reproducer.h> -o repro repro.c -lpthread    Run: ./repro
 * Prints the ring's counters after each step, as ringspec's trace does. */
#include "ringspec-reproducer.h"

int main(void) {
    if (pipe(pipe_fds) != 0) { perror("pipe"); return 2; }
    /* setup(entries 8, flags CQSIZE|CQE_MIXED, cq 8) */
    res = step_setup(8, 0x40008u, 8);
    print_state(0);
    /* writeSqe(slot 0: NOP, ud 1) */
    res = step_write_sqe(0, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x1ull, 0, 0);
    print_state(1);
    /* writeArray(position 0 = 0) */
    res = step_write_array(0, 0);
    print_state(2);
    /* writeSqe(slot 1: NOP, ud 2) */
    res = step_write_sqe(1, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x2ull, 0, 0);
    print_state(3);
    /* writeArray(position 1 = 1) */
    res = step_write_array(1, 1);
    print_state(4);
    /* writeSqe(slot 2: NOP, ud 3) */
    res = step_write_sqe(2, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x3ull, 0, 0);
    print_state(5);
    /* writeArray(position 2 = 2) */
    res = step_write_array(2, 2);
    print_state(6);
    /* writeSqe(slot 3: NOP, ud 4) */
    res = step_write_sqe(3, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x4ull, 0, 0);
    print_state(7);
    /* writeArray(position 3 = 3) */
    res = step_write_array(3, 3);
    print_state(8);
    /* writeSqe(slot 4: NOP, ud 5) */
    res = step_write_sqe(4, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x5ull, 0, 0);
    print_state(9);
    /* writeArray(position 4 = 4) */
    res = step_write_array(4, 4);
    print_state(10);
    /* writeSqe(slot 5: NOP, ud 6) */
    res = step_write_sqe(5, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x6ull, 0, 0);
    print_state(11);
    /* writeArray(position 5 = 5) */
    res = step_write_array(5, 5);
    print_state(12);
    /* writeSqe(slot 6: NOP, ud 7) */
    res = step_write_sqe(6, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x7ull, 0, 0);
    print_state(13);
    /* writeArray(position 6 = 6) */
    res = step_write_array(6, 6);
    print_state(14);
    /* publishTail(+7) */
    res = step_publish_tail(7);
    print_state(15);
    /* enter(to_submit 7, min_complete 0, flags 0) */
    res = step_enter(7, 0, 0x0u);
    print_state(16);
    /* writeSqe(slot 7: NOP, nop_flags CQE32, off 0xc0ffee, addr 0x0, ud 34) */
    res = step_write_sqe(7, 0, 0x0u, 0, 0, 0xc0ffeeull, 0x0ull, 0, 0x20u, 0x22ull, 0, 0);
    print_state(17);
    /* writeArray(position 7 = 7) */
    res = step_write_array(7, 7);
    print_state(18);
    /* writeSqe(slot 0: NOP, ud 40) */
    res = step_write_sqe(0, 0, 0x0u, 0, 0, 0x0ull, 0x0ull, 0, 0x0u, 0x28ull, 0, 0);
    print_state(19);
    /* writeArray(position 8 = 0) */
    res = step_write_array(8, 0);
    print_state(20);
    /* publishTail(+2) */
    res = step_publish_tail(2);
    print_state(21);
    /* enter(to_submit 2, min_complete 0, flags 0) */
    res = step_enter(2, 0, 0x0u);
    print_state(22);
    print_pending_sqes();
    print_cqes();
    return 0;
}
