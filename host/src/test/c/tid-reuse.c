/*
 * A thread number given again is a new thread. Child A's thread T makes a call (io_uring_setup) and exits; the parent
 * then has the kernel give T's number to a new process, child B (by writing T's number - 1 to
 * /proc/sys/kernel/ns_last_pid before its fork: root only, and another process may take the number first, so a few
 * tries). B sets up a ring and reads 1 MiB with IOSQE_ASYNC into a buffer that lies at the same address in A. B must
 * find the bytes in its own buffer and A none in its own. Prints "no reuse" and exits 0 where the number could not
 * be given again; else both results.
 */
#include "ring.h"
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>

#define BYTES (1u << 20)

static char buf[BYTES];

static size_t differing(char value) {
    size_t n = 0;
    for (size_t i = 0; i < BYTES; i++) {
        n += buf[i] != value;
    }
    return n;
}

static void *one_setup(void *out) {
    struct ring r;
    if (ring_open(&r, 4) == 0) {
        ring_close(&r);
    }
    *(pid_t *) out = gettid();
    return NULL;
}

/* B: a READ of the memfd into buf through io-wq; prints what its buffer holds. */
static int reader(int fd) {
    struct ring r;
    if (ring_open(&r, 4) < 0) {
        return 1;
    }
    int res = ring_read_async(&r, fd, buf, BYTES);
    if (res == 1) {
        return 1;
    }
    printf("B: READ answered %d; bytes of its buffer not as read: %zu\n", res, differing('b'));
    fflush(stdout);
    return 0;
}

int main(void) {
    int fd = memfd_create("tid-reuse", 0);
    int up[2], down[2];
    static char block[BYTES];
    memset(block, 'b', sizeof block);
    if (fd < 0 || pwrite(fd, block, BYTES, 0) != BYTES || pipe(up) < 0 || pipe(down) < 0) {
        perror("setup");
        return 1;
    }
    pid_t a = fork();
    if (a == 0) {
        pthread_t t;
        pid_t tid = 0;
        char byte;
        pthread_create(&t, NULL, one_setup, &tid);
        pthread_join(t, NULL);
        if (write(up[1], &tid, sizeof tid) != sizeof tid || read(down[0], &byte, 1) != 1) {
            return 1;
        }
        printf("A: bytes of its buffer not zero: %zu\n", differing(0));
        return 0;
    }
    pid_t tid;
    if (a < 0 || read(up[0], &tid, sizeof tid) != sizeof tid) {
        return 1;
    }
    usleep(100 * 1000); /* the supervisor sees T's exit */
    pid_t b = -1;
    int status;
    for (int tries = 0; tries < 20 && b != tid; tries++) {
        FILE *last = fopen("/proc/sys/kernel/ns_last_pid", "w");
        if (last == NULL) {
            break;
        }
        fprintf(last, "%d", tid - 1);
        if (fclose(last) != 0) {
            break;
        }
        b = fork();
        if (b == 0) {
            if (getpid() != tid) {
                return 0;
            }
            return reader(fd);
        }
        if (b < 0 || waitpid(b, &status, 0) != b) {
            return 1;
        }
    }
    if (b != tid) {
        printf("no reuse\n");
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("B failed\n");
    }
    fflush(stdout);
    if (write(down[1], "d", 1) != 1 || waitpid(a, &status, 0) != a) {
        return 1;
    }
    return 0;
}
