/* ringspec lockstep reproducer: catalogue entry eventfd-deferred-signal-lost-after-the-first, replay world/eventfd-deferred-signal-lost-after-the-first.json
 * Build: gcc -O1 -I <the directory of ringspec-reproducer.h> -o repro repro.c -lpthread    Run: ./repro
 * Prints the ring's counters after each step, as ringspec's trace does. */
#include "ringspec-reproducer.h"
#include "ringspec-world.h"

int main(void) {
    if (pipe(pipe_fds) != 0) { perror("pipe"); return 2; }
    /* setup(entries 4, flags SINGLE_ISSUER|DEFER_TASKRUN, cq 0) */
    res = step_setup(4, 0x3000u, 0);
    print_state(0);
    /* outside.registerEventfd(eventfd, 0) */
    res = step_outside(8, 9, 0);
    print_state(1);
    /* writeIo(slot 0: POLL_ADD, eventfd, op_flags 0x1, buf 0, ud 1) */
    res = step_write_io(0, 6, 0x0u, 0, 9, 0x0ull, 0, 0x1u, 0, 0, 0, 0x1ull);
    print_state(2);
    /* writeArray(position 0 = 0) */
    res = step_write_array(0, 0);
    print_state(3);
    /* publishTail(+1) */
    res = step_publish_tail(1);
    print_state(4);
    /* enter(to_submit 1, min_complete 0, flags 0) */
    res = step_enter(1, 0, 0x0u);
    print_state(5);
    /* writeIo(slot 1: NOP, -1, buf 0, ud 2) */
    res = step_write_io(1, 0, 0x0u, 0, -1, 0x0ull, 0, 0x0u, 0, 0, 0, 0x2ull);
    print_state(6);
    /* writeArray(position 1 = 1) */
    res = step_write_array(1, 1);
    print_state(7);
    /* publishTail(+1) */
    res = step_publish_tail(1);
    print_state(8);
    /* enter(to_submit 1, min_complete 0, flags 0) */
    res = step_enter(1, 0, 0x0u);
    print_state(9);
    /* outside.advanceClock(pipe.r, 20) */
    res = step_outside(5, 0, 20);
    print_state(10);
    /* enter(to_submit 0, min_complete 0, flags GETEVENTS) */
    res = step_enter(0, 0, 0x1u);
    print_state(11);
    /* outside.read(eventfd, 8) */
    res = step_outside(1, 9, 8);
    print_state(12);
    /* writeIo(slot 2: POLL_ADD, eventfd, op_flags 0x1, buf 0, ud 3) */
    res = step_write_io(2, 6, 0x0u, 0, 9, 0x0ull, 0, 0x1u, 0, 0, 0, 0x3ull);
    print_state(13);
    /* writeArray(position 2 = 2) */
    res = step_write_array(2, 2);
    print_state(14);
    /* publishTail(+1) */
    res = step_publish_tail(1);
    print_state(15);
    /* enter(to_submit 1, min_complete 0, flags 0) */
    res = step_enter(1, 0, 0x0u);
    print_state(16);
    /* writeIo(slot 3: NOP, -1, buf 0, ud 4) */
    res = step_write_io(3, 0, 0x0u, 0, -1, 0x0ull, 0, 0x0u, 0, 0, 0, 0x4ull);
    print_state(17);
    /* writeArray(position 3 = 3) */
    res = step_write_array(3, 3);
    print_state(18);
    /* publishTail(+1) */
    res = step_publish_tail(1);
    print_state(19);
    /* enter(to_submit 1, min_complete 0, flags 0) */
    res = step_enter(1, 0, 0x0u);
    print_state(20);
    /* outside.advanceClock(pipe.r, 20) */
    res = step_outside(5, 0, 20);
    print_state(21);
    /* enter(to_submit 0, min_complete 0, flags GETEVENTS) */
    res = step_enter(0, 0, 0x1u);
    print_state(22);
    /* outside.read(eventfd, 8) */
    res = step_outside(1, 9, 8);
    print_state(23);
    print_pending_sqes();
    print_cqes();
    return 0;
}
