/*
 * Programs that misbehave, one per argument, for HostedFaultTest (natively and under `ringspec host`):
 *   crash      a thread waits in io_uring_enter while the main thread dereferences a null pointer (SIGSEGV)
 *   self-kill  a thread waits in io_uring_enter while the main thread sends the process SIGKILL
 *   hang       waits in io_uring_enter for a CQE that never comes (the caller kills it)
 *   garbage    each of the three calls with pointers to nothing: one line per call, the kernel's answer
 *   listener   looks for the supervisor's seccomp listener among its descriptors, closes every descriptor from 3
 *              up (close_range), then uses a new ring
 *   orphan     forks; the parent exits at once, the child uses the inherited ring 300 ms later and reports
 */
#include "ring.h"
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/uio.h>

static struct ring r;

static void *wait_forever(void *unused) {
    (void) unused;
    ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    return NULL;
}

/* Starts a thread that waits in io_uring_enter, and gives it time to get there. */
static void waiting_thread(void) {
    pthread_t t;
    pthread_create(&t, NULL, wait_forever, NULL);
    usleep(300000);
}

static void answer(const char *call, long ret) {
    printf("%s: %ld (%s)\n", call, ret, ret < 0 ? strerror(errno) : "ok");
}

/* Each call with a pointer to nothing: the kernel's copy_from_user fails (-EFAULT), or a check before it answers. */
static int garbage(void) {
    void *nothing = (void *) 16;
    void *unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    answer("io_uring_setup, params at 16", ring_setup(8, nothing));
    answer("io_uring_setup, params in a PROT_NONE page", ring_setup(8, unmapped));
    answer("io_uring_setup, params at the top of user space", ring_setup(8, (void *) 0x7ffffffff000UL));
    answer("io_uring_enter, EXT_ARG at 16", ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                                                       nothing, sizeof(struct io_uring_getevents_arg)));
    struct io_uring_getevents_arg arg;
    memset(&arg, 0, sizeof arg);
    arg.ts = (uint64_t) (uintptr_t) unmapped;
    answer("io_uring_enter, EXT_ARG with ts in a PROT_NONE page",
           ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg));
    answer("io_uring_enter, sigmask at 16 for a wait that would sleep",
           ring_enter(r.fd, 0, 1, IORING_ENTER_GETEVENTS, nothing, _NSIG / 8));
    answer("io_uring_register FILES, array at 16", ring_register(r.fd, IORING_REGISTER_FILES, nothing, 1));
    answer("io_uring_register BUFFERS, iovecs at 16", ring_register(r.fd, IORING_REGISTER_BUFFERS, nothing, 1));
    struct iovec bad = {.iov_base = unmapped, .iov_len = 4096};
    answer("io_uring_register BUFFERS, a PROT_NONE buffer", ring_register(r.fd, IORING_REGISTER_BUFFERS, &bad, 1));
    answer("io_uring_register PROBE, at 16", ring_register(r.fd, IORING_REGISTER_PROBE, nothing, 4));
    /* the SQ itself: an SQE whose buffer is nothing completes with -EFAULT, the call succeeds */
    unsigned tail = ring_sq_tail(&r);
    struct io_uring_sqe *sqe = ring_sqe(&r, &tail);
    sqe->opcode = IORING_OP_READV;
    sqe->fd = 0;
    sqe->addr = 16;
    sqe->len = 1;
    ring_publish(&r, tail);
    answer("io_uring_enter, a READV whose iovec is at 16", ring_enter(r.fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0));
    printf("its CQE: %d\n", ring_cq_ready(&r) == 1 ? ring_cq_first_res(&r) : 9999);
    ring_cq_drain(&r);
    return 0;
}

static int listener(void) {
    int seen = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[300], target[300];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n > 0) {
            target[n] = 0;
            seen += strstr(target, "seccomp") != NULL;
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    printf("seccomp listeners among my descriptors: %d\n", seen);
    ring_close(&r);
    syscall(__NR_close_range, 3, ~0U, 0);
    if (ring_open(&r, 4) != 0) {
        return 1;
    }
    unsigned tail = ring_sq_tail(&r);
    ring_sqe(&r, &tail)->opcode = IORING_OP_NOP;
    ring_publish(&r, tail);
    answer("a NOP after closing every descriptor from 3 up", ring_enter(r.fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0));
    return 0;
}

static int orphan(void) {
    pid_t child = fork();
    if (child < 0) {
        return 1;
    }
    if (child > 0) {
        printf("parent: exiting first\n");
        return 0;
    }
    usleep(300000);
    unsigned tail = ring_sq_tail(&r);
    ring_sqe(&r, &tail)->opcode = IORING_OP_NOP;
    ring_publish(&r, tail);
    long ret = ring_enter(r.fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    printf("child: a NOP on the inherited ring after the parent's exit: %ld, CQE res %d\n", ret,
           ring_cq_first_res(&r));
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 2 || ring_open(&r, 4) != 0) {
        return 2;
    }
    const char *mode = argv[1];
    if (strcmp(mode, "crash") == 0) {
        waiting_thread();
        volatile int *null = NULL;
        return *null;
    }
    if (strcmp(mode, "self-kill") == 0) {
        waiting_thread();
        kill(getpid(), SIGKILL);
        return 3;
    }
    if (strcmp(mode, "hang") == 0) {
        printf("hanging\n");
        wait_forever(NULL);
        return 4;
    }
    if (strcmp(mode, "garbage") == 0) {
        return garbage();
    }
    if (strcmp(mode, "listener") == 0) {
        return listener();
    }
    if (strcmp(mode, "orphan") == 0) {
        return orphan();
    }
    return 2;
}
