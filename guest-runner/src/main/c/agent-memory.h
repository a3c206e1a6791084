/*
 * ringspec-agent, part 2 of 3: the memory kept equal with the host, and the frames that carry it. The agent's own
 * mappings, the reservation of the upper address space, host pages mirrored at the same addresses, mirrors and
 * ring regions with their last synced copies, frame buffers and readers, and the memory sections of requests
 * (apply_memory) and answers (collect_memory).
 *
 * Not a header of its own: ringspec-agent.c includes it after the protocol numbers and say/die, into one
 * translation unit (the agent is one static program built with one gcc call).
 */

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
