/* ringspec lockstep reproducers' outside world, for runs with real I/O: what ringspec's OutsideWorld makes for a
 * side (a pipe, a socketpair, a loopback TCP listener with a client socket and a peer that connects, a scratch
 * directory with a 4096-byte data file, an eventfd, and the memory requests point into) and the two world step
 * kinds: step_outside (the world acting, or the application registering the eventfd) and step_write_io (an SQE
 * whose operands are the world's). Included after ringspec-reproducer.h. The world's ends (the pipe's write end,
 * the socketpair's second socket, the TCP peer) are non-blocking; the ends requests use block. A world step never
 * blocks: it reads and writes a pipe or socket with RWF_NOWAIT, and a connect gives up after 1 s (SO_SNDTIMEO). */
#ifndef RINGSPEC_WORLD_H
#define RINGSPEC_WORLD_H
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

/* What a step's target names, as OutsideWorld numbers them. */
enum { W_PIPE_READ, W_PIPE_WRITE, W_SOCKET, W_SOCKET_PEER, W_FILE, W_LISTENER, W_TCP_CLIENT, W_TCP_PEER, W_DIRECTORY,
    W_EVENTFD, W_TARGETS };
enum { W_WRITE, W_READ, W_CLOSE, W_SHUTDOWN_WRITE, W_CONNECT, W_ADVANCE_CLOCK, W_TRUNCATE, W_CREATE,
    W_REGISTER_EVENTFD, W_UNREGISTER_EVENTFD };
#define W_BUFFERS 4
#define W_BUFFER_BYTES 4096
#define W_PROVIDED 16
#define W_PROVIDED_BYTES 256

static int world_fds[W_TARGETS];
static int world_made, world_eventfd_registered;
static char world_dir[64];
static const char *const world_paths[] = {"data", "f0", "f1", "absent/x"};
static unsigned char world_buffers[W_BUFFERS * W_BUFFER_BYTES] __attribute__((aligned(4096)));
static unsigned char world_provided[W_PROVIDED * W_PROVIDED_BYTES] __attribute__((aligned(64)));
static uint64_t world_iovecs[W_BUFFERS * 4];
static const int64_t world_timespecs[] = {0, 5000000, 1000, 0};
static struct sockaddr_in world_listener_addr;
static unsigned char world_statx[256] __attribute__((aligned(8)));
static unsigned char world_scratch[W_BUFFER_BYTES] __attribute__((aligned(64)));

static int floor_mod(int x, int m) { int r = x % m; return r < 0 ? r + m : r; }
static int clamp_int(int x, int lo, int hi) { return x < lo ? lo : x > hi ? hi : x; }

/* The bytes a world step writes: 'a' + (i + seed) % 26, as OutsideWorld.pattern. */
static void world_pattern(unsigned char *b, int n, int seed) {
    for (int i = 0; i < n; i++) b[i] = (unsigned char) ('a' + (i + seed) % 26);
}

static void world_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void world_fail(const char *what) { perror(what); exit(2); }

static int world_write_file(const char *name, int size, int seed) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", world_dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) world_fail(path);
    world_pattern(world_scratch, size, seed);
    if (write(fd, world_scratch, (size_t) size) != size) world_fail(path);
    close(fd);
    return 0;
}

static void world_make(void) {
    if (world_made) return;
    world_made = 1;
    for (int i = 0; i < W_TARGETS; i++) world_fds[i] = -1;
    strcpy(world_dir, "/tmp/ringspec-worldXXXXXX");
    if (!mkdtemp(world_dir)) world_fail("mkdtemp");
    world_write_file("data", W_BUFFER_BYTES, 7);
    int pair[2];
    if (pipe2(pair, O_CLOEXEC) != 0) world_fail("pipe2");
    world_fds[W_PIPE_READ] = pair[0];
    world_fds[W_PIPE_WRITE] = pair[1];
    world_nonblocking(pair[1]);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) world_fail("socketpair");
    world_fds[W_SOCKET] = pair[0];
    world_fds[W_SOCKET_PEER] = pair[1];
    world_nonblocking(pair[1]);
    char path[128];
    snprintf(path, sizeof path, "%s/data", world_dir);
    world_fds[W_FILE] = open(path, O_RDWR | O_CLOEXEC);
    world_fds[W_DIRECTORY] = open(world_dir, O_RDONLY | O_CLOEXEC);
    world_fds[W_LISTENER] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    world_listener_addr.sin_family = AF_INET;
    world_listener_addr.sin_addr.s_addr = htonl(0x7f000001);
    socklen_t len = sizeof world_listener_addr;
    if (bind(world_fds[W_LISTENER], (struct sockaddr *) &world_listener_addr, len) != 0
            || listen(world_fds[W_LISTENER], 64) != 0
            || getsockname(world_fds[W_LISTENER], (struct sockaddr *) &world_listener_addr, &len) != 0) {
        world_fail("the listener");
    }
    world_fds[W_TCP_CLIENT] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    world_fds[W_EVENTFD] = (int) syscall(SYS_eventfd2, 0, O_CLOEXEC);
    if (world_fds[W_EVENTFD] < 0) world_fail("eventfd2");
}

static int world_fd(int target) { return target >= 0 && target < W_TARGETS ? world_fds[target] : -1; }

/* A new TCP peer connected to the listener (the previous one closed), connecting blocking, then non-blocking. */
static int world_connect_peer(void) {
    if (world_fds[W_TCP_PEER] >= 0) close(world_fds[W_TCP_PEER]);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    world_fds[W_TCP_PEER] = fd;
    struct timeval bound = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
    int r = sys_result(connect(fd, (struct sockaddr *) &world_listener_addr, sizeof world_listener_addr));
    while (r == -EINTR) { /* with a bound, a signal ends the wait: the same connection is waited for again */
        r = sys_result(connect(fd, (struct sockaddr *) &world_listener_addr, sizeof world_listener_addr));
        if (r == -EISCONN) r = 0;
    }
    world_nonblocking(fd);
    return r;
}

/* The application reading the eventfd: its count, or -EAGAIN where it is 0 (never blocking); -EBADF once closed. */
static int world_take_eventfd_count(void) {
    int fd = world_fds[W_EVENTFD];
    if (fd < 0) return -EBADF;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 0) == 0) return -EAGAIN;
    uint64_t count;
    if (read(fd, &count, 8) < 0) return -errno;
    return count > 0x7fffffff ? 0x7fffffff : (int) count;
}

/* The clock advancing: a sleep, then, with an eventfd registered, two RCU grace periods
 * (membarrier(MEMBARRIER_CMD_GLOBAL) is synchronize_rcu()), in which a deferred eventfd signal lands. */
static void world_advance_clock(int millis) {
    struct timespec t = {0, (long) clamp_int(millis, 0, 999) * 1000000L};
    nanosleep(&t, NULL);
    for (int i = 0; world_eventfd_registered && i < 2; i++) {
        if (syscall(SYS_membarrier, 1, 0, 0) != 0) { t.tv_nsec = 50000000L; nanosleep(&t, NULL); break; }
    }
}

/* n bytes of the scratch read or written on target: a file or directory plainly, a pipe or socket end with RWF_NOWAIT
 * at the current position (-EAGAIN where it would block). */
static int world_transfer(int target, int n, int reading) {
    int fd = world_fd(target);
    if (target == W_FILE || target == W_DIRECTORY)
        return sys_result(reading ? read(fd, world_scratch, (size_t) n) : write(fd, world_scratch, (size_t) n));
    struct iovec v = {world_scratch, (size_t) n};
    return sys_result(reading ? preadv2(fd, &v, 1, -1, RWF_NOWAIT) : pwritev2(fd, &v, 1, -1, RWF_NOWAIT));
}

static int step_outside(int action, int target, int amount) {
    world_make();
    int fd = world_fd(target);
    switch (action) {
    case W_WRITE: {
        if (target == W_EVENTFD) {
            uint64_t n = (uint64_t) (amount > 1 ? amount : 1);
            return write(fd, &n, 8) < 0 ? -errno : 0;
        }
        int n = clamp_int(amount, 0, W_BUFFER_BYTES);
        world_pattern(world_scratch, n, target * 31 + n);
        return world_transfer(target, n, 0);
    }
    case W_READ:
        return target == W_EVENTFD ? world_take_eventfd_count()
                : world_transfer(target, clamp_int(amount, 0, W_BUFFER_BYTES), 1);
    case W_CLOSE:
        world_fds[floor_mod(target, W_TARGETS)] = -1;
        return fd < 0 ? -EBADF : sys_result(close(fd));
    case W_SHUTDOWN_WRITE: return sys_result(shutdown(fd, SHUT_WR));
    case W_CONNECT: return world_connect_peer();
    case W_ADVANCE_CLOCK: world_advance_clock(amount); return 0;
    case W_TRUNCATE: return sys_result(ftruncate(world_fds[W_FILE], amount > 0 ? amount : 0));
    case W_CREATE:
        return world_write_file(world_paths[floor_mod(target, 3)], clamp_int(amount, 0, W_BUFFER_BYTES), target);
    case W_REGISTER_EVENTFD: {
        if (ring_fd < 0) return -EBADF;
        int arg = world_fds[W_EVENTFD];
        int r = do_register(amount == 1 ? IORING_REGISTER_EVENTFD_ASYNC : IORING_REGISTER_EVENTFD, &arg, 1);
        world_eventfd_registered |= r == 0;
        return r;
    }
    case W_UNREGISTER_EVENTFD: return ring_fd < 0 ? -EBADF : do_register(IORING_UNREGISTER_EVENTFD, NULL, 0);
    default: return -EINVAL;
    }
}

/* An SQE of a real-I/O opcode at slot's index, its operands resolved in this world, as OutsideWorld.writeSqe. */
static int step_write_io(uint32_t slot, int opcode, int flags, int ioprio, int target, uint64_t off, int len,
        uint32_t op_flags, int buf, int buf_index, int file_index, uint64_t user_data) {
    if (ring_fd < 0) return -EBADF;
    world_make();
    int fd = (flags & IOSQE_FIXED_FILE) ? target : world_fd(target);
    uint64_t addr = 0;
    unsigned char *buffer = world_buffers + (size_t) floor_mod(buf, W_BUFFERS) * W_BUFFER_BYTES;
    switch (opcode) {
    case IORING_OP_READ: case IORING_OP_WRITE: case IORING_OP_SEND: case IORING_OP_RECV:
        addr = (flags & IOSQE_BUFFER_SELECT) ? 0 : (uint64_t) (uintptr_t) buffer;
        break;
    case IORING_OP_READV: case IORING_OP_WRITEV: {
        int n = clamp_int(len, 0, W_BUFFER_BYTES);
        uint64_t *v = world_iovecs + floor_mod(buf, W_BUFFERS) * 4;
        v[0] = (uint64_t) (uintptr_t) buffer; v[1] = (uint64_t) (n / 2);
        v[2] = (uint64_t) (uintptr_t) (buffer + n / 2); v[3] = (uint64_t) (n - n / 2);
        addr = (uint64_t) (uintptr_t) v;
        len = 2;
        break;
    }
    case IORING_OP_READ_FIXED: case IORING_OP_WRITE_FIXED:
        addr = (uint64_t) (uintptr_t) (buffers + (size_t) floor_mod(buf, 16) * 4096);
        break;
    case IORING_OP_TIMEOUT: case IORING_OP_LINK_TIMEOUT:
        addr = (uint64_t) (uintptr_t) (world_timespecs + floor_mod(buf, 2) * 2);
        len = 1;
        break;
    case IORING_OP_POLL_REMOVE: case IORING_OP_TIMEOUT_REMOVE: case IORING_OP_ASYNC_CANCEL:
        addr = off;
        off = 0;
        break;
    case IORING_OP_CONNECT:
        addr = (uint64_t) (uintptr_t) &world_listener_addr;
        off = 16;
        break;
    case IORING_OP_OPENAT: addr = (uint64_t) (uintptr_t) world_paths[floor_mod(buf, 4)]; break;
    case IORING_OP_STATX:
        addr = (uint64_t) (uintptr_t) world_paths[floor_mod(buf, 4)];
        off = (uint64_t) (uintptr_t) world_statx;
        break;
    case IORING_OP_SPLICE: /* buf names the input; off is the file end's offset, -1 none */
        addr = buf == W_FILE ? off : (uint64_t) -1;
        off = target == W_FILE ? off : (uint64_t) -1;
        break;
    case IORING_OP_MSG_RING: fd = ring_fd; break;
    case IORING_OP_CLOSE: fd = file_index != 0 ? 0 : fd; break;
    case IORING_OP_PROVIDE_BUFFERS:
        addr = (uint64_t) (uintptr_t) (world_provided + (size_t) floor_mod(buf, W_PROVIDED) * W_PROVIDED_BYTES);
        fd = clamp_int(target, 0, W_PROVIDED);
        off = (uint64_t) floor_mod(buf, W_PROVIDED);
        if (fd + (int) off > W_PROVIDED) fd = W_PROVIDED - (int) off; /* never past the provided area */
        break;
    default: break;
    }
    uint32_t size = (ring_flags & IORING_SETUP_SQE128) ? 128 : 64;
    unsigned char *s = sqes + (size_t) (slot & sq_mask) * size;
    put_sqe(s, size, (uint8_t) opcode, (uint8_t) flags, (uint16_t) ioprio, fd, off, addr, (uint32_t) len, op_flags,
            user_data, (uint16_t) buf_index, 0);
    if (opcode == IORING_OP_SPLICE || opcode == IORING_OP_TEE) file_index = world_fd(buf); /* splice_fd_in */
    memcpy(s + 44, &file_index, 4);
    return 0;
}
#endif
