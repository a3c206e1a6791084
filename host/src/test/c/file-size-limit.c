/*
 * The program's RLIMIT_FSIZE applies to its requests (HostedResourcesTest): with a 64 KiB limit, a FALLOCATE
 * to 128 KiB gets -EFBIG and one with FALLOC_FL_KEEP_SIZE does not; a WRITE at the limit gets -EFBIG and one that
 * straddles it writes up to it. SIGXFSZ is ignored, as liburing's tests do. The output is the same natively and
 * hosted.
 */
#include "ring.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

static struct ring r;
static unsigned tail;

static int run(int opcode, int fd, void *buf, unsigned len, unsigned long long off, unsigned mode) {
    struct io_uring_sqe *sqe = ring_sqe(&r, &tail);
    sqe->opcode = opcode;
    sqe->fd = fd;
    sqe->addr = (unsigned long) buf;
    sqe->len = len;
    sqe->off = off;
    if (opcode == IORING_OP_FALLOCATE) {
        sqe->addr = len;
        sqe->len = mode;
    }
    ring_publish(&r, tail);
    long got = ring_enter(r.fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    if (got != 1) {
        printf("enter %ld\n", got);
        exit(1);
    }
    int res = ring_cq_first_res(&r);
    ring_cq_drain(&r);
    return res;
}

int main(void) {
    signal(SIGXFSZ, SIG_IGN);
    if (ring_open(&r, 8) < 0) {
        return 1;
    }
    tail = ring_sq_tail(&r);
    struct rlimit limit = {64 * 1024, 64 * 1024};
    if (setrlimit(RLIMIT_FSIZE, &limit) < 0) {
        perror("setrlimit");
        return 1;
    }
    char name[] = "/tmp/ringspec-file-size-limit-XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    unlink(name);
    static char buf[8192];
    memset(buf, 'x', sizeof buf);
    printf("fallocate to 128 KiB: %d\n", run(IORING_OP_FALLOCATE, fd, NULL, 128 * 1024, 0, 0));
    printf("fallocate to 128 KiB, keeping the size: %d\n",
           run(IORING_OP_FALLOCATE, fd, NULL, 128 * 1024, 0, FALLOC_FL_KEEP_SIZE));
    printf("fallocate to 32 KiB: %d\n", run(IORING_OP_FALLOCATE, fd, NULL, 32 * 1024, 0, 0));
    printf("write at 64 KiB: %d\n", run(IORING_OP_WRITE, fd, buf, sizeof buf, 64 * 1024, 0));
    printf("write at 60 KiB: %d\n", run(IORING_OP_WRITE, fd, buf, sizeof buf, 60 * 1024, 0));
    printf("write at 8 KiB: %d\n", run(IORING_OP_WRITE, fd, buf, sizeof buf, 8 * 1024, 0));
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int append = open(path, O_WRONLY | O_APPEND);
    if (append < 0) {
        perror("open O_APPEND");
        return 1;
    }
    printf("append at 64 KiB: %d\n", run(IORING_OP_WRITE, append, buf, sizeof buf, -1ULL, 0));
    return 0;
}
