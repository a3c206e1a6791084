/*
 * AF_UNIX pathname addresses are looked up from the program's own root and working directory (HostedResourcesTest):
 * SENDMSG and CONNECT to a relative path after chdir, and after chroot (in a forked child) to the path inside the
 * new root and, with -ENOENT, to the old absolute one (CVE-2020-29373: io-wq looked it up in the wrong root). Prints
 * one line per case; the output is the same natively and hosted. Needs CAP_SYS_CHROOT for the chroot cases (it
 * says so and prints them as skipped otherwise, natively and hosted alike).
 */
#include "ring.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static struct ring r;
static unsigned tail;

static int one(int opcode, int fd, void *addr, unsigned long off, unsigned flags) {
    struct io_uring_sqe *sqe = ring_sqe(&r, &tail);
    sqe->opcode = opcode;
    sqe->fd = fd;
    sqe->addr = (unsigned long) addr;
    sqe->off = off;
    sqe->flags = flags;
    ring_publish(&r, tail);
    alarm(10);
    long got = ring_enter(r.fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    alarm(0);
    if (got != 1) {
        printf("enter %ld (%d)\n", got, errno);
        exit(1);
    }
    int res = ring_cq_first_res(&r);
    ring_cq_drain(&r);
    return res;
}

static int sendmsg_to(const char *path, unsigned flags) {
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un to = {.sun_family = AF_UNIX};
    strcpy(to.sun_path, path);
    char data[16] = "datagram";
    struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
    struct msghdr msg = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1};
    int res = one(IORING_OP_SENDMSG, s, &msg, 0, flags);
    close(s);
    return res;
}

static int connect_to(const char *path) {
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un to = {.sun_family = AF_UNIX};
    strcpy(to.sun_path, path);
    int res = one(IORING_OP_CONNECT, s, &to, sizeof to, 0);
    close(s);
    return res;
}

int main(void) {
    char dir[] = "/tmp/ringspec-unix.XXXXXX";
    if (!mkdtemp(dir) || ring_open(&r, 8)) {
        perror("setup");
        return 1;
    }
    char path[128];
    snprintf(path, sizeof path, "%s/sock", dir);
    int receiver = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un at = {.sun_family = AF_UNIX};
    strcpy(at.sun_path, path);
    if (bind(receiver, (struct sockaddr *) &at, sizeof at)) {
        perror("bind");
        return 1;
    }
    printf("sendmsg to the absolute path: %d\n", sendmsg_to(path, 0));
    if (chdir(dir)) {
        perror("chdir");
        return 1;
    }
    printf("sendmsg to sock after chdir: %d\n", sendmsg_to("sock", 0));
    printf("sendmsg to sock after chdir, IOSQE_ASYNC: %d\n", sendmsg_to("sock", IOSQE_ASYNC));
    printf("connect to sock after chdir: %d\n", connect_to("sock"));
    printf("sendmsg to nothing after chdir: %d\n", sendmsg_to("nothing", 0));
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        if (chroot(dir)) {
            printf("chroot: %s, chroot cases skipped\n", strerror(errno));
            return 0;
        }
        printf("in the new root, sendmsg to /sock: %d\n", sendmsg_to("/sock", 0));
        printf("in the new root, sendmsg to the old path, IOSQE_ASYNC: %d\n", sendmsg_to(path, IOSQE_ASYNC));
        printf("in the new root, connect to the old path: %d\n", connect_to(path));
        return 0;
    }
    int status;
    waitpid(child, &status, 0);
    close(receiver);
    unlink(path);
    rmdir(dir);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
