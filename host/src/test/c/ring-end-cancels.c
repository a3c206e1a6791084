/*
 * A ring's end cancels its requests (io_ring_exit_work: io_uring_try_cancel_requests): a READ armed on an empty pipe,
 * then the ring unmapped and closed; a write into the pipe 50 ms later must not reach the READ's buffer, and the
 * bytes stay in the pipe. Run natively and under `ringspec host` (HostedFaultTest compares the lines). Hosted, the
 * supervisor held the ring for up to 100 ms after the program's last call, and the READ took the bytes.
 */
#include "ring.h"
#include <fcntl.h>
#include <signal.h>
#include <time.h>

static char buf[16];

static void sleep_ms(long ms) {
    struct timespec t = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

int main(void) {
    alarm(30);
    struct ring r;
    int p[2];
    if (ring_open(&r, 4) != 0 || pipe2(p, O_NONBLOCK) != 0) {
        return 1;
    }
    /* the READ waits: the pipe is empty (io_uring arms a poll for a nonblocking pipe) */
    unsigned tail = ring_sq_tail(&r);
    struct io_uring_sqe *sqe = ring_sqe(&r, &tail);
    sqe->opcode = IORING_OP_READ;
    sqe->fd = p[0];
    sqe->addr = (unsigned long) buf;
    sqe->len = 8;
    sqe->user_data = 1;
    ring_publish(&r, tail);
    long submitted = ring_enter(r.fd, 1, 0, 0, NULL, 0);
    printf("submitted: %ld, CQEs: %u\n", submitted, ring_cq_ready(&r));
    ring_close(&r);
    sleep_ms(50);
    if (write(p[1], "late", 4) != 4) {
        perror("write");
        return 1;
    }
    /* a READ that still lived would have taken the bytes by now */
    sleep_ms(200);
    char left[8];
    ssize_t n = read(p[0], left, sizeof left);
    printf("the READ's buffer: %s\n", buf[0] ? "written after the ring's end" : "untouched");
    printf("the pipe holds: %zd bytes\n", n);
    return buf[0] == 0 && n == 4 ? 0 : 1;
}
