/*
 * ringspec-agent, part 3 of 3: the requests and what the agent does for each (setup, enter, register, close,
 * uname, run, write-file, kmsg, files), each answered with the memory the kernel changed.
 *
 * Not a header of its own: ringspec-agent.c includes it after agent-memory.h, into one translation unit.
 */

/* ---- requests ---- */

struct request {
    uint8_t *frame;
    uint32_t frame_len;
    uint32_t call_id;
    uint32_t thread;
    uint32_t op;
    struct reader args; /* positioned after the memory section */
    struct request *next;
};

static void answer(struct request *q, uint32_t status, int64_t result, uint32_t aux, const struct buf *extra,
                   int with_memory) {
    struct buf b = {0};
    put32(&b, 0);
    put32(&b, q->call_id);
    put32(&b, status);
    put64(&b, (uint64_t)result);
    put32(&b, aux);
    uint32_t extra_len = extra ? (uint32_t)extra->len : 0;
    put32(&b, extra_len);
    if (extra_len) put(&b, extra->p, extra_len);
    pthread_mutex_lock(&lock);
    if (with_memory) collect_memory(&b, q->call_id); else put32(&b, 0);
    uint32_t len = (uint32_t)b.len - 4;
    memcpy(b.p, &len, 4);
    write_all(out_fd, b.p, b.len);
    pthread_mutex_unlock(&lock);
    free(b.p);
}

static void answer_error(struct request *q, const char *text) {
    struct buf e = {0};
    put(&e, text, strlen(text));
    answer(q, STATUS_ERROR, 0, 0, &e, 0);
    free(e.p);
}

static long sys6(long nr, long a, long b, long c, long d, long e, long f) {
    long r = syscall(nr, a, b, c, d, e, f);
    return r < 0 ? -errno : r;
}

static void do_setup(struct request *q) {
    struct reader *a = &q->args;
    uint32_t id = get32(a), entries = get32(a);
    uint64_t params = get64(a);
    if (a->bad) { answer_error(q, "a malformed setup request"); return; }
    long fd = sys6(NR_SETUP, entries, (long)params, 0, 0, 0, 0);
    pthread_mutex_lock(&lock);
    struct ring *ring = ring_find(id);
    if (fd < 0) {
        if (ring) {
            pending_release(ring);
            /* a ring entry made only for pages is unlinked */
            struct ring **pp = &rings;
            while (*pp != ring) pp = &(*pp)->next;
            *pp = ring->next;
            free(ring);
        }
        pthread_mutex_unlock(&lock);
        answer(q, STATUS_OK, fd, 0, NULL, 1);
        return;
    }
    if (!ring) {
        ring = calloc(1, sizeof *ring);
        if (!ring) die("out of memory");
        ring->id = id;
        ring->next = rings;
        rings = ring;
    }
    const uint8_t *p = (const uint8_t *)(uintptr_t)params;
    ring->fd = (int)fd;
    ring->flags = rd32(p + P_FLAGS);
    ring->features = rd32(p + P_FEATURES);
    ring->registered_index = (ring->flags & SETUP_REGISTERED_FD_ONLY) != 0;
    int m = ring_map(ring, p, rd32(p + P_SQ_OFF + OFF_SQ_ARRAY));
    pending_release(ring);
    if (m < 0) {
        regions_free(ring);
        struct ring **pp = &rings;
        while (*pp != ring) pp = &(*pp)->next;
        *pp = ring->next;
        free(ring);
        close((int)fd);
        fd = m;
    }
    pthread_mutex_unlock(&lock);
    answer(q, STATUS_OK, fd, 0, NULL, 1);
}

static void do_enter(struct request *q) {
    struct reader *a = &q->args;
    int32_t fd = (int32_t)get32(a);
    uint32_t to_submit = get32(a), min_complete = get32(a), flags = get32(a);
    uint64_t arg = get64(a), argsz = get64(a);
    if (a->bad) { answer_error(q, "a malformed enter request"); return; }
    long r = sys6(NR_ENTER, fd, to_submit, min_complete, flags, (long)arg, (long)argsz);
    answer(q, STATUS_OK, r, 0, NULL, 1);
}

static void unregister_index(int index) {
    uint32_t update[4] = { (uint32_t)index, 0, 0, 0 }; /* struct io_uring_rsrc_update: offset, resv, data */
    sys6(NR_REGISTER, index, UNREGISTER_RING_FDS | REGISTER_USE_REGISTERED_RING, (long)update, 1, 0, 0);
}

static void do_register(struct request *q) {
    struct reader *a = &q->args;
    int32_t fd = (int32_t)get32(a);
    uint32_t opcode = get32(a);
    uint64_t arg = get64(a);
    uint32_t nr = get32(a), id = get32(a);
    if (a->bad) { answer_error(q, "a malformed register request"); return; }
    int resize = id != 0 && (opcode & ~REGISTER_USE_REGISTERED_RING) == REGISTER_RESIZE_RINGS && arg != 0;
    long r = sys6(NR_REGISTER, fd, opcode, (long)arg, nr, 0, 0);
    uint32_t aux = 0;
    if (resize) {
        pthread_mutex_lock(&lock);
        struct ring *ring = ring_find(id);
        if (ring && r >= 0) {
            const uint8_t *p = (const uint8_t *)(uintptr_t)arg;
            /* the old mappings go; the new ones are found where the kernel says (a resize keeps the flags) */
            regions_free(ring);
            int m = ring_map(ring, p, geometry_array_offset(p, ring->flags));
            pending_release(ring);
            if (m < 0) {
                /* the kernel has resized but the rings cannot be mapped: the ring is closed, as natively */
                regions_free(ring);
                if (ring->registered_index) unregister_index(ring->fd); else close(ring->fd);
                struct ring **pp = &rings;
                while (*pp != ring) pp = &(*pp)->next;
                *pp = ring->next;
                free(ring);
                r = m;
                aux = 1;
            }
        } else if (ring) {
            pending_release(ring);
        }
        pthread_mutex_unlock(&lock);
    }
    answer(q, STATUS_OK, r, aux, NULL, 1);
}

static void do_close(struct request *q) {
    struct reader *a = &q->args;
    uint32_t id = get32(a);
    if (a->bad) { answer_error(q, "a malformed close request"); return; }
    pthread_mutex_lock(&lock);
    struct ring *ring = ring_find(id);
    long r = -EBADF;
    if (ring) {
        regions_free(ring);
        struct ring **pp = &rings;
        while (*pp != ring) pp = &(*pp)->next;
        *pp = ring->next;
        if (ring->registered_index) {
            unregister_index(ring->fd);
            r = 0;
        } else {
            r = close(ring->fd) < 0 ? -errno : 0;
        }
        free(ring);
    }
    pthread_mutex_unlock(&lock);
    answer(q, STATUS_OK, r, 0, NULL, 1);
}

static void do_uname(struct request *q) {
    struct utsname u;
    uname(&u);
    struct buf e = {0};
    put(&e, u.release, strlen(u.release));
    answer(q, STATUS_OK, 0, 0, &e, 0);
    free(e.p);
}

static uint64_t now_millis(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs a program with a timeout: answers its wait status, whether it timed out, its stdout and its stderr. */
static void do_run(struct request *q) {
    struct reader *a = &q->args;
    uint32_t timeout_ms = get32(a), argc = get32(a);
    if (argc == 0 || argc > 4096) { answer_error(q, "a run request needs between 1 and 4096 arguments"); return; }
    char **argv = calloc(argc + 1, sizeof *argv);
    for (uint32_t i = 0; i < argc && !a->bad; i++) {
        uint32_t len = get32(a);
        const uint8_t *s = take(a, len);
        if (!s) break;
        argv[i] = strndup((const char *)s, len);
    }
    if (a->bad) { answer_error(q, "a malformed run request"); goto out; }
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) { answer_error(q, "pipe2 failed"); goto out; }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        char *envp[] = { "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/", NULL };
        execve(argv[0], argv, envp);
        dprintf(2, "ringspec-agent: cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    if (pid < 0) { close(po[0]); close(pe[0]); answer_error(q, "fork failed"); goto out; }
    struct buf out = {0}, err = {0};
    uint64_t deadline = now_millis() + timeout_ms;
    int timed_out = 0, open_count = 2;
    struct pollfd pf[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
    while (open_count > 0) {
        uint64_t now = now_millis();
        if (now >= deadline) { timed_out = 1; break; }
        int n = poll(pf, 2, (int)(deadline - now));
        if (n < 0 && errno == EINTR) continue;
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !pf[i].revents) continue;
            struct buf *b = i == 0 ? &out : &err;
            buf_need(b, 65536);
            ssize_t r = read(pf[i].fd, b->p + b->len, 65536);
            if (r > 0 && b->len + (size_t)r <= (16u << 20)) b->len += (size_t)r;
            else if (r <= 0) { close(pf[i].fd); pf[i].fd = -1; open_count--; }
        }
    }
    if (timed_out) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    for (int i = 0; i < 2; i++) if (pf[i].fd >= 0) close(pf[i].fd);
    struct buf e = {0};
    put32(&e, (uint32_t)timed_out);
    put32(&e, (uint32_t)out.len);
    put(&e, out.p, out.len);
    put32(&e, (uint32_t)err.len);
    put(&e, err.p, err.len);
    answer(q, STATUS_OK, 0, (uint32_t)status, &e, 0);
    free(e.p);
    free(out.p);
    free(err.p);
out:
    for (uint32_t i = 0; i < argc; i++) free(argv[i]);
    free(argv);
}

/* Writes a file (for a program to run): path, mode, bytes. */
static void do_write_file(struct request *q) {
    struct reader *a = &q->args;
    uint32_t mode = get32(a), plen = get32(a);
    const uint8_t *path = take(a, plen);
    uint32_t len = get32(a);
    const uint8_t *bytes = take(a, len);
    if (a->bad) { answer_error(q, "a malformed write-file request"); return; }
    char *p = strndup((const char *)path, plen);
    long r = 0;
    /* a file is replaced (a program that may be running); a character device (/dev/kmsg) is written to */
    struct stat st;
    int device = stat(p, &st) == 0 && S_ISCHR(st.st_mode);
    if (!device) unlink(p);
    int fd = open(p, O_WRONLY | (device ? 0 : O_CREAT | O_TRUNC) | O_CLOEXEC, mode);
    if (fd < 0) r = -errno;
    else {
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(fd, bytes + off, len - off);
            if (w <= 0) { r = -errno; break; }
            off += (size_t)w;
        }
        close(fd);
    }
    free(p);
    answer(q, STATUS_OK, r, 0, NULL, 0);
}

/*
 * The host's file descriptors, recreated here at the same numbers, so that numbers in arguments (a registered
 * file table, an SQE's fd) name the same kind of file: both ends of each host pipe become the ends of one pipe
 * here, an eventfd an eventfd, anything else /dev/null. Descriptors of rings are left alone. Entries: u32 count of
 * (u32 fd, u32 kind, u64 group: the host pipe's inode). The agent's own descriptors were moved out of the way.
 */
#define MAX_MIRRORED_FD 4096
static uint8_t fd_mirrored[MAX_MIRRORED_FD];
/* What each mirrored descriptor stands for: its kind and, for a pipe end, the host pipe's inode. */
static uint32_t fd_kind[MAX_MIRRORED_FD];
static uint64_t fd_group[MAX_MIRRORED_FD];

static int ring_fd_in_use(int fd) {
    for (struct ring *r = rings; r; r = r->next)
        if (r->fd == fd && !r->registered_index) return 1;
    return 0;
}

/* A new descriptor for fd's file, numbered where no host descriptor in wanted (of MAX_MIRRORED_FD) goes; -1. */
static int park(int fd, const uint8_t *wanted) {
    int min = 0;
    for (;;) {
        int x = fcntl(fd, F_DUPFD_CLOEXEC, min);
        if (x < 0 || x >= MAX_MIRRORED_FD || !wanted[x]) return x;
        close(x);
        min = x + 1;
    }
}

static void do_files(struct request *q) {
    struct reader *a = &q->args;
    uint32_t n = get32(a);
    if (n > MAX_MIRRORED_FD) { answer_error(q, "too many host descriptors to mirror"); return; }
    uint32_t *fds = calloc(n + 1, sizeof *fds), *kinds = calloc(n + 1, sizeof *kinds);
    uint64_t *groups = calloc(n + 1, sizeof *groups);
    for (uint32_t i = 0; i < n; i++) { fds[i] = get32(a); kinds[i] = get32(a); groups[i] = get64(a); }
    if (a->bad) { answer_error(q, "a malformed files request"); goto out; }
    pthread_mutex_lock(&lock);
    uint8_t wanted[MAX_MIRRORED_FD] = {0};
    for (uint32_t i = 0; i < n; i++) if (fds[i] < MAX_MIRRORED_FD) wanted[fds[i]] = 1;
    for (int fd = 0; fd < MAX_MIRRORED_FD; fd++) {
        if (fd_mirrored[fd] && !wanted[fd] && !ring_fd_in_use(fd)) { close(fd); fd_mirrored[fd] = 0; }
    }
    /* a host number reused for another pipe or another kind: the old file goes, a new one is made below */
    for (uint32_t i = 0; i < n; i++) {
        int fd = (int)fds[i];
        if (fd < MAX_MIRRORED_FD && fd_mirrored[fd] && !ring_fd_in_use(fd)
            && (fd_kind[fd] != kinds[i] || fd_group[fd] != groups[i])) { close(fd); fd_mirrored[fd] = 0; }
    }
    long mirrored = 0;
    for (uint32_t i = 0; i < n; i++) {
        int fd = (int)fds[i];
        if (fd >= MAX_MIRRORED_FD || fd == in_fd || fd == out_fd || fd == diag_fd || fd == kmsg_fd
            || ring_fd_in_use(fd)) continue;
        if (fd_mirrored[fd]) continue; /* made by an earlier request (a pipe's ends come in pairs) */
        int made = -1;
        if (kinds[i] == FD_PIPE_READ || kinds[i] == FD_PIPE_WRITE) {
            int fresh[2], p[2];
            if (pipe2(fresh, O_CLOEXEC)) continue;
            /* park both ends on numbers no host descriptor of this request wants, so that putting one end in
               place never closes the other (pipe2 may have returned the number the other end must take) */
            p[0] = park(fresh[0], wanted);
            p[1] = park(fresh[1], wanted);
            close(fresh[0]);
            close(fresh[1]);
            if (p[0] < 0 || p[1] < 0) {
                if (p[0] >= 0) close(p[0]);
                if (p[1] >= 0) close(p[1]);
                continue;
            }
            /* both ends of the host pipe with this inode */
            for (uint32_t j = i; j < n; j++) {
                if (groups[j] != groups[i] || (kinds[j] != FD_PIPE_READ && kinds[j] != FD_PIPE_WRITE)) continue;
                int target = (int)fds[j];
                if (target >= MAX_MIRRORED_FD || target == in_fd || target == out_fd || target == diag_fd
                    || target == kmsg_fd || ring_fd_in_use(target)) continue;
                int from = kinds[j] == FD_PIPE_READ ? p[0] : p[1];
                if (dup3(from, target, O_CLOEXEC) < 0) continue;
                fd_mirrored[target] = 1;
                fd_kind[target] = kinds[j];
                fd_group[target] = groups[j];
                mirrored++;
            }
            close(p[0]);
            close(p[1]);
            continue;
        } else if (kinds[i] == FD_EVENTFD) {
            made = (int)syscall(SYS_eventfd2, 0, O_CLOEXEC);
        } else {
            made = open("/dev/null", O_RDWR | O_CLOEXEC);
        }
        if (made < 0) continue;
        if (made != fd) {
            if (dup3(made, fd, O_CLOEXEC) < 0) { close(made); continue; }
            close(made);
        }
        fd_mirrored[fd] = 1;
        fd_kind[fd] = kinds[i];
        fd_group[fd] = groups[i];
        mirrored++;
    }
    pthread_mutex_unlock(&lock);
    answer(q, STATUS_OK, mirrored, 0, NULL, 0);
out:
    free(fds);
    free(kinds);
    free(groups);
}

/*
 * OP_KMSG: the kernel log's records since the last kmsg request (on the first, all the log still holds), each as
 * "<level>message\n" with its first line only (a record reads "prio,seq,usec,flags;message\n" then continuation
 * lines; Documentation/ABI/testing/dev-kmsg). Read from /dev/kmsg whatever the console's log level, so a WARNING
 * shows although the command line says quiet. The result is how many records were overwritten before they were
 * read, or -errno where /dev/kmsg cannot be read. The descriptor goes above the host's numbers where the limit
 * allows (a guest's init has 1024), else as high as it does, and host descriptors are never mirrored over it.
 */
static pthread_mutex_t kmsg_lock = PTHREAD_MUTEX_INITIALIZER;

static void do_kmsg(struct request *q) {
    struct buf e = {0};
    long r = 0;
    pthread_mutex_lock(&kmsg_lock);
    if (kmsg_fd < 0) {
        int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            int high = MAX_MIRRORED_FD + 8;
            struct rlimit lim;
            if (!getrlimit(RLIMIT_NOFILE, &lim) && lim.rlim_cur <= (rlim_t)high) high = (int)lim.rlim_cur - 8;
            kmsg_fd = high > fd ? fcntl(fd, F_DUPFD_CLOEXEC, high) : -1;
            if (kmsg_fd < 0) kmsg_fd = fd; else close(fd);
        } else {
            r = -errno;
        }
    }
    char record[8192];
    while (kmsg_fd >= 0) {
        ssize_t n = read(kmsg_fd, record, sizeof record - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EPIPE) { r++; continue; } /* overwritten: go on with the oldest one left */
        if (n < 0 && errno != EAGAIN) r = -errno;
        if (n <= 0) break;
        record[n] = 0;
        char *semicolon = strchr(record, ';');
        if (!semicolon) continue;
        char *end = strchr(semicolon + 1, '\n');
        size_t len = end ? (size_t)(end - semicolon - 1) : strlen(semicolon + 1);
        char level[8];
        snprintf(level, sizeof level, "<%ld>", strtol(record, NULL, 10) & 7);
        put(&e, level, strlen(level));
        put(&e, semicolon + 1, len);
        put8(&e, '\n');
    }
    pthread_mutex_unlock(&kmsg_lock);
    answer(q, STATUS_OK, r, 0, &e, 0);
    free(e.p);
}
