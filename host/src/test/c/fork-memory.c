/*
 * Each process's requests reach its own memory. A forked child reads 64 MiB from a memfd into a buffer with
 * IOSQE_ASYNC (io-wq: hosted, a worker copies it in pieces), while its parent, whose private copy of the buffer lies at
 * the same address, keeps making calls from new threads (hosted, each a program thread the supervisor has not served
 * yet). The child must find the file's bytes in its buffer, the parent only its own zeros. Prints both; exits 0 when
 * every step worked, whatever it found (natively and hosted outputs are compared).
 */
#include "ring.h"
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>

#define BYTES (64u << 20)
#define FILL 'c'

static struct ring parent_ring;
static int nop_ret;

/* One NOP on the parent's ring from a thread of its own. */
static void *one_nop(void *unused) {
    (void) unused;
    unsigned tail = ring_sq_tail(&parent_ring);
    struct io_uring_sqe *sqe = ring_sqe(&parent_ring, &tail);
    sqe->opcode = IORING_OP_NOP;
    ring_publish(&parent_ring, tail);
    long ret = ring_enter(parent_ring.fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    nop_ret = ret < 0 ? -errno : 0;
    ring_cq_drain(&parent_ring);
    return NULL;
}

/* How many of the buffer's bytes are not value. */
static size_t differing(const char *buf, char value) {
    size_t n = 0;
    for (size_t i = 0; i < BYTES; i++) {
        n += buf[i] != value;
    }
    return n;
}

static int child(int fd, char *buf, int go) {
    struct ring r;
    char byte;
    if (ring_open(&r, 8) < 0 || read(go, &byte, 1) != 1) {
        return 1;
    }
    int res = ring_read_async(&r, fd, buf, BYTES);
    if (res == 1) {
        return 1;
    }
    printf("child: READ of %u bytes answered %d; bytes of its buffer not as read: %zu\n", BYTES, res,
           differing(buf, FILL));
    fflush(stdout);
    return 0;
}

int main(void) {
    char *buf = mmap(NULL, BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd = memfd_create("fork-memory", 0);
    int go[2];
    if (buf == MAP_FAILED || fd < 0 || pipe(go) < 0) {
        perror("setup");
        return 1;
    }
    static char block[1 << 20];
    memset(block, FILL, sizeof block);
    for (unsigned at = 0; at < BYTES; at += sizeof block) {
        if (pwrite(fd, block, sizeof block, at) != (ssize_t) sizeof block) {
            perror("pwrite");
            return 1;
        }
    }
    pid_t pid = fork();
    if (pid == 0) {
        return child(fd, buf, go[0]);
    }
    if (pid < 0 || ring_open(&parent_ring, 8) < 0) {
        return 1;
    }
    int calls = 0, status;
    for (;;) {
        pthread_t t;
        pthread_create(&t, NULL, one_nop, NULL);
        pthread_join(t, NULL);
        if (nop_ret < 0) {
            fprintf(stderr, "parent's NOP: %d\n", nop_ret);
            return 1;
        }
        if (++calls == 3 && write(go[1], "g", 1) != 1) {
            return 1;
        }
        if (calls > 3 && waitpid(pid, &status, WNOHANG) == pid) {
            break;
        }
    }
    printf("child exited %d; parent: bytes of its buffer not zero: %zu\n",
           WIFEXITED(status) ? WEXITSTATUS(status) : -1, differing(buf, 0));
    return 0;
}
