/*
 * A program with its own io_uring code, raw syscalls only, for the network opcodes and an eventfd: over a socketpair
 * it SENDs and RECVs, SENDMSGs two iovecs with a descriptor in SCM_RIGHTS and RECVMSGs them into two others, SHUTDOWNs
 * the writing end and RECVs the end of stream; an eventfd registered with IORING_REGISTER_EVENTFD counts the
 * completions. Every CQE, byte and length is checked; any difference from what the kernel answers exits 1 with the
 * reason on stderr. Run natively and under `ringspec host` by HostedProgramTest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static struct io_uring_params p;
static unsigned *sq_tail, *sq_array, *cq_head, *cq_tail;
static struct io_uring_sqe *sqes;
static struct io_uring_cqe *cqes;
static int ring;

static int fail(const char *what, long got) {
    fprintf(stderr, "net-and-eventfd: %s (got %ld)\n", what, got);
    return 1;
}

static struct io_uring_sqe *next_sqe(unsigned *tail, int opcode, int fd, uint64_t user_data) {
    struct io_uring_sqe *sqe = &sqes[*tail & (p.sq_entries - 1)];
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = opcode;
    sqe->fd = fd;
    sqe->user_data = user_data;
    sq_array[*tail & (p.sq_entries - 1)] = *tail & (p.sq_entries - 1);
    (*tail)++;
    return sqe;
}

/* Submits what was queued up to tail, waits for n CQEs, and checks each user_data's result against want[]. */
static int run(unsigned tail, unsigned n, const int *want) {
    __atomic_store_n(sq_tail, tail, __ATOMIC_RELEASE);
    long r = syscall(__NR_io_uring_enter, ring, n, n, IORING_ENTER_GETEVENTS, NULL, 0);
    if (r != n) {
        return fail("io_uring_enter", r);
    }
    unsigned head = __atomic_load_n(cq_head, __ATOMIC_RELAXED);
    unsigned ready = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) - head;
    if (ready != n) {
        return fail("CQEs ready", ready);
    }
    for (unsigned i = 0; i < ready; i++) {
        struct io_uring_cqe *cqe = &cqes[(head + i) & (p.cq_entries - 1)];
        if (cqe->user_data >= n || cqe->res != want[cqe->user_data]) {
            fprintf(stderr, "net-and-eventfd: CQE user_data %llu res %d\n", (unsigned long long) cqe->user_data,
                    cqe->res);
            return 1;
        }
    }
    __atomic_store_n(cq_head, head + ready, __ATOMIC_RELEASE);
    return 0;
}

int main(void) {
    ring = (int) syscall(__NR_io_uring_setup, 8, &p);
    if (ring < 0) {
        return fail("io_uring_setup", ring);
    }
    size_t ring_bytes = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_bytes = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (cq_bytes > ring_bytes) {
        ring_bytes = cq_bytes;
    }
    char *rings = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
            IORING_OFF_SQ_RING);
    sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
    if (rings == MAP_FAILED || sqes == MAP_FAILED) {
        return fail("mmap", -1);
    }
    sq_tail = (unsigned *) (rings + p.sq_off.tail);
    sq_array = (unsigned *) (rings + p.sq_off.array);
    cq_head = (unsigned *) (rings + p.cq_off.head);
    cq_tail = (unsigned *) (rings + p.cq_off.tail);
    cqes = (struct io_uring_cqe *) (rings + p.cq_off.cqes);

    int efd = eventfd(0, EFD_NONBLOCK);
    long r = syscall(__NR_io_uring_register, ring, IORING_REGISTER_EVENTFD, &efd, 1);
    if (efd < 0 || r != 0) {
        return fail("IORING_REGISTER_EVENTFD", r);
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        return fail("socketpair", errno);
    }

    /* SEND then RECV, linked: the bytes reach the program's buffer before the CQE */
    char got[64];
    memset(got, 0, sizeof got);
    unsigned tail = __atomic_load_n(sq_tail, __ATOMIC_RELAXED);
    struct io_uring_sqe *sqe = next_sqe(&tail, IORING_OP_SEND, sv[0], 0);
    sqe->addr = (uint64_t) (uintptr_t) "hello, ring";
    sqe->len = 11;
    sqe->flags = IOSQE_IO_LINK;
    sqe = next_sqe(&tail, IORING_OP_RECV, sv[1], 1);
    sqe->addr = (uint64_t) (uintptr_t) got;
    sqe->len = sizeof got;
    int want_send[] = {11, 11};
    if (run(tail, 2, want_send) != 0) {
        return 1;
    }
    if (memcmp(got, "hello, ring", 12) != 0) {
        return fail("RECV's bytes", got[0]);
    }

    /* SENDMSG of two iovecs with the eventfd in SCM_RIGHTS; RECVMSG into two others with room for it */
    struct iovec out[2] = {{"abc", 3}, {"defgh", 5}};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } sent_control, got_control;
    memset(&sent_control, 0, sizeof sent_control);
    memset(&got_control, 0, sizeof got_control);
    struct msghdr send_msg = {.msg_iov = out, .msg_iovlen = 2, .msg_control = sent_control.buf,
            .msg_controllen = sizeof sent_control.buf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&send_msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &efd, sizeof efd);
    char a[5], b[16];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    struct iovec in[2] = {{a, sizeof a}, {b, sizeof b}};
    struct msghdr recv_msg = {.msg_iov = in, .msg_iovlen = 2, .msg_control = got_control.buf,
            .msg_controllen = sizeof got_control.buf};
    tail = __atomic_load_n(sq_tail, __ATOMIC_RELAXED);
    sqe = next_sqe(&tail, IORING_OP_SENDMSG, sv[0], 0);
    sqe->addr = (uint64_t) (uintptr_t) &send_msg;
    sqe->flags = IOSQE_IO_LINK;
    sqe = next_sqe(&tail, IORING_OP_RECVMSG, sv[1], 1);
    sqe->addr = (uint64_t) (uintptr_t) &recv_msg;
    int want_msg[] = {8, 8};
    if (run(tail, 2, want_msg) != 0) {
        return 1;
    }
    if (memcmp(a, "abcde", 5) != 0 || memcmp(b, "fgh", 4) != 0) {
        return fail("RECVMSG's bytes", a[0]);
    }
    /* the received descriptor: natively a new one in the control data; hosted the control data is cut before it */
    struct cmsghdr *rc = CMSG_FIRSTHDR(&recv_msg);
    if (rc != NULL && rc->cmsg_type == SCM_RIGHTS) {
        int passed;
        memcpy(&passed, CMSG_DATA(rc), sizeof passed);
        close(passed);
        printf("descriptor passed\n");
    } else if ((recv_msg.msg_flags & MSG_CTRUNC) != 0 && recv_msg.msg_controllen == 0) {
        printf("descriptor not passed: MSG_CTRUNC\n");
    } else {
        return fail("RECVMSG's control data", (long) recv_msg.msg_controllen);
    }

    /* SHUTDOWN of the writing direction: a RECV on the other end sees the end of stream */
    tail = __atomic_load_n(sq_tail, __ATOMIC_RELAXED);
    sqe = next_sqe(&tail, IORING_OP_SHUTDOWN, sv[0], 0);
    sqe->len = SHUT_WR;
    sqe->flags = IOSQE_IO_LINK;
    sqe = next_sqe(&tail, IORING_OP_RECV, sv[1], 1);
    sqe->addr = (uint64_t) (uintptr_t) got;
    sqe->len = sizeof got;
    int want_eof[] = {0, 0};
    if (run(tail, 2, want_eof) != 0) {
        return 1;
    }

    /* a RECV into memory the program does not have: -EFAULT, as the kernel's copy to user */
    tail = __atomic_load_n(sq_tail, __ATOMIC_RELAXED);
    if (write(sv[1], "x", 1) != 1) {
        return fail("write", errno);
    }
    sqe = next_sqe(&tail, IORING_OP_RECV, sv[0], 0);
    sqe->addr = 4096;
    sqe->len = 16;
    int want_fault[] = {-EFAULT};
    if (run(tail, 1, want_fault) != 0) {
        return 1;
    }

    uint64_t count = 0;
    if (read(efd, &count, sizeof count) != sizeof count || count == 0) {
        return fail("the eventfd's count", (long) count);
    }
    printf("net-and-eventfd: SEND, RECV, SENDMSG, RECVMSG, SHUTDOWN reaped; the eventfd counted\n");
    return 0;
}
