/*
 * ringspec-agent: executes io_uring syscalls on behalf of a ringspec host.
 *
 * As a QEMU guest's /init (pid 1) it mounts devtmpfs, sysfs and proc, loads the modules named in /modules.list,
 * opens its virtio-serial port and serves the host over it. Run natively (`ringspec-agent --stdio`) it serves
 * over stdin and stdout, so the same protocol can be tested against the host's own kernel.
 *
 * The protocol is described in dev/ringspec/guest/agent/package-info.java; the host side is AgentSession.java
 * (calls) and SyncedMemory.java (memory).
 * In short: every request is one frame, answered by one frame. Syscall requests carry the bytes the host's
 * application changed since the last call (in the rings and in the user memory mirrored here at the same
 * virtual addresses); answers carry the bytes the kernel changed. Each host thread is served by its own thread
 * here, because a SINGLE_ISSUER or DEFER_TASKRUN ring belongs to the task that created it.
 *
 * Memory of the agent's own (thread stacks, ring mappings) is placed in a region far from where a host process
 * keeps its heap and mappings, so that host addresses can be mirrored here with MAP_FIXED_NOREPLACE.
 *
 * The program is one translation unit in three files: this one (protocol numbers, the threads that serve the
 * host's, the guest's init, main) includes agent-memory.h (mirrored memory, rings, frames) and agent-calls.h (what
 * each request does).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Requests. */
enum { OP_SETUP = 1, OP_ENTER = 2, OP_REGISTER = 3, OP_CLOSE = 4, OP_UNAME = 5, OP_RUN = 6, OP_THREAD_END = 7,
       OP_WRITE_FILE = 8, OP_PING = 9, OP_FILES = 10, OP_TASK = 11, OP_KMSG = 12 };
/* What an OP_TASK request does to the task serving the calling host thread. */
enum { TASK_NO_NEW_PRIVS = 1, TASK_FORK = 2, TASK_FRESH = 3 };
/* Kinds of host file descriptors the agent recreates at the same numbers. */
enum { FD_PIPE_READ = 1, FD_PIPE_WRITE = 2, FD_EVENTFD = 3, FD_OTHER = 4 };
/* Memory commands inside a request or an answer. */
enum { MEM_MIRROR_ADD = 1, MEM_MIRROR_DROP = 2, MEM_MIRROR_DIFF = 3, MEM_TRANSIENT_ADD = 4, MEM_REGION_DIFF = 5,
       MEM_RING_PAGES = 6 };
/* Answer status. */
enum { STATUS_OK = 0, STATUS_ERROR = 1 };

/* uapi numbers: io_uring syscalls, struct io_uring_params offsets, flags (include/uapi/linux/io_uring.h). */
#define NR_SETUP 425
#define NR_ENTER 426
#define NR_REGISTER 427
#define P_SQ_ENTRIES 0
#define P_CQ_ENTRIES 4
#define P_FLAGS 8
#define P_FEATURES 20
#define P_SQ_OFF 40
#define P_CQ_OFF 80
#define OFF_SQ_ARRAY 24
#define OFF_SQ_USER_ADDR 32
#define OFF_CQ_CQES 20
#define OFF_CQ_USER_ADDR 32
#define OFF_SQ_HEAD 0
#define OFF_SQ_TAIL 4
#define OFF_SQ_FLAGS 16
#define OFF_SQ_DROPPED 20
#define SETUP_SQE128 0x400u
#define SETUP_CQE32 0x800u
#define SETUP_NO_MMAP 0x4000u
#define SETUP_REGISTERED_FD_ONLY 0x8000u
#define SETUP_NO_SQARRAY 0x10000u
#define FEAT_SINGLE_MMAP 1u
#define MMAP_OFF_SQ_RING 0ULL
#define MMAP_OFF_CQ_RING 0x8000000ULL
#define MMAP_OFF_SQES 0x10000000ULL
#define REGISTER_RESIZE_RINGS 33u
#define UNREGISTER_RING_FDS 21u
#define REGISTER_USE_REGISTERED_RING 0x80000000u
#define PAGE 4096ULL
#define MAX_FRAME (64u << 20)

/*
 * Where the agent's own mappings go: far below the top-down mmap area of a host process, far above its heap.
 * The kernel places ring mappings itself (io_uring refuses MAP_FIXED), top-down from the mmap base; the agent
 * reserves the free address space from RESERVED_START up at start, so those land below it, and host addresses up
 * there (where a host process keeps its mappings) can be mirrored over the reservation.
 */
#define AGENT_REGION_START 0x3f0000000000ULL
#define RESERVED_START 0x700000000000ULL
#define USER_END 0x7ffffffff000ULL

static int in_fd = 0, out_fd = 1, diag_fd = 2;
static int kmsg_fd = -1; /* /dev/kmsg, opened by the first kmsg request (agent-calls.h) */
static int is_init;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* memory state and writes to out_fd */

static void vsay(const char *fmt, va_list ap) {
    char text[1024];
    vsnprintf(text, sizeof text, fmt, ap);
    dprintf(diag_fd, "ringspec-agent: %s\n", text);
}

static void say(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsay(fmt, ap);
    va_end(ap);
    if (is_init) {
        sync();
        reboot(RB_POWER_OFF);
    }
    exit(1);
}

#include "agent-memory.h"
#include "agent-calls.h"

/* Moves the agent's own descriptors (its channel, its diagnostics) to the top, out of the host's range. */
static void move_own_fds(void) {
    int top = MAX_MIRRORED_FD + 16;
    int moved_in = fcntl(in_fd, F_DUPFD_CLOEXEC, top);
    int moved_out = in_fd == out_fd ? moved_in : fcntl(out_fd, F_DUPFD_CLOEXEC, top);
    int moved_diag = fcntl(diag_fd, F_DUPFD_CLOEXEC, top);
    if (moved_in < 0 || moved_out < 0 || moved_diag < 0) return; /* too low a limit: stay where we are */
    if (in_fd != out_fd) close(out_fd);
    close(in_fd);
    in_fd = moved_in;
    out_fd = moved_out;
    diag_fd = moved_diag;
}

static void do_task(struct request *q);

static void serve(struct request *q) {
    switch (q->op) {
    case OP_SETUP: do_setup(q); break;
    case OP_ENTER: do_enter(q); break;
    case OP_REGISTER: do_register(q); break;
    case OP_CLOSE: do_close(q); break;
    case OP_UNAME: do_uname(q); break;
    case OP_RUN: do_run(q); break;
    case OP_WRITE_FILE: do_write_file(q); break;
    case OP_PING: answer(q, STATUS_OK, 0, 0, NULL, 0); break;
    case OP_FILES: do_files(q); break;
    case OP_TASK: do_task(q); break;
    case OP_KMSG: do_kmsg(q); break;
    default: answer_error(q, "an unknown request");
    }
    free(q->frame);
    free(q);
}

/* ---- one thread per host thread, and who reads the channel ---- */

/*
 * Each host thread is served by a thread of its own here (the kernel's task for its rings). Whoever holds the
 * reader role reads the next frame: a frame for the reader itself is served at once, still holding the role, so a
 * host thread calling again and again costs no hand-over between threads; a frame for another thread is queued
 * there and the role goes with it. A call that blocks (a wait for completions) must not stop the channel: the
 * main thread takes the role over from a thread that has been executing for two of its 2 ms ticks.
 */
struct worker {
    uint32_t thread;
    pthread_t pthread;
    pthread_cond_t c;
    struct request *head, *tail;
    int ending;
    int drop_cap_sys_admin; /* a forked task gives CAP_SYS_ADMIN up before it serves */
    struct worker *next;
};
static __thread struct worker *self; /* the worker this thread is, NULL for the main thread and the spawner */
static struct worker *workers;
static pthread_mutex_t sched = PTHREAD_MUTEX_INITIALIZER; /* workers, queues and the role */
static pthread_cond_t main_cv = PTHREAD_COND_INITIALIZER;
#define MAIN_HOLDER ((struct worker *)1)
static struct worker *holder;   /* NULL: nobody; MAIN_HOLDER: the main thread; else that worker */
static int holder_executing;    /* the holder is serving a call, not reading */
static uint64_t executing_generation;

static void *worker_main(void *arg);

/* Starts a detached thread running fn(arg) on a stack in the agent's region; 0 or an errno. */
static int start_thread(void *(*fn)(void *), void *arg) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    size_t stack = 1u << 20;
    void *mem = agent_map(stack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) die("cannot map a thread stack: %s", strerror(errno));
    pthread_attr_setstack(&attr, mem, stack);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int err = pthread_create(&t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return err;
}

/*
 * A new thread is a new task that inherits its creator's io_uring restrictions, no_new_privs and credentials
 * (copy_process: __io_uring_fork), and a worker may have restricted itself. So fresh workers are made by the
 * spawner, a thread the main thread starts that never does anything else; a forked task (TASK_FORK) is made by
 * the worker it replaces, on purpose.
 */
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spawn_cv = PTHREAD_COND_INITIALIZER;
static struct worker *spawn_request;

static void *spawner_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&spawn_lock);
    for (;;) {
        while (!spawn_request) pthread_cond_wait(&spawn_cv, &spawn_lock);
        if (start_thread(worker_main, spawn_request)) die("cannot create a thread");
        spawn_request = NULL;
        pthread_cond_broadcast(&spawn_cv);
    }
    return NULL;
}

static struct worker *worker_new(uint32_t thread) {
    struct worker *w = calloc(1, sizeof *w);
    if (!w) die("out of memory");
    w->thread = thread;
    pthread_cond_init(&w->c, NULL);
    return w;
}

/* The worker of a host thread, made by the spawner on first use. Called with sched held. */
static struct worker *worker_for(uint32_t thread) {
    for (struct worker *w = workers; w; w = w->next)
        if (w->thread == thread && !w->ending) return w;
    struct worker *w = worker_new(thread);
    pthread_mutex_lock(&spawn_lock);
    while (spawn_request) pthread_cond_wait(&spawn_cv, &spawn_lock);
    spawn_request = w;
    pthread_cond_broadcast(&spawn_cv);
    while (spawn_request == w) pthread_cond_wait(&spawn_cv, &spawn_lock);
    pthread_mutex_unlock(&spawn_lock);
    w->next = workers;
    workers = w;
    return w;
}

/* capset(2) for this thread alone: CAP_SYS_ADMIN (21) out of the effective and permitted sets; 0 or -errno. */
static int drop_cap_sys_admin(void) {
    struct { uint32_t version; int pid; } header = { 0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0 };
    struct { uint32_t effective, permitted, inheritable; } data[2];
    if (syscall(SYS_capget, &header, data)) return -errno;
    data[0].effective &= ~(1u << 21);
    data[0].permitted &= ~(1u << 21);
    return syscall(SYS_capset, &header, data) ? -errno : 0;
}

/*
 * OP_TASK: no_new_privs for the serving task; a fork, after which a child task of it serves the host thread (the
 * caller ends once it has answered); or a fresh task for the host thread's next call, which inherits nothing.
 */
static void do_task(struct request *q) {
    struct reader *a = &q->args;
    uint32_t command = get32(a), value = get32(a);
    if (a->bad || !self) { answer_error(q, "a malformed task request"); return; }
    long r = 0;
    if (command == TASK_NO_NEW_PRIVS) {
        r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ? -errno : 0;
    } else if (command == TASK_FORK) {
        struct worker *child = worker_new(self->thread);
        child->drop_cap_sys_admin = value != 0;
        pthread_mutex_lock(&sched);
        int err = start_thread(worker_main, child);
        if (err) {
            r = -err;
            free(child);
        } else {
            child->next = workers;
            workers = child;
            self->ending = 1;
        }
        pthread_mutex_unlock(&sched);
    } else if (command == TASK_FRESH) {
        pthread_mutex_lock(&sched);
        self->ending = 1;
        pthread_mutex_unlock(&sched);
    } else {
        answer_error(q, "an unknown task request");
        return;
    }
    answer(q, STATUS_OK, r, 0, NULL, 0);
}

/*
 * Reads the next frame and does what needs no worker: ping, thread-end, the memory section. Returns the request
 * for a worker, or NULL when nothing is left to do. Called without sched held.
 */
static struct request *read_request(void) {
    uint8_t head[4];
    if (read_all(in_fd, head, 4)) {
        if (is_init) { sync(); reboot(RB_POWER_OFF); }
        exit(0);
    }
    uint32_t len = rd32(head);
    if (len < 12 || len > MAX_FRAME) die("a frame of %u bytes: the host and agent disagree on the protocol", len);
    struct request *q = calloc(1, sizeof *q);
    if (!q) die("out of memory");
    q->frame = malloc(len);
    if (!q->frame) die("out of memory");
    q->frame_len = len;
    if (read_all(in_fd, q->frame, len)) die("the host channel closed inside a frame");
    struct reader r = { q->frame, q->frame + len, 0 };
    q->call_id = get32(&r);
    q->thread = get32(&r);
    q->op = get32(&r);
    if (q->op == OP_PING || q->op == OP_THREAD_END) {
        if (q->op == OP_THREAD_END) {
            pthread_mutex_lock(&sched);
            for (struct worker *w = workers; w; w = w->next) {
                if (w->thread == q->thread && !w->ending) {
                    w->ending = 1;
                    pthread_cond_signal(&w->c);
                }
            }
            pthread_mutex_unlock(&sched);
        }
        /* a ping is the channel alone, answered without a hand-over: what the transport costs */
        answer(q, STATUS_OK, 0, 0, NULL, 0);
        free(q->frame);
        free(q);
        return NULL;
    }
    pthread_mutex_lock(&lock);
    int ok = apply_memory(&r, q->call_id);
    pthread_mutex_unlock(&lock);
    q->args = r;
    if (ok < 0) {
        answer_error(q, error_text);
        free(q->frame);
        free(q);
        return NULL;
    }
    return q;
}

/* Queues a request for its worker and hands it the role. Called with sched held, by the role's holder. */
static void hand_over(struct request *q) {
    struct worker *w = worker_for(q->thread);
    q->next = NULL;
    if (w->tail) w->tail->next = q; else w->head = q;
    w->tail = q;
    holder = w;
    holder_executing = 1;
    executing_generation++;
    pthread_cond_signal(&w->c);
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    self = w;
    if (w->drop_cap_sys_admin) {
        int r = drop_cap_sys_admin();
        if (r) say("a forked task could not give up CAP_SYS_ADMIN: %s", strerror(-r));
    }
    pthread_mutex_lock(&sched);
    for (;;) {
        if (w->head) {
            struct request *q = w->head;
            w->head = q->next;
            if (!w->head) w->tail = NULL;
            pthread_mutex_unlock(&sched);
            serve(q);
            pthread_mutex_lock(&sched);
            if (holder == w) holder_executing = 0;
            continue;
        }
        if (w->ending) break;
        if (holder == w && !holder_executing) {
            pthread_mutex_unlock(&sched);
            struct request *q = read_request();
            pthread_mutex_lock(&sched);
            if (!q) continue;
            if (holder != w) {
                /* cannot happen: only an executing holder loses the role */
                die("the reader role was taken from a reading thread");
            }
            if (q->thread == w->thread && !w->ending) {
                holder_executing = 1;
                executing_generation++;
                pthread_mutex_unlock(&sched);
                serve(q);
                pthread_mutex_lock(&sched);
                if (holder == w) holder_executing = 0;
            } else {
                hand_over(q);
            }
            continue;
        }
        pthread_cond_wait(&w->c, &sched);
    }
    /* ending: give the role back, leave the list */
    if (holder == w) { holder = NULL; pthread_cond_signal(&main_cv); }
    struct worker **pp = &workers;
    while (*pp && *pp != w) pp = &(*pp)->next;
    if (*pp) *pp = w->next;
    pthread_mutex_unlock(&sched);
    pthread_cond_destroy(&w->c);
    free(w); /* its stack stays mapped: addresses in the agent region are never reused */
    return NULL;
}

/* The main thread: reads when nobody does, and takes the role from a call that blocks. */
static void main_loop(void) {
    uint64_t seen_generation = 0;
    int seen_executing = 0;
    pthread_mutex_lock(&sched);
    for (;;) {
        int stuck = holder != NULL && holder != MAIN_HOLDER && holder_executing && seen_executing
                    && seen_generation == executing_generation;
        if (holder == NULL || stuck) {
            holder = MAIN_HOLDER;
            holder_executing = 0;
            pthread_mutex_unlock(&sched);
            struct request *q = read_request();
            pthread_mutex_lock(&sched);
            if (q) hand_over(q); else holder = NULL;
            seen_executing = 0;
            continue;
        }
        seen_executing = holder_executing;
        seen_generation = executing_generation;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 2000000;
        if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&main_cv, &sched, &until);
    }
}

/* ---- the guest's init ---- */

static void load_modules(void) {
    FILE *f = fopen("/modules.list", "r");
    if (!f) return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        size_t n = strcspn(line, "\r\n");
        line[n] = 0;
        if (n == 0 || line[0] == '#') continue;
        int fd = open(line, O_RDONLY | O_CLOEXEC);
        if (fd < 0) { say("cannot open module %s: %s", line, strerror(errno)); continue; }
        int compressed = (n > 3 && (!strcmp(line + n - 3, ".xz") || !strcmp(line + n - 3, ".gz")))
                         || (n > 4 && !strcmp(line + n - 4, ".zst"));
        if (syscall(SYS_finit_module, fd, "", compressed ? 4 /* MODULE_INIT_COMPRESSED_FILE */ : 0) < 0
            && errno != EEXIST)
            say("cannot load module %s: %s", line, strerror(errno));
        close(fd);
    }
    fclose(f);
}

/* The virtio-serial port: the one named "ringspec" (or "ringspec.agent", "agent"), else the first one. */
static int open_port(void) {
    for (int attempt = 0; attempt < 200; attempt++) {
        DIR *d = opendir("/sys/class/virtio-ports");
        char chosen[256] = "";
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (e->d_name[0] == '.') continue;
                char path[512], name[256] = "";
                snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
                FILE *f = fopen(path, "r");
                if (f) {
                    if (!fgets(name, sizeof name, f)) name[0] = 0;
                    fclose(f);
                }
                name[strcspn(name, "\r\n")] = 0;
                int ours = !strcmp(name, "ringspec") || !strcmp(name, "ringspec.agent") || !strcmp(name, "agent");
                if (ours || !chosen[0]) snprintf(chosen, sizeof chosen, "%s", e->d_name);
                if (ours) break;
            }
            closedir(d);
        }
        if (chosen[0]) {
            char dev[300];
            snprintf(dev, sizeof dev, "/dev/%s", chosen);
            int fd = open(dev, O_RDWR | O_CLOEXEC);
            if (fd >= 0) return fd;
        }
        usleep(50000);
    }
    die("no virtio-serial port appeared under /sys/class/virtio-ports within 10 seconds");
    return -1;
}

static void init_guest(void) {
    mkdir("/dev", 0755);
    mkdir("/sys", 0755);
    mkdir("/proc", 0755);
    mkdir("/tmp", 01777);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    mount("proc", "/proc", "proc", 0, NULL);
    mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
    int console = open("/dev/console", O_RDWR | O_CLOEXEC);
    if (console >= 0) { dup2(console, 2); dup2(console, 1); }
    load_modules();
    int port = open_port();
    in_fd = out_fd = port;
}

int main(int argc, char **argv) {
    /* All of malloc in one brk heap: nothing of the agent's lands where the host keeps its memory. */
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_ARENA_MAX, 1);
    signal(SIGPIPE, SIG_IGN);
    is_init = getpid() == 1;
    if (is_init) init_guest();
    else if (argc < 2 || strcmp(argv[1], "--stdio") != 0) {
        fprintf(stderr, "usage: ringspec-agent --stdio (or run as a guest's /init)\n");
        return 2;
    }
    struct rlimit lim;
    if (!getrlimit(RLIMIT_NOFILE, &lim) && lim.rlim_cur < MAX_MIRRORED_FD + 64 && lim.rlim_max >= MAX_MIRRORED_FD + 64) {
        lim.rlim_cur = MAX_MIRRORED_FD + 64;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    move_own_fds();
    reserve_upper_space();
    /* The lockstep's OPENATs name paths under this absent directory: one lookup now leaves a negative dentry, so an
     * inline OPENAT (LOOKUP_CACHED) fails with -ENOENT at once instead of going to io-wq with -EAGAIN. */
    struct stat absent;
    if (stat("/ringspec-absent/f", &absent) == 0) die("/ringspec-absent/f exists in the guest");
    if (start_thread(spawner_main, NULL)) die("cannot create the spawner thread");
    write_all(out_fd, (const uint8_t *)"RSAGENT1", 8);
    main_loop();
    return 0;
}
