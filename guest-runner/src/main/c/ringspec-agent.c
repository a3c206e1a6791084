/*
 * ringspec-agent: executes io_uring syscalls on behalf of a ringspec host.
 *
 * As a QEMU guest's /init (pid 1) it mounts devtmpfs, sysfs and proc, loads the modules named in /modules.list,
 * opens its virtio-serial port and serves the host over it. Run natively (`ringspec-agent --stdio`) it serves
 * over stdin and stdout, so the same protocol can be tested against the host's own kernel.
 *
 * The protocol is described in dev/ringspec/guest/agent/package-info.java; the host side is AgentSession.java.
 * In short: every request is one frame, answered by one frame. Syscall requests carry the bytes the host's
 * application changed since the last call (in the rings and in the user memory mirrored here at the same
 * virtual addresses); answers carry the bytes the kernel changed. Each host thread is served by its own thread
 * here, because a SINGLE_ISSUER or DEFER_TASKRUN ring belongs to the task that created it.
 *
 * Memory of the agent's own (thread stacks, ring mappings) is placed in a region far from where a host process
 * keeps its heap and mappings, so that host addresses can be mirrored here with MAP_FIXED_NOREPLACE.
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
       OP_WRITE_FILE = 8, OP_PING = 9, OP_FILES = 10 };
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
static int is_init;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* memory state and writes to out_fd */

static void say(const char *fmt, ...) {
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    dprintf(diag_fd, "ringspec-agent: %s\n", text);
}

static void die(const char *fmt, ...) {
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    dprintf(diag_fd, "ringspec-agent: %s\n", text);
    if (is_init) {
        sync();
        reboot(RB_POWER_OFF);
    }
    exit(1);
}

/* ---- the agent's own mappings ---- */

static uint64_t agent_next = AGENT_REGION_START;

static void *agent_map(uint64_t bytes, int prot, int flags, int fd, uint64_t offset) {
    uint64_t size = (bytes + PAGE - 1) & ~(PAGE - 1);
    if (size == 0) size = PAGE;
    for (int tries = 0; tries < 64; tries++) {
        uint64_t at = __atomic_fetch_add(&agent_next, size + PAGE, __ATOMIC_RELAXED);
        void *p = mmap((void *)at, size, prot, flags | MAP_FIXED_NOREPLACE, fd, (off_t)offset);
        if (p == (void *)at) return p;
        if (p != MAP_FAILED) { munmap(p, size); errno = EEXIST; continue; }
        if (errno != EEXIST) return MAP_FAILED;
    }
    return MAP_FAILED;
}

/* ---- the reservation of the upper address space ---- */

struct range { uint64_t start, end; };
static struct range reserved[64];
static int reserved_len;

static void reserve_upper_space(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) { say("no /proc/self/maps: ring mappings may collide with mirrored host memory"); return; }
    uint64_t cursor = RESERVED_START;
    char line[512];
    struct range used[256];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < 256) {
        unsigned long long a, b;
        if (sscanf(line, "%llx-%llx", &a, &b) == 2) { used[n].start = a; used[n].end = b; n++; }
    }
    fclose(f);
    for (int i = 0; i <= n && reserved_len < 64; i++) {
        uint64_t gap_end = i < n ? used[i].start : USER_END;
        if (gap_end > USER_END) gap_end = USER_END;
        if (gap_end > cursor) {
            void *p = mmap((void *)cursor, gap_end - cursor, PROT_NONE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
            if (p == (void *)cursor) {
                reserved[reserved_len].start = cursor;
                reserved[reserved_len].end = gap_end;
                reserved_len++;
            } else if (p != MAP_FAILED) {
                munmap(p, gap_end - cursor);
            }
        }
        if (i < n && used[i].end > cursor) cursor = used[i].end;
    }
}

static int in_reserved(uint64_t page) {
    for (int i = 0; i < reserved_len; i++)
        if (page >= reserved[i].start && page < reserved[i].end) return 1;
    return 0;
}

/* Gives a mirrored page back: unmapped, or reserved again where it was reserved. */
static void page_unmap(uint64_t page) {
    if (in_reserved(page))
        mmap((void *)page, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    else
        munmap((void *)page, PAGE);
}

/* ---- mirrored pages: host addresses mapped here at the same address, reference counted ---- */

struct page_slot { uint64_t page; uint32_t refs; };
static struct page_slot *pages;
static size_t pages_cap, pages_used;

static size_t page_hash(uint64_t page, size_t cap) { return (size_t)((page >> 12) * 0x9e3779b97f4a7c15ULL) & (cap - 1); }

static struct page_slot *page_find(uint64_t page, int create) {
    if (create && (pages_used + 1) * 2 > pages_cap) {
        size_t ncap = pages_cap ? pages_cap * 2 : 1024;
        struct page_slot *n = calloc(ncap, sizeof *n);
        if (!n) die("out of memory");
        for (size_t i = 0; i < pages_cap; i++) {
            if (pages[i].refs) {
                size_t j = page_hash(pages[i].page, ncap);
                while (n[j].refs) j = (j + 1) & (ncap - 1);
                n[j] = pages[i];
            }
        }
        free(pages);
        pages = n;
        pages_cap = ncap;
    }
    if (!pages_cap) return NULL;
    size_t j = page_hash(page, pages_cap);
    while (pages[j].refs) {
        if (pages[j].page == page) return &pages[j];
        j = (j + 1) & (pages_cap - 1);
    }
    if (!create) return NULL;
    pages[j].page = page;
    return &pages[j];
}

/* Empties a slot whose count reached zero and re-inserts the probe cluster after it (linear probing). */
static void page_remove(struct page_slot *slot) {
    size_t j = (size_t)(slot - pages);
    pages[j].refs = 0;
    pages_used--;
    size_t k = (j + 1) & (pages_cap - 1);
    while (pages[k].refs) {
        struct page_slot s = pages[k];
        pages[k].refs = 0;
        size_t h = page_hash(s.page, pages_cap);
        while (pages[h].refs) h = (h + 1) & (pages_cap - 1);
        pages[h] = s;
        k = (k + 1) & (pages_cap - 1);
    }
}

static char error_text[512];

/*
 * Maps the pages of [addr, addr+len) here, at the same addresses. Returns 1 when mapped, 0 when the range cannot
 * exist in a process (the kernel will answer EFAULT for it, as it would on the host), -1 on a conflict with
 * memory of the agent's own (error_text says which).
 */
static int pages_acquire(uint64_t addr, uint64_t len) {
    if (len == 0) return 0;
    uint64_t first = addr & ~(PAGE - 1), end = (addr + len + PAGE - 1) & ~(PAGE - 1);
    if (end < first || end > 0x800000000000ULL || first < 0x10000) return 0;
    for (uint64_t p = first; p < end; p += PAGE) {
        struct page_slot *s = page_find(p, 0);
        if (s) { s->refs++; continue; }
        int flags = MAP_PRIVATE | MAP_ANONYMOUS | (in_reserved(p) ? MAP_FIXED : MAP_FIXED_NOREPLACE);
        void *m = mmap((void *)p, PAGE, PROT_READ | PROT_WRITE, flags, -1, 0);
        if (m != (void *)p) {
            int e = errno;
            if (m != MAP_FAILED) munmap(m, PAGE);
            for (uint64_t q = first; q < p; q += PAGE) {
                struct page_slot *t = page_find(q, 0);
                if (--t->refs == 0) { page_remove(t); page_unmap(q); }
            }
            if (e == EEXIST) {
                snprintf(error_text, sizeof error_text,
                         "host address 0x%llx collides with the agent's own memory", (unsigned long long)p);
                return -1;
            }
            return 0;
        }
        s = page_find(p, 1);
        s->refs = 1;
        pages_used++;
    }
    return 1;
}

static void pages_release(uint64_t addr, uint64_t len) {
    if (len == 0) return;
    uint64_t first = addr & ~(PAGE - 1), end = (addr + len + PAGE - 1) & ~(PAGE - 1);
    for (uint64_t p = first; p < end; p += PAGE) {
        struct page_slot *s = page_find(p, 0);
        if (!s) continue;
        if (--s->refs == 0) { page_remove(s); page_unmap(p); }
    }
}

/* ---- mirrors: ranges of host memory kept equal here, each with the last synced copy ---- */

struct mirror { uint64_t addr; uint32_t len; uint32_t transient_call; int mapped; uint8_t *shadow; };
static struct mirror *mirrors;
static size_t mirrors_len, mirrors_cap;

static struct mirror *mirror_find(uint64_t addr, uint32_t len) {
    for (size_t i = 0; i < mirrors_len; i++)
        if (mirrors[i].addr == addr && mirrors[i].len == len) return &mirrors[i];
    return NULL;
}

static void mirror_drop_at(size_t i) {
    if (mirrors[i].mapped) pages_release(mirrors[i].addr, mirrors[i].len);
    free(mirrors[i].shadow);
    mirrors[i] = mirrors[--mirrors_len];
}

/* ---- rings ---- */

struct region { uint8_t *mem; uint64_t size; uint8_t *shadow; int mapped; };
struct ring {
    uint32_t id;
    int fd;
    int registered_index;
    uint32_t flags;
    uint32_t features;
    struct region r[3]; /* SQ ring, CQ ring (unused under SINGLE_MMAP), SQEs */
    uint64_t user_pages[2][2]; /* NO_MMAP: the regions' pages, held while the ring uses them */
    uint64_t pending_pages[2][2]; /* NO_MMAP: the host's placements for a setup or resize in flight */
    struct ring *next;
};
static struct ring *rings;

static struct ring *ring_find(uint32_t id) {
    for (struct ring *r = rings; r; r = r->next)
        if (r->id == id) return r;
    return NULL;
}

static void regions_free(struct ring *ring) {
    for (int i = 0; i < 3; i++) {
        struct region *g = &ring->r[i];
        if (g->mapped && g->mem) munmap(g->mem, g->size);
        free(g->shadow);
        memset(g, 0, sizeof *g);
    }
    for (int i = 0; i < 2; i++) {
        pages_release(ring->user_pages[i][0], ring->user_pages[i][1]);
        ring->user_pages[i][0] = ring->user_pages[i][1] = 0;
    }
}

static void pending_release(struct ring *ring) {
    for (int i = 0; i < 2; i++) pages_release(ring->pending_pages[i][0], ring->pending_pages[i][1]);
    memset(ring->pending_pages, 0, sizeof ring->pending_pages);
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* The sizes the application maps, computed as the host computes them (RingParams.sqRingSizeBytes and friends). */
struct sizes { uint64_t sq, cq, sqes, rings; };

static uint64_t align64(uint64_t v) { return (v + 63) & ~63ULL; }

static struct sizes ring_sizes(const uint8_t *params, uint32_t flags, uint32_t array_off) {
    struct sizes s;
    uint32_t sq_entries = rd32(params + P_SQ_ENTRIES), cq_entries = rd32(params + P_CQ_ENTRIES);
    const uint8_t *sq = params + P_SQ_OFF, *cq = params + P_CQ_OFF;
    if (!(flags & SETUP_NO_SQARRAY)) {
        s.sq = (uint64_t)array_off + (uint64_t)sq_entries * 4;
    } else {
        uint32_t m = rd32(sq + OFF_SQ_HEAD);
        uint32_t v[] = { rd32(sq + OFF_SQ_TAIL), rd32(sq + OFF_SQ_FLAGS), rd32(sq + OFF_SQ_DROPPED) };
        for (int i = 0; i < 3; i++) if (v[i] > m) m = v[i];
        s.sq = (uint64_t)m + 4;
    }
    s.cq = rd32(cq + OFF_CQ_CQES) + (uint64_t)cq_entries * ((flags & SETUP_CQE32) ? 32 : 16);
    s.sqes = (uint64_t)sq_entries * ((flags & SETUP_SQE128) ? 128 : 64);
    /* rings_size: the header and CQEs (doubled whole on CQE32), aligned to a cache line, then the SQ array */
    uint64_t cqes_end = 64 + (uint64_t)cq_entries * 16;
    if (flags & SETUP_CQE32) cqes_end <<= 1;
    s.rings = align64(cqes_end) + ((flags & SETUP_NO_SQARRAY) ? 0 : (uint64_t)sq_entries * 4);
    return s;
}

static uint32_t geometry_array_offset(const uint8_t *params, uint32_t flags) {
    if (flags & SETUP_NO_SQARRAY) return 0;
    uint64_t cqes_end = 64 + (uint64_t)rd32(params + P_CQ_ENTRIES) * 16;
    if (flags & SETUP_CQE32) cqes_end <<= 1;
    return (uint32_t)align64(cqes_end);
}

static int region_set(struct region *g, uint8_t *mem, uint64_t size, int mapped) {
    g->mem = mem;
    g->size = size;
    g->mapped = mapped;
    g->shadow = calloc(1, size ? size : 1);
    return g->shadow ? 0 : -ENOMEM;
}

/* Maps (or, for NO_MMAP, finds) the regions of a ring from the params the kernel answered. 0 or -errno. */
static int ring_map(struct ring *ring, const uint8_t *params, uint32_t array_off) {
    struct sizes s = ring_sizes(params, ring->flags, array_off);
    if (ring->flags & SETUP_NO_MMAP) {
        uint8_t *rings_mem = (uint8_t *)(uintptr_t)rd64(params + P_CQ_OFF + OFF_CQ_USER_ADDR);
        uint8_t *sqes_mem = (uint8_t *)(uintptr_t)rd64(params + P_SQ_OFF + OFF_SQ_USER_ADDR);
        /* the ring keeps its own hold on the pages the kernel pinned, whoever placed them */
        if (pages_acquire((uint64_t)(uintptr_t)rings_mem, s.rings) < 0) return -EFAULT;
        ring->user_pages[0][0] = (uint64_t)(uintptr_t)rings_mem;
        ring->user_pages[0][1] = s.rings;
        if (pages_acquire((uint64_t)(uintptr_t)sqes_mem, s.sqes) < 0) return -EFAULT;
        ring->user_pages[1][0] = (uint64_t)(uintptr_t)sqes_mem;
        ring->user_pages[1][1] = s.sqes;
        if (region_set(&ring->r[0], rings_mem, s.rings, 0)) return -ENOMEM;
        if (region_set(&ring->r[2], sqes_mem, s.sqes, 0)) return -ENOMEM;
        return 0;
    }
    int single = (ring->features & FEAT_SINGLE_MMAP) != 0;
    uint64_t sq_bytes = single && s.cq > s.sq ? s.cq : s.sq;
    void *sq = mmap(NULL, sq_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring->fd, MMAP_OFF_SQ_RING);
    if (sq == MAP_FAILED) return -errno;
    if (region_set(&ring->r[0], sq, sq_bytes, 1)) return -ENOMEM;
    if (!single) {
        void *cq = mmap(NULL, s.cq, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring->fd, MMAP_OFF_CQ_RING);
        if (cq == MAP_FAILED) return -errno;
        if (region_set(&ring->r[1], cq, s.cq, 1)) return -ENOMEM;
    }
    void *sqes = mmap(NULL, s.sqes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring->fd, MMAP_OFF_SQES);
    if (sqes == MAP_FAILED) return -errno;
    if (region_set(&ring->r[2], sqes, s.sqes, 1)) return -ENOMEM;
    return 0;
}

/* ---- frames ---- */

struct buf { uint8_t *p; size_t len, cap; };

static void buf_need(struct buf *b, size_t more) {
    if (b->len + more <= b->cap) return;
    size_t n = b->cap ? b->cap : 4096;
    while (n < b->len + more) n *= 2;
    b->p = realloc(b->p, n);
    if (!b->p) die("out of memory");
    b->cap = n;
}
static void put(struct buf *b, const void *v, size_t n) { buf_need(b, n); memcpy(b->p + b->len, v, n); b->len += n; }
static void put8(struct buf *b, uint8_t v) { put(b, &v, 1); }
static void put32(struct buf *b, uint32_t v) { put(b, &v, 4); }
static void put64(struct buf *b, uint64_t v) { put(b, &v, 8); }

struct reader { const uint8_t *p, *end; int bad; };
static const uint8_t *take(struct reader *r, size_t n) {
    if (r->bad || (size_t)(r->end - r->p) < n) { r->bad = 1; return NULL; }
    const uint8_t *at = r->p;
    r->p += n;
    return at;
}
static uint8_t get8(struct reader *r) { const uint8_t *p = take(r, 1); return p ? *p : 0; }
static uint32_t get32(struct reader *r) { const uint8_t *p = take(r, 4); return p ? rd32(p) : 0; }
static uint64_t get64(struct reader *r) { const uint8_t *p = take(r, 8); return p ? rd64(p) : 0; }

static void write_all(int fd, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) die("the host channel is gone (write: %s)", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}

static int read_all(int fd, uint8_t *p, size_t n) {
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) { struct pollfd pf = { fd, POLLIN, 0 }; poll(&pf, 1, -1); continue; }
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* ---- diffs ---- */

/* Appends the byte runs where cur differs from shadow as (offset, length, bytes), updating shadow. Counts them. */
static uint32_t diff_into(struct buf *b, const uint8_t *cur, uint8_t *shadow, uint64_t n) {
    uint32_t count = 0;
    uint64_t i = 0;
    while (i < n) {
        while (i + 8 <= n && rd64(cur + i) == rd64(shadow + i)) i += 8;
        while (i < n && cur[i] == shadow[i]) i++;
        if (i >= n) break;
        uint64_t s = i;
        while (i < n && cur[i] != shadow[i]) i++;
        put32(b, (uint32_t)s);
        put32(b, (uint32_t)(i - s));
        put(b, cur + s, i - s);
        memcpy(shadow + s, cur + s, i - s);
        count++;
    }
    return count;
}

/* Applies (offset, length, bytes) runs to mem and shadow. 0, or -1 if a run lies outside. */
static int apply_runs(struct reader *r, uint8_t *mem, uint8_t *shadow, uint64_t size) {
    uint32_t n = get32(r);
    for (uint32_t k = 0; k < n && !r->bad; k++) {
        uint32_t off = get32(r), len = get32(r);
        const uint8_t *bytes = take(r, len);
        if (!bytes || (uint64_t)off + len > size) return -1;
        if (mem) memcpy(mem + off, bytes, len);
        memcpy(shadow + off, bytes, len);
    }
    return r->bad ? -1 : 0;
}

/*
 * The memory section of a request: mirrors added, dropped, changed; ring regions changed; pages for NO_MMAP
 * placements. Returns 0, or -1 with error_text set.
 */
static int apply_memory(struct reader *r, uint32_t call_id) {
    uint32_t n = get32(r);
    for (uint32_t k = 0; k < n && !r->bad; k++) {
        uint8_t kind = get8(r);
        switch (kind) {
        case MEM_MIRROR_ADD:
        case MEM_TRANSIENT_ADD: {
            uint64_t addr = get64(r);
            uint32_t len = get32(r);
            const uint8_t *bytes = take(r, len);
            if (!bytes) break;
            int m = pages_acquire(addr, len);
            if (m < 0) return -1;
            if (mirrors_len == mirrors_cap) {
                mirrors_cap = mirrors_cap ? mirrors_cap * 2 : 64;
                mirrors = realloc(mirrors, mirrors_cap * sizeof *mirrors);
                if (!mirrors) die("out of memory");
            }
            struct mirror *mi = &mirrors[mirrors_len++];
            mi->addr = addr;
            mi->len = len;
            mi->transient_call = kind == MEM_TRANSIENT_ADD ? call_id : 0;
            mi->mapped = m;
            mi->shadow = malloc(len ? len : 1);
            if (!mi->shadow) die("out of memory");
            memcpy(mi->shadow, bytes, len);
            if (m) memcpy((void *)(uintptr_t)addr, bytes, len);
            break;
        }
        case MEM_MIRROR_DROP: {
            uint64_t addr = get64(r);
            uint32_t len = get32(r);
            struct mirror *mi = mirror_find(addr, len);
            if (mi) mirror_drop_at((size_t)(mi - mirrors));
            break;
        }
        case MEM_MIRROR_DIFF: {
            uint64_t addr = get64(r);
            uint32_t len = get32(r);
            struct mirror *mi = mirror_find(addr, len);
            if (!mi) { snprintf(error_text, sizeof error_text, "diff for an unknown mirror 0x%llx", (unsigned long long)addr); return -1; }
            if (apply_runs(r, mi->mapped ? (uint8_t *)(uintptr_t)addr : NULL, mi->shadow, len)) {
                snprintf(error_text, sizeof error_text, "a mirror diff lies outside its range");
                return -1;
            }
            break;
        }
        case MEM_REGION_DIFF: {
            uint32_t id = get32(r);
            uint8_t which = get8(r);
            struct ring *ring = ring_find(id);
            if (!ring || which > 2 || !ring->r[which].shadow) {
                snprintf(error_text, sizeof error_text, "diff for an unknown ring region %u/%u", id, which);
                return -1;
            }
            struct region *g = &ring->r[which];
            if (apply_runs(r, g->mem, g->shadow, g->size)) {
                snprintf(error_text, sizeof error_text, "a region diff lies outside ring %u region %u", id, which);
                return -1;
            }
            break;
        }
        case MEM_RING_PAGES: {
            /* NO_MMAP placements for a setup or resize of ring id: map them now, keep them with the ring. */
            uint32_t id = get32(r);
            uint8_t slot = get8(r);
            uint64_t addr = get64(r), len = get64(r);
            if (slot > 1) { r->bad = 1; break; }
            struct ring *ring = ring_find(id);
            if (!ring) {
                ring = calloc(1, sizeof *ring);
                if (!ring) die("out of memory");
                ring->id = id;
                ring->fd = -1;
                ring->next = rings;
                rings = ring;
            }
            if (pages_acquire(addr, len) < 0) return -1;
            ring->pending_pages[slot][0] = addr;
            ring->pending_pages[slot][1] = len;
            break;
        }
        default:
            r->bad = 1;
        }
    }
    if (r->bad) { snprintf(error_text, sizeof error_text, "a malformed memory section"); return -1; }
    return 0;
}

/*
 * The memory section of an answer: what the kernel changed in every mirror and ring region. The call's own
 * transient mirrors go afterwards (another call's stay until that call answers).
 */
static void collect_memory(struct buf *b, uint32_t call_id) {
    size_t count_at = b->len;
    put32(b, 0);
    uint32_t count = 0;
    for (size_t i = 0; i < mirrors_len; i++) {
        struct mirror *mi = &mirrors[i];
        if (!mi->mapped) continue;
        size_t head = b->len;
        put8(b, MEM_MIRROR_DIFF);
        put64(b, mi->addr);
        put32(b, mi->len);
        size_t n_at = b->len;
        put32(b, 0);
        uint32_t n = diff_into(b, (uint8_t *)(uintptr_t)mi->addr, mi->shadow, mi->len);
        if (n == 0) { b->len = head; continue; }
        memcpy(b->p + n_at, &n, 4);
        count++;
    }
    for (size_t i = 0; i < mirrors_len;) {
        if (mirrors[i].transient_call == call_id) mirror_drop_at(i); else i++;
    }
    for (struct ring *ring = rings; ring; ring = ring->next) {
        for (uint8_t w = 0; w < 3; w++) {
            struct region *g = &ring->r[w];
            if (!g->shadow || !g->mem) continue;
            size_t head = b->len;
            put8(b, MEM_REGION_DIFF);
            put32(b, ring->id);
            put8(b, w);
            size_t n_at = b->len;
            put32(b, 0);
            uint32_t n = diff_into(b, g->mem, g->shadow, g->size);
            if (n == 0) { b->len = head; continue; }
            memcpy(b->p + n_at, &n, 4);
            count++;
        }
    }
    memcpy(b->p + count_at, &count, 4);
}

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
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
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
        if (fd >= MAX_MIRRORED_FD || fd == in_fd || fd == out_fd || fd == diag_fd || ring_fd_in_use(fd)) continue;
        if (fd_mirrored[fd]) continue; /* made by an earlier request (a pipe's ends come in pairs) */
        int made = -1;
        if (kinds[i] == FD_PIPE_READ || kinds[i] == FD_PIPE_WRITE) {
            int p[2];
            if (pipe2(p, O_CLOEXEC)) continue;
            /* both ends of the host pipe with this inode */
            for (uint32_t j = i; j < n; j++) {
                if (groups[j] != groups[i] || (kinds[j] != FD_PIPE_READ && kinds[j] != FD_PIPE_WRITE)) continue;
                int target = (int)fds[j];
                if (target >= MAX_MIRRORED_FD || target == in_fd || target == out_fd || target == diag_fd
                    || ring_fd_in_use(target)) continue;
                int from = kinds[j] == FD_PIPE_READ ? p[0] : p[1];
                if (target != from && dup3(from, target, O_CLOEXEC) < 0) continue;
                fd_mirrored[target] = 1;
                fd_kind[target] = kinds[j];
                fd_group[target] = groups[j];
                mirrored++;
            }
            if (!fd_mirrored[p[0]]) close(p[0]);
            if (!fd_mirrored[p[1]]) close(p[1]);
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
    struct worker *next;
};
static struct worker *workers;
static pthread_mutex_t sched = PTHREAD_MUTEX_INITIALIZER; /* workers, queues and the role */
static pthread_cond_t main_cv = PTHREAD_COND_INITIALIZER;
#define MAIN_HOLDER ((struct worker *)1)
static struct worker *holder;   /* NULL: nobody; MAIN_HOLDER: the main thread; else that worker */
static int holder_executing;    /* the holder is serving a call, not reading */
static uint64_t executing_generation;

static void *worker_main(void *arg);

/* The worker of a host thread, created on first use. Called with sched held. */
static struct worker *worker_for(uint32_t thread) {
    for (struct worker *w = workers; w; w = w->next)
        if (w->thread == thread && !w->ending) return w;
    struct worker *w = calloc(1, sizeof *w);
    if (!w) die("out of memory");
    w->thread = thread;
    pthread_cond_init(&w->c, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    size_t stack = 1u << 20;
    void *mem = agent_map(stack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) die("cannot map a thread stack: %s", strerror(errno));
    pthread_attr_setstack(&attr, mem, stack);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&w->pthread, &attr, worker_main, w)) die("cannot create a thread");
    pthread_attr_destroy(&attr);
    w->next = workers;
    workers = w;
    return w;
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
    write_all(out_fd, (const uint8_t *)"RSAGENT1", 8);
    main_loop();
    return 0;
}
