/* ringspec lockstep reproducer: catalogue entry splice-interrupted-cqe-holds-erestartsys, replay world/splice-interrupted-cqe-holds-erestartsys.json
 * Build: gcc -O1 -I <the directory of ringspec-reproducer.h> -o repro repro.c -lpthread    Run: ./repro
 * Prints the ring's counters after each step, as ringspec's trace does. */
#include "ringspec-reproducer.h"
#include "ringspec-world.h"

int main(void) {
    if (pipe(pipe_fds) != 0) { perror("pipe"); return 2; }
    /* setup(entries 4, flags 0, cq 0) */
    res = step_setup(4, 0x0u, 0);
    print_state(0);
    /* writeIo(slot 0: SPLICE, file, len 16, buf 0, ud 1) */
    res = step_write_io(0, 30, 0x0u, 0, 4, 0x0ull, 16, 0x0u, 0, 0, 0, 0x1ull);
    print_state(1);
    /* writeArray(position 0 = 0) */
    res = step_write_array(0, 0);
    print_state(2);
    /* publishTail(+1) */
    res = step_publish_tail(1);
    print_state(3);
    /* enter(to_submit 1, min_complete 0, flags 0) */
    res = step_enter(1, 0, 0x0u);
    print_state(4);
    /* outside.advanceClock(pipe.r, 100) */
    res = step_outside(5, 0, 100);
    print_state(5);
    /* writeIo(slot 1: ASYNC_CANCEL, -1, off 1, buf 0, ud 2) */
    res = step_write_io(1, 14, 0x0u, 0, -1, 0x1ull, 0, 0x0u, 0, 0, 0, 0x2ull);
    print_state(6);
    /* writeArray(position 1 = 1) */
    res = step_write_array(1, 1);
    print_state(7);
    /* publishTail(+1) */
    res = step_publish_tail(1);
    print_state(8);
    /* enter(to_submit 1, min_complete 2, flags GETEVENTS) */
    res = step_enter(1, 2, 0x1u);
    print_state(9);
    print_pending_sqes();
    print_cqes();
    return 0;
}
