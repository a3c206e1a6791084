/*
 * A program that names files and takes descriptors through io_uring, raw syscalls only: in a directory of its own
 * (chdir'd into, so its working directory is not its supervisor's) it creates a file with OPENAT and writes to the
 * descriptor the CQE gives it with write(2), makes a directory with MKDIRAT, STATXes it, renames it with RENAMEAT and
 * removes it with UNLINKAT, opens /proc/self/comm (its own), then accepts two loopback connections with ACCEPT: one while it waits in io_uring_enter,
 * one that arrives while it does not (it enters only 100 ms later). Each descriptor it got must be its own: it
 * writes through them and reads the bytes back. Exits 0 and prints one line; any difference from the kernel's answers
 * exits 1 with the reason on stderr. With the argument "refused" it submits one EPOLL_CTL and exits 0 whatever the
 * answer. Run natively and under `ringspec host` by HostedDescriptorsTest.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static struct io_uring_params p;
static int ring;
static char *rings;
static struct io_uring_sqe *sqes;

static int fail(const char *what, long got) {
    fprintf(stderr, "open-and-accept: %s (got %ld)\n", what, got);
    return 1;
}

static struct io_uring_sqe *next_sqe(void) {
    unsigned *tail = (unsigned *) (rings + p.sq_off.tail);
    unsigned t = *tail;
    struct io_uring_sqe *sqe = &sqes[t & (p.sq_entries - 1)];
    memset(sqe, 0, sizeof *sqe);
    ((unsigned *) (rings + p.sq_off.array))[t & (p.sq_entries - 1)] = t & (p.sq_entries - 1);
    __atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
    return sqe;
}

/* Submits what is queued and waits for `wait` CQEs; the result of the oldest one, or -1000 for none */
static long submit_and_reap(unsigned submit, unsigned wait) {
    long r = syscall(__NR_io_uring_enter, ring, submit, wait, wait ? IORING_ENTER_GETEVENTS : 0, NULL, 0);
    if (r < 0) {
        return -2000 - errno;
    }
    if (!wait) {
        return 0;
    }
    unsigned *head = (unsigned *) (rings + p.cq_off.head);
    unsigned *tail = (unsigned *) (rings + p.cq_off.tail);
    unsigned h = *head;
    if (__atomic_load_n(tail, __ATOMIC_ACQUIRE) == h) {
        return -1000;
    }
    struct io_uring_cqe *cqe = &((struct io_uring_cqe *) (rings + p.cq_off.cqes))[h & (p.cq_entries - 1)];
    long res = cqe->res;
    __atomic_store_n(head, h + 1, __ATOMIC_RELEASE);
    return res;
}

static long path_op(int opcode, int dfd, const char *path, const char *path2, unsigned len, int flags) {
    struct io_uring_sqe *sqe = next_sqe();
    sqe->opcode = opcode;
    sqe->fd = dfd;
    sqe->addr = (uint64_t) (uintptr_t) path;
    sqe->off = (uint64_t) (uintptr_t) path2;
    sqe->len = len;
    sqe->open_flags = flags;
    return submit_and_reap(1, 1);
}

/* Writes through `a` and reads it back through `b`: whether both are the program's own descriptors */
static int round_trip(int a, int b) {
    char buf[8] = {0};
    return write(a, "ping", 4) == 4 && read(b, buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0;
}

static int accept_one(int listener, struct sockaddr_in *addr, int while_waiting) {
    struct sockaddr_in peer;
    socklen_t peer_len = sizeof peer;
    struct io_uring_sqe *sqe = next_sqe();
    sqe->opcode = IORING_OP_ACCEPT;
    sqe->fd = listener;
    sqe->addr = (uint64_t) (uintptr_t) &peer;
    sqe->off = (uint64_t) (uintptr_t) &peer_len;
    sqe->accept_flags = SOCK_CLOEXEC;
    long r = submit_and_reap(1, 0);
    if (r != 0) {
        return fail("ACCEPT's submit", r);
    }
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (client < 0 || connect(client, (struct sockaddr *) addr, sizeof *addr) != 0) {
        return fail("connect", errno);
    }
    if (!while_waiting) {
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    long fd = submit_and_reap(0, 1);
    if (fd < 0) {
        return fail(while_waiting ? "ACCEPT while waiting" : "ACCEPT while running", fd);
    }
    if (peer_len != sizeof peer || peer.sin_family != AF_INET || peer.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) {
        return fail("ACCEPT's peer address", peer_len);
    }
    if ((fcntl((int) fd, F_GETFD) & FD_CLOEXEC) == 0 || !round_trip(client, (int) fd) || !round_trip((int) fd, client)) {
        return fail("the accepted descriptor is not the program's", fd);
    }
    close((int) fd);
    close(client);
    return 0;
}

int main(int argc, char **argv) {
    ring = (int) syscall(__NR_io_uring_setup, 8, &p);
    if (ring < 0) {
        return fail("io_uring_setup", ring);
    }
    rings = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe), PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
    sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
            ring, IORING_OFF_SQES);
    if (rings == MAP_FAILED || sqes == MAP_FAILED) {
        return fail("mmap", -1);
    }
    if (argc > 1 && strcmp(argv[1], "refused") == 0) {
        struct io_uring_sqe *sqe = next_sqe();
        sqe->opcode = IORING_OP_EPOLL_CTL;
        sqe->fd = -1;
        submit_and_reap(1, 1);
        return 0;
    }
    char dir[] = "/tmp/open-and-accept-XXXXXX";
    if (mkdtemp(dir) == NULL || chdir(dir) != 0) {
        return fail("mkdtemp", errno);
    }
    long fd = path_op(IORING_OP_OPENAT, AT_FDCWD, "file", NULL, 0644, O_CREAT | O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return fail("OPENAT in the working directory", fd);
    }
    struct stat st;
    if (write((int) fd, "hello", 5) != 5 || stat("file", &st) != 0 || st.st_size != 5) {
        return fail("the opened descriptor is not the program's", fd);
    }
    long r = path_op(IORING_OP_MKDIRAT, AT_FDCWD, "sub", NULL, 0755, 0);
    if (r != 0) {
        return fail("MKDIRAT", r);
    }
    int dirfd = open(".", O_DIRECTORY | O_RDONLY);
    struct statx stx;
    struct io_uring_sqe *sqe = next_sqe();
    sqe->opcode = IORING_OP_STATX;
    sqe->fd = dirfd;
    sqe->addr = (uint64_t) (uintptr_t) "sub";
    sqe->len = STATX_TYPE;
    sqe->off = (uint64_t) (uintptr_t) &stx;
    r = submit_and_reap(1, 1);
    if (r != 0 || !S_ISDIR(stx.stx_mode)) {
        return fail("STATX from a directory descriptor", r);
    }
    r = path_op(IORING_OP_RENAMEAT, dirfd, "sub", "moved", (unsigned) AT_FDCWD, 0);
    if (r != 0 || stat("moved", &st) != 0) {
        return fail("RENAMEAT", r);
    }
    r = path_op(IORING_OP_UNLINKAT, AT_FDCWD, "moved", NULL, 0, AT_REMOVEDIR);
    if (r != 0 || stat("moved", &st) == 0) {
        return fail("UNLINKAT", r);
    }
    r = path_op(IORING_OP_UNLINKAT, AT_FDCWD, "file", NULL, 0, 0);
    if (r != 0) {
        return fail("UNLINKAT of the file", r);
    }
    close((int) fd);
    close(dirfd);
    /* /proc/self is the program's own */
    char mine[32] = {0}, seen[32] = {0};
    int plain = open("/proc/self/comm", O_RDONLY);
    fd = path_op(IORING_OP_OPENAT, AT_FDCWD, "/proc/self/comm", NULL, 0, O_RDONLY);
    if (plain < 0 || fd < 0 || read(plain, mine, sizeof mine - 1) <= 0 || read((int) fd, seen, sizeof seen - 1) <= 0
            || strcmp(mine, seen) != 0) {
        return fail("OPENAT of /proc/self/comm names another process", fd);
    }
    close(plain);
    close((int) fd);
    if (chdir("/") != 0 || rmdir(dir) != 0) {
        return fail("rmdir", errno);
    }

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (listener < 0 || bind(listener, (struct sockaddr *) &addr, sizeof addr) != 0 || listen(listener, 4) != 0
            || getsockname(listener, (struct sockaddr *) &addr, &len) != 0) {
        return fail("the listener", errno);
    }
    if (accept_one(listener, &addr, 1) != 0 || accept_one(listener, &addr, 0) != 0) {
        return 1;
    }
    printf("open-and-accept: a file opened and written, a directory made, statxed, renamed, removed;"
           " two connections accepted\n");
    return 0;
}
