/*
 * ringspec-host-client: `ringspec host` through a host server (`ringspec host --serve SOCKET`, HostServer.java).
 * Usage: ringspec-host-client [HOST OPTIONS] -- PROGRAM [ARGS...], with RINGSPEC_HOST_SERVER=SOCKET in the
 * environment; the ringspec script runs it instead of a JVM when that variable is set.
 *
 * Sends the server, over the Unix socket, one request (ServedClient.java has its layout): its arguments, cwd and
 * environment, and its open descriptors that are not close-on-exec (as an exec of PROGRAM would keep them), the
 * descriptors themselves by SCM_RIGHTS with the first bytes. The server starts PROGRAM with them at the same numbers,
 * so the program's standard streams are this process's own open file descriptions. Then it waits for the answer, the
 * exit status, and exits with it: the program's, or 128 + the signal that killed it, as `ringspec host` exits.
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded (the server sends them to the program). If this process dies, the
 * server sees its connection end and kills the program and its children.
 *
 * Exits 77 (as `ringspec host` where it cannot host) when the server cannot be reached or ends before answering, the
 * reason on stderr.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define UNAVAILABLE 77
#define MAX_FDS 253 /* SCM_MAX_FD */

extern char **environ;
static int server = -1;

static int fail(const char *socket_path, const char *what) {
    fprintf(stderr, "ringspec: host server %s (RINGSPEC_HOST_SERVER): %s: %s\n", socket_path, what, strerror(errno));
    return UNAVAILABLE;
}

/* A signal for the program: 'S' and its number; send is async-signal-safe, and MSG_NOSIGNAL keeps a server gone
 * from killing this process with SIGPIPE. */
static void forward(int signal) {
    int saved = errno;
    char message[2] = {'S', (char) signal};
    (void) send(server, message, sizeof message, MSG_NOSIGNAL);
    errno = saved;
}

/* Appends n bytes to the growing buffer *buf (*len used, *cap allocated); 0, or -1 out of memory. */
static int put(char **buf, size_t *len, size_t *cap, const void *bytes, size_t n) {
    if (*len + n > *cap) {
        size_t want = (*len + n) * 2;
        char *grown = realloc(*buf, want);
        if (grown == NULL) {
            return -1;
        }
        *buf = grown;
        *cap = want;
    }
    memcpy(*buf + *len, bytes, n);
    *len += n;
    return 0;
}

static int put_u32(char **buf, size_t *len, size_t *cap, uint32_t v) {
    return put(buf, len, cap, &v, sizeof v); /* x86-64: little-endian, as the server reads */
}

int main(int argc, char **argv) {
    const char *path = getenv("RINGSPEC_HOST_SERVER");
    if (path == NULL || *path == '\0') {
        fprintf(stderr, "ringspec: ringspec-host-client needs RINGSPEC_HOST_SERVER=SOCKET\n");
        return UNAVAILABLE;
    }
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) {
        errno = ENAMETOOLONG;
        return fail(path, "connect");
    }
    strcpy(address.sun_path, path);
    server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (server < 0 || connect(server, (struct sockaddr *) &address, sizeof address) != 0) {
        return fail(path, "connect (is `ringspec host --serve` running there?)");
    }

    /* the descriptors an exec would keep: open, not close-on-exec, not the socket */
    int fds[MAX_FDS];
    int count = 0;
    DIR *dir = opendir("/proc/self/fd");
    if (dir != NULL) {
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL && count < MAX_FDS) {
            if (entry->d_name[0] == '.') {
                continue;
            }
            int fd = atoi(entry->d_name);
            int flags = fcntl(fd, F_GETFD);
            if (fd != server && fd != dirfd(dir) && flags >= 0 && !(flags & FD_CLOEXEC)) {
                fds[count++] = fd;
            }
        }
        closedir(dir);
    } else {
        for (int fd = 0; fd <= 2; fd++) {
            if (fcntl(fd, F_GETFD) >= 0) {
                fds[count++] = fd;
            }
        }
    }

    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == NULL) {
        return fail(path, "getcwd");
    }
    int envc = 0;
    while (environ[envc] != NULL) {
        envc++;
    }
    char *body = NULL;
    size_t len = 0, cap = 0;
    int bad = put_u32(&body, &len, &cap, (uint32_t) (argc - 1)) | put_u32(&body, &len, &cap, (uint32_t) envc)
              | put_u32(&body, &len, &cap, (uint32_t) count) | put(&body, &len, &cap, cwd, strlen(cwd) + 1);
    for (int i = 1; i < argc; i++) {
        bad |= put(&body, &len, &cap, argv[i], strlen(argv[i]) + 1);
    }
    for (int i = 0; i < envc; i++) {
        bad |= put(&body, &len, &cap, environ[i], strlen(environ[i]) + 1);
    }
    for (int i = 0; i < count; i++) {
        bad |= put(&body, &len, &cap, &fds[i], sizeof fds[i]);
    }
    if (bad) {
        errno = ENOMEM;
        return fail(path, "the request");
    }

    /* the header, "RSH1" and the body's length, carries the descriptors */
    uint32_t header[2] = {0x31485352u, (uint32_t) len};
    struct iovec iov = {.iov_base = header, .iov_len = sizeof header};
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof fds)];
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (count > 0) {
        msg.msg_control = control.bytes;
        msg.msg_controllen = CMSG_SPACE(count * sizeof(int));
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(count * sizeof(int));
        memcpy(CMSG_DATA(cmsg), fds, count * sizeof(int));
    }
    if (sendmsg(server, &msg, MSG_NOSIGNAL) != (ssize_t) sizeof header) {
        return fail(path, "send");
    }
    for (size_t done = 0; done < len;) {
        ssize_t n = send(server, body + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno != EINTR) {
            return fail(path, "send");
        }
        done += n > 0 ? (size_t) n : 0;
    }
    free(body);

    /* from now on this process's signals are the program's */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) {
        sigaction(forwarded[i], &sa, NULL);
    }

    /* the answer: 'X' and the exit status (int32) */
    unsigned char answer[5];
    size_t got = 0;
    while (got < sizeof answer) {
        ssize_t n = read(server, answer + got, sizeof answer - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0) {
                errno = ECONNRESET;
            }
            return fail(path, "the server ended before the program did");
        }
        got += (size_t) n;
    }
    if (answer[0] != 'X') {
        errno = EPROTO;
        return fail(path, "answer");
    }
    int32_t status;
    memcpy(&status, answer + 1, sizeof status);
    return status & 0xff;
}
