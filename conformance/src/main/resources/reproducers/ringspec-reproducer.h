/* ringspec lockstep reproducers' runtime: raw io_uring syscalls, the rings mapped with mmap, one function per
 * lockstep step kind (step_<kind>, the step's arguments in order, returning the result the trace prints), one
 * second thread for steps on another thread, and the trace's lines. A reproducer includes it and calls the steps
 * in order. Depends on nothing but libc; the uapi numbers come from ringspec-uapi.h, which ringspec writes from its
 * own uapi constants. Build a reproducer with: gcc -O1 -I <this directory> -o repro repro.c -lpthread */
#ifndef RINGSPEC_REPRODUCER_H
#define RINGSPEC_REPRODUCER_H
#define _GNU_SOURCE
#pragma GCC diagnostic ignored "-Wunused-function"
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define SYS_setup 425
#define SYS_enter 426
#define SYS_register 427
#include "ringspec-uapi.h"

/* The trace's lines as printf formats. ringspec's TraceFormat reads these very lines, so the engine's trace and
 * a reproducer's output have one format. */
#define TRACE_STEP "step %d: res %d sq %u %u %u %u cq %u %u %u %u"
#define TRACE_STEP_NO_RING "step %d: res %d no ring"
#define TRACE_REFUSED "step %d: refused"
#define TRACE_PROBE " probe %u %u"
#define TRACE_SQES "sqes:"
#define TRACE_SQE " {pos %u: opcode %u, flags 0x%x, ud %llu}"
#define TRACE_CQES "cqes:"
#define TRACE_CQE " {ud 0x%llx res %d flags 0x%x"
#define TRACE_CQE_BIG " big 0x%llx 0x%llx"
#define TRACE_CQE_END "}"
#define TRACE_NO_RING " no ring"

struct sq_offsets { uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array, resv1; uint64_t user_addr; };
struct cq_offsets { uint32_t head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1; uint64_t user_addr; };
struct params {
    uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd, resv[3];
    struct sq_offsets sq_off;
    struct cq_offsets cq_off;
};
struct rsrc_register { uint32_t nr, flags; uint64_t resv2, data, tags; };
struct files_update { uint32_t offset, resv; uint64_t fds; };

static int ring_fd = -1;
static struct params p;
static unsigned char *sq_ring, *cq_ring, *sqes;
static size_t sq_bytes, cq_bytes, sqes_bytes;
static uint32_t sq_mask, cq_mask, cq_entries, ring_flags;
static int res;
static int pipe_fds[2];
static int files[16];
static struct iovec iovecs[16];
static unsigned char buffers[16 * 4096] __attribute__((aligned(4096)));
/* struct io_uring_probe: last_op (u8), ops_len (u8), resv (u16), resv2 (u32[3]), then 8-byte ops. */
static unsigned char probe_buf[16 + 8 * 256] __attribute__((aligned(8)));

static int sys_result(long r) { return r < 0 ? -errno : (int) r; }
static uint32_t *u32(unsigned char *base, uint32_t off) { return (uint32_t *) (base + off); }

static void unmap_ring(void) {
    if (sqes) munmap(sqes, sqes_bytes);
    if (cq_ring && cq_ring != sq_ring) munmap(cq_ring, cq_bytes);
    if (sq_ring) munmap(sq_ring, sq_bytes);
    sq_ring = cq_ring = sqes = NULL;
}

static void map_ring(void) {
    uint32_t cqe_size = (ring_flags & IORING_SETUP_CQE32) ? 32 : 16;
    uint32_t sqe_size = (ring_flags & IORING_SETUP_SQE128) ? 128 : 64;
    if (!(ring_flags & IORING_SETUP_NO_SQARRAY)) {
        sq_bytes = p.sq_off.array + p.sq_entries * 4u;
    } else {
        uint32_t m = p.sq_off.head;
        if (p.sq_off.tail > m) m = p.sq_off.tail;
        if (p.sq_off.flags > m) m = p.sq_off.flags;
        if (p.sq_off.dropped > m) m = p.sq_off.dropped;
        sq_bytes = m + 4u;
    }
    cq_bytes = p.cq_off.cqes + (size_t) p.cq_entries * cqe_size;
    int single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
    if (single && cq_bytes > sq_bytes) sq_bytes = cq_bytes;
    sq_ring = mmap(NULL, sq_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, 0);
    cq_ring = single ? sq_ring : mmap(NULL, cq_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_CQ_RING);
    sqes_bytes = (size_t) p.sq_entries * sqe_size;
    sqes = mmap(NULL, sqes_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQES);
    if (sq_ring == MAP_FAILED || cq_ring == MAP_FAILED || sqes == MAP_FAILED) { perror("mmap"); _exit(2); }
    sq_mask = p.sq_entries - 1;
    cq_mask = p.cq_entries - 1;
    cq_entries = p.cq_entries;
}

/* One function per lockstep step kind, named after it, taking the step's arguments in order;
 * each returns the result the trace prints (0 for a step that is no syscall). */
static int step_setup(uint32_t entries, uint32_t flags, uint32_t cq) {
    if (ring_fd >= 0) { unmap_ring(); close(ring_fd); ring_fd = -1; }
    memset(&p, 0, sizeof p);
    p.flags = flags;
    p.cq_entries = cq;
    long r = syscall(SYS_setup, entries, &p);
    if (r < 0) return sys_result(r);
    ring_fd = (int) r;
    ring_flags = p.flags;
    map_ring();
    return 0;
}

/* Zeroes size bytes at s and writes the SQE's fields into the first 64. */
static void put_sqe(unsigned char *s, uint32_t size, uint8_t opcode, uint8_t flags, uint16_t ioprio, int32_t fd,
        uint64_t off, uint64_t addr, uint32_t len, uint32_t op_flags, uint64_t user_data, uint16_t buf_index,
        uint16_t personality) {
    memset(s, 0, size);
    s[0] = opcode; s[1] = flags;
    memcpy(s + 2, &ioprio, 2); memcpy(s + 4, &fd, 4); memcpy(s + 8, &off, 8); memcpy(s + 16, &addr, 8);
    memcpy(s + 24, &len, 4); memcpy(s + 28, &op_flags, 4); memcpy(s + 32, &user_data, 8);
    memcpy(s + 40, &buf_index, 2); memcpy(s + 42, &personality, 2);
}

static int step_write_sqe(uint32_t slot, uint8_t opcode, uint8_t flags, uint16_t ioprio, int32_t fd,
        uint64_t off, uint64_t addr, uint32_t len, uint32_t op_flags, uint64_t user_data, uint16_t buf_index,
        uint16_t personality) {
    if (ring_fd < 0) return -EBADF; /* no ring (setup failed on this kernel): nothing to touch */
    uint32_t size = (ring_flags & IORING_SETUP_SQE128) ? 128 : 64;
    put_sqe(sqes + (size_t) (slot & sq_mask) * size, size, opcode, flags, ioprio, fd, off, addr, len, op_flags,
            user_data, buf_index, personality);
    return 0;
}

/* A 128-byte SQE (NOP128 on an SQE_MIXED ring): on 64-byte slots its second half takes the next slot, zero but
 * for ~user_data where an SQE's user_data sits; in the last slot only the first half is written: the second would
 * lie past the SQE array. */
static int step_write_sqe128(uint32_t slot, uint8_t opcode, uint8_t flags, uint16_t ioprio, int32_t fd,
        uint64_t off, uint64_t addr, uint32_t len, uint32_t op_flags, uint64_t user_data, uint16_t buf_index,
        uint16_t personality) {
    if (ring_fd < 0) return -EBADF; /* no ring (setup failed on this kernel): nothing to touch */
    uint32_t slot_size = (ring_flags & IORING_SETUP_SQE128) ? 128 : 64;
    uint32_t index = slot & sq_mask;
    uint32_t size = slot_size == 128 || index + 1 < p.sq_entries ? 128 : 64;
    unsigned char *s = sqes + (size_t) index * slot_size;
    put_sqe(s, size, opcode, flags, ioprio, fd, off, addr, len, op_flags, user_data, buf_index, personality);
    if (size == 128) {
        uint64_t second = ~user_data;
        memcpy(s + 64 + 32, &second, 8);
    }
    return 0;
}

static int step_write_array(uint32_t position, uint32_t value) {
    if (ring_fd < 0) return -EBADF; /* no ring (setup failed on this kernel): nothing to touch */
    if (!(ring_flags & IORING_SETUP_NO_SQARRAY))
        __atomic_store_n(u32(sq_ring, p.sq_off.array + (position & sq_mask) * 4u), value, __ATOMIC_RELAXED);
    return 0;
}

static int step_publish_tail(uint32_t delta) {
    if (ring_fd < 0) return -EBADF; /* no ring (setup failed on this kernel): nothing to touch */
    uint32_t *tail = u32(sq_ring, p.sq_off.tail);
    __atomic_store_n(tail, __atomic_load_n(tail, __ATOMIC_RELAXED) + delta, __ATOMIC_RELEASE);
    return 0;
}

static int step_enter(uint32_t to_submit, uint32_t min_complete, uint32_t flags) {
    return sys_result(syscall(SYS_enter, ring_fd, to_submit, min_complete, flags, NULL, 0));
}

/* How many 16-byte slots the CQE at counter head takes (1 or 2), or 0 where the ring is malformed there,
 * as ringspec's CqeReader rules: F_32 and F_SKIP only on a CQE_MIXED ring, a skip CQE only in the last
 * slot, a 32-byte CQE never in the last slot nor cut by the tail. A CQE32 ring's slots are 32 bytes. */
static uint32_t slot_count(uint32_t head, uint32_t tail) {
    uint32_t cqe_size = (ring_flags & IORING_SETUP_CQE32) ? 32 : 16;
    uint32_t index = head & cq_mask, f;
    memcpy(&f, cq_ring + p.cq_off.cqes + (size_t) index * cqe_size + 12, 4);
    int big = (f & IORING_CQE_F_32) != 0, skip = (f & IORING_CQE_F_SKIP) != 0;
    if (!(ring_flags & IORING_SETUP_CQE_MIXED)) return big || skip ? 0 : 1;
    if (skip) return !big && index == cq_mask ? 1 : 0;
    if (big) return index != cq_mask && tail - head >= 2 ? 2 : 0;
    return 1;
}

static int step_consume_cqes(int count, int per_slot) {
    if (ring_fd < 0) return -EBADF; /* no ring (setup failed on this kernel): nothing to touch */
    uint32_t head = __atomic_load_n(u32(cq_ring, p.cq_off.head), __ATOMIC_RELAXED);
    uint32_t tail = __atomic_load_n(u32(cq_ring, p.cq_off.tail), __ATOMIC_ACQUIRE);
    for (int i = 0; i < count && head != tail; i++) {
        uint32_t n = per_slot ? 1 : slot_count(head, tail);
        if (n == 0) break; /* a malformed CQE: the application stops before it */
        head += n;
    }
    __atomic_store_n(u32(cq_ring, p.cq_off.head), head, __ATOMIC_RELEASE);
    return 0;
}

static int step_move_cq_head(uint32_t delta) {
    if (ring_fd < 0) return -EBADF; /* no ring (setup failed on this kernel): nothing to touch */
    uint32_t *head = u32(cq_ring, p.cq_off.head);
    __atomic_store_n(head, __atomic_load_n(head, __ATOMIC_RELAXED) + delta, __ATOMIC_RELEASE);
    return 0;
}

static int step_move_sq_head(uint32_t delta) {
    if (ring_fd < 0) return -EBADF; /* no ring (setup failed on this kernel): nothing to touch */
    uint32_t *head = u32(sq_ring, p.sq_off.head);
    __atomic_store_n(head, __atomic_load_n(head, __ATOMIC_RELAXED) + delta, __ATOMIC_RELAXED);
    return 0;
}

static int do_register(uint32_t opcode, void *arg, uint32_t nr) {
    return sys_result(syscall(SYS_register, ring_fd, opcode, arg, nr));
}

/* Which descriptor slot i of a file-table argument holds: 2 bits of pattern per slot. */
static int file_for(uint32_t pattern, int slot) {
    int kind = slot >= 16 ? 0 : (int) ((pattern >> (2 * slot)) & 3u);
    return kind == 1 ? pipe_fds[0] : kind == 2 ? pipe_fds[1] : -1;
}

static void fill_files(int count, uint32_t pattern) {
    memset(files, 0, sizeof files);
    for (int i = 0; i < count && i < 16; i++) files[i] = file_for(pattern, i);
}

static int step_register_files(int count, int sparse, uint32_t pattern) {
    if (sparse) {
        struct rsrc_register r = {0};
        r.nr = (uint32_t) count;
        r.flags = IORING_RSRC_REGISTER_SPARSE;
        return do_register(IORING_REGISTER_FILES2, &r, sizeof r);
    }
    fill_files(count, pattern);
    return do_register(IORING_REGISTER_FILES, files, (uint32_t) count);
}

static int step_update_files(uint32_t offset, int count, uint32_t pattern) {
    struct files_update u = {0};
    fill_files(count, pattern);
    u.offset = offset;
    u.fds = (uint64_t) (uintptr_t) files;
    return do_register(IORING_REGISTER_FILES_UPDATE, &u, (uint32_t) count);
}

static int step_unregister_files(void) { return do_register(IORING_UNREGISTER_FILES, NULL, 0); }

static int step_register_buffers(int count, int length) {
    for (int i = 0; i < count && i < 16; i++) {
        iovecs[i].iov_base = buffers + (size_t) i * 4096;
        iovecs[i].iov_len = (size_t) (length < 4096 ? length : 4096);
    }
    return do_register(IORING_REGISTER_BUFFERS, iovecs, (uint32_t) count);
}

static int step_unregister_buffers(void) { return do_register(IORING_UNREGISTER_BUFFERS, NULL, 0); }

static int step_enable_rings(void) { return do_register(IORING_REGISTER_ENABLE_RINGS, NULL, 0); }

static int step_resize(uint32_t sq, uint32_t cq, uint32_t flags) {
    struct params rp;
    memset(&rp, 0, sizeof rp);
    rp.sq_entries = sq;
    rp.cq_entries = cq;
    rp.flags = flags;
    int r = do_register(IORING_REGISTER_RESIZE_RINGS, &rp, 1);
    if (r < 0) return r;
    /* New regions at the same offsets; 6.18 writes neither sq_off.array nor features back. */
    unmap_ring();
    p.sq_entries = rp.sq_entries;
    p.cq_entries = rp.cq_entries;
    p.sq_off = rp.sq_off;
    p.cq_off = rp.cq_off;
    size_t end = 64 + (size_t) rp.cq_entries * 16;
    if (ring_flags & IORING_SETUP_CQE32) end <<= 1;
    p.sq_off.array = (ring_flags & IORING_SETUP_NO_SQARRAY) ? 0 : (uint32_t) ((end + 63) & ~(size_t) 63);
    map_ring();
    return r;
}

/* A zeroed io_uring_probe of 16 + 8 * min(nr, 256) bytes. */
static int step_probe(uint32_t nr) {
    memset(probe_buf, 0, sizeof probe_buf);
    return do_register(IORING_REGISTER_PROBE, probe_buf, nr);
}

/* One second thread for the whole program, as the engine has: a SINGLE_ISSUER ring remembers its task. */
static sem_t go, done;
static int (*pending)(void);
static int pending_res;
static int worker_started;

static void *worker_main(void *arg) {
    (void) arg;
    for (;;) {
        sem_wait(&go);
        pending_res = pending();
        sem_post(&done);
    }
    return NULL;
}

static int on_other_thread(int (*call)(void)) {
    if (!worker_started) {
        pthread_t t;
        sem_init(&go, 0, 0);
        sem_init(&done, 0, 0);
        if (pthread_create(&t, NULL, worker_main, NULL) != 0) { perror("pthread_create"); _exit(2); }
        worker_started = 1;
    }
    pending = call;
    sem_post(&go);
    sem_wait(&done);
    return pending_res;
}

/* Steps on the task. A fork continues the program in the child process: the parent waits and exits with the
 * child's status. The child has no second thread; it starts its own on first use. */
static int step_fork_task(int drop_cap_sys_admin) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid > 0) {
        int status;
        if (waitpid(pid, &status, 0) < 0) _exit(2);
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 2);
    }
    worker_started = 0;
    if (drop_cap_sys_admin) {
        /* capset(2), _LINUX_CAPABILITY_VERSION_3: CAP_SYS_ADMIN (21) out of the effective and permitted sets */
        struct { uint32_t version; int pid; } header = { 0x20080522, 0 };
        struct { uint32_t effective, permitted, inheritable; } data[2];
        if (syscall(SYS_capget, &header, data) != 0) return -errno;
        data[0].effective &= ~(1u << 21);
        data[0].permitted &= ~(1u << 21);
        if (syscall(SYS_capset, &header, data) != 0) return -errno;
    }
    return 0;
}

static int step_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ? -errno : 0; }

static unsigned char task_restriction_buf[16 + 16 * 256] __attribute__((aligned(8)));

/* The first two io_uring_restriction entries after the 16-byte header: pattern's type (high byte) and value. */
static void fill_restriction_entries(uint32_t pattern) {
    for (int i = 0; i < 2; i++) {
        uint16_t type = (uint16_t) ((pattern >> (16 * i + 8)) & 0xff);
        memcpy(task_restriction_buf + 16 + 16 * i, &type, 2);
        task_restriction_buf[16 + 16 * i + 2] = (unsigned char) (pattern >> (16 * i));
    }
}

/* struct io_uring_task_restriction {u16 flags, nr_res; u32 resv[3]} and 16-byte io_uring_restriction entries. */
static int step_register_task_restrictions(uint32_t nr_args, uint32_t flags, int resv, int nr_res,
                                           uint32_t pattern) {
    memset(task_restriction_buf, 0, sizeof task_restriction_buf);
    uint16_t f = (uint16_t) flags, n = (uint16_t) nr_res;
    memcpy(task_restriction_buf, &f, 2);
    memcpy(task_restriction_buf + 2, &n, 2);
    memcpy(task_restriction_buf + 4, &resv, 4);
    fill_restriction_entries(pattern);
    return sys_result(syscall(SYS_register, -1, IORING_REGISTER_RESTRICTIONS, task_restriction_buf, nr_args));
}

/* The ring's own restrictions: nr_args entries where a task registration's follow its 16-byte header. */
static int step_register_restrictions(int nr_args, uint32_t pattern) {
    if (ring_fd < 0) return -EBADF; /* fd -1 would restrict this task instead */
    memset(task_restriction_buf, 0, sizeof task_restriction_buf);
    fill_restriction_entries(pattern);
    return do_register(IORING_REGISTER_RESTRICTIONS, task_restriction_buf + 16, (uint32_t) nr_args);
}

/* IORING_REGISTER_BPF_FILTER: struct io_uring_bpf {u16 cmd_type, cmd_flags; u32 resv; struct io_uring_bpf_filter
 * {u32 opcode, flags, filter_len; u8 pdu_size, resv[3]; u64 filter_ptr, resv2[5]}} and the program, one struct
 * sock_filter {u16 code; u8 jt, jf; u32 k} per long (code in bits 48-63, jt 40-47, jf 32-39, k 0-31). arg_form: 0
 * the program, 1 a NULL argument, 2 a NULL filter_ptr, 3 an unmapped filter_ptr; resv_flags bit 0 sets
 * filter.resv[1], bit 1 filter.resv2[4]. The instructions past the program are zero. */
static unsigned char bpf_arg[80] __attribute__((aligned(8)));
static unsigned char bpf_program[(4096 + 2) * 8] __attribute__((aligned(8)));

static void *fill_bpf_arg(int arg_form, int cmd_type, int cmd_flags, int resv, int opcode, uint32_t flags,
        int filter_len, int pdu_size, uint32_t resv_flags, const unsigned long long *program, int n) {
    memset(bpf_arg, 0, sizeof bpf_arg);
    memset(bpf_program, 0, sizeof bpf_program);
    for (int i = 0; i < n && i <= 4096; i++) {
        uint16_t code = (uint16_t) (program[i] >> 48);
        uint32_t k = (uint32_t) program[i];
        memcpy(bpf_program + 8 * i, &code, 2);
        bpf_program[8 * i + 2] = (unsigned char) (program[i] >> 40);
        bpf_program[8 * i + 3] = (unsigned char) (program[i] >> 32);
        memcpy(bpf_program + 8 * i + 4, &k, 4);
    }
    uint16_t t = (uint16_t) cmd_type, f = (uint16_t) cmd_flags;
    memcpy(bpf_arg, &t, 2); memcpy(bpf_arg + 2, &f, 2); memcpy(bpf_arg + 4, &resv, 4);
    memcpy(bpf_arg + 8, &opcode, 4); memcpy(bpf_arg + 12, &flags, 4); memcpy(bpf_arg + 16, &filter_len, 4);
    bpf_arg[20] = (unsigned char) pdu_size;
    if (resv_flags & 1) bpf_arg[21 + 1] = 1;
    if (resv_flags & 2) bpf_arg[32 + 4] = 1;
    uint64_t ptr = arg_form == 2 ? 0 : arg_form == 3 ? 0x10 : (uint64_t) (uintptr_t) bpf_program;
    memcpy(bpf_arg + 24, &ptr, 8);
    return arg_form == 1 ? NULL : bpf_arg;
}

static int step_register_bpf_filter(uint32_t nr_args, int arg_form, int cmd_type, int cmd_flags, int resv,
        int opcode, uint32_t flags, int filter_len, int pdu_size, uint32_t resv_flags,
        const unsigned long long *program, int n) {
    void *arg = fill_bpf_arg(arg_form, cmd_type, cmd_flags, resv, opcode, flags, filter_len, pdu_size, resv_flags,
            program, n);
    return sys_result(syscall(SYS_register, ring_fd, IORING_REGISTER_BPF_FILTER, arg, nr_args));
}

static int step_register_task_bpf_filter(uint32_t nr_args, int arg_form, int cmd_type, int cmd_flags, int resv,
        int opcode, uint32_t flags, int filter_len, int pdu_size, uint32_t resv_flags,
        const unsigned long long *program, int n) {
    void *arg = fill_bpf_arg(arg_form, cmd_type, cmd_flags, resv, opcode, flags, filter_len, pdu_size, resv_flags,
            program, n);
    return sys_result(syscall(SYS_register, -1, IORING_REGISTER_BPF_FILTER, arg, nr_args));
}

/* The SQEs of SOCKET, OPENAT, OPENAT2 and CONNECT, their pointers aimed at memory per SQE index: the paths (every
 * one fails without touching a file system), an open_how and a sockaddr. */
static char long_path[4200];
static const char *path_for(int path) {
    switch (path) {
    case 0: return "/ringspec-absent/f";
    case 1: return NULL;
    case 2: return "";
    case 3:
        memcpy(long_path, "/ringspec-absent/", 17);
        memset(long_path + 17, 'n', 4100);
        long_path[17 + 4100] = 0;
        return long_path;
    case 4: return (const char *) 0x10;
    case 5: return "/ringspec-absent/d/";
    default: return NULL;
    }
}
static uint64_t open_hows[32][8];
static unsigned char sockaddrs[32][128] __attribute__((aligned(8)));

static unsigned char *arg_sqe(uint32_t slot, uint8_t opcode, uint8_t flags, int32_t fd, uint64_t off, uint64_t addr,
        uint32_t len, uint32_t op_flags, uint64_t user_data, uint32_t file_index) {
    uint32_t size = (ring_flags & IORING_SETUP_SQE128) ? 128 : 64;
    unsigned char *s = sqes + (size_t) (slot & sq_mask) * size;
    put_sqe(s, size, opcode, flags, 0, fd, off, addr, len, op_flags, user_data, 0, 0);
    memcpy(s + 44, &file_index, 4);
    return s;
}

static int step_write_socket(uint32_t slot, uint32_t flags, int domain, uint32_t type, int protocol,
        uint32_t rw_flags, uint32_t file_index, uint64_t user_data) {
    if (ring_fd < 0) return -EBADF;
    arg_sqe(slot, IORING_OP_SOCKET, (uint8_t) flags, domain, type, 0, (uint32_t) protocol, rw_flags, user_data,
            file_index);
    return 0;
}

static int step_write_openat(uint32_t slot, uint32_t flags, int dfd, int path, uint32_t open_flags, int mode,
        uint32_t file_index, uint64_t user_data) {
    if (ring_fd < 0) return -EBADF;
    arg_sqe(slot, IORING_OP_OPENAT, (uint8_t) flags, dfd, 0, (uint64_t) (uintptr_t) path_for(path), (uint32_t) mode,
            open_flags, user_data, file_index);
    return 0;
}

static int step_write_openat2(uint32_t slot, uint32_t flags, int dfd, int path, uint64_t how_flags, uint64_t mode,
        uint64_t resolve, int how_size, uint32_t file_index, uint64_t user_data) {
    if (ring_fd < 0) return -EBADF;
    uint64_t *how = open_hows[(slot & sq_mask) % 32];
    memset(how, 0, 64);
    how[0] = how_flags; how[1] = mode; how[2] = resolve;
    arg_sqe(slot, IORING_OP_OPENAT2, (uint8_t) flags, dfd, (uint64_t) (uintptr_t) how,
            (uint64_t) (uintptr_t) path_for(path), (uint32_t) how_size, 0, user_data, file_index);
    return 0;
}

/* The sockaddr: family, the port big-endian, then the address big-endian in every 4 bytes from byte 4 on. */
static int step_write_connect(uint32_t slot, uint32_t flags, int fd, int family, int port, uint32_t address,
        int addr_len, uint32_t file_index, uint64_t user_data) {
    if (ring_fd < 0) return -EBADF;
    unsigned char *a = sockaddrs[(slot & sq_mask) % 32];
    for (int at = 4; at < 128; at += 4) {
        a[at] = (unsigned char) (address >> 24); a[at + 1] = (unsigned char) (address >> 16);
        a[at + 2] = (unsigned char) (address >> 8); a[at + 3] = (unsigned char) address;
    }
    uint16_t fam = (uint16_t) family;
    memcpy(a, &fam, 2);
    a[2] = (unsigned char) (port >> 8); a[3] = (unsigned char) port;
    arg_sqe(slot, IORING_OP_CONNECT, (uint8_t) flags, fd, (uint64_t) (int64_t) addr_len, (uint64_t) (uintptr_t) a,
            0, 0, user_data, file_index);
    return 0;
}

/* The trace lines, in the formats of ringspec's TraceFormat. */
static void print_line(int step, const char *extra) {
    if (ring_fd < 0) { printf(TRACE_STEP_NO_RING, step, res); printf("%s\n", extra); return; }
    printf(TRACE_STEP, step, res,
            __atomic_load_n(u32(sq_ring, p.sq_off.head), __ATOMIC_ACQUIRE),
            __atomic_load_n(u32(sq_ring, p.sq_off.tail), __ATOMIC_RELAXED),
            __atomic_load_n(u32(sq_ring, p.sq_off.dropped), __ATOMIC_RELAXED),
            __atomic_load_n(u32(sq_ring, p.sq_off.flags), __ATOMIC_RELAXED),
            __atomic_load_n(u32(cq_ring, p.cq_off.head), __ATOMIC_RELAXED),
            __atomic_load_n(u32(cq_ring, p.cq_off.tail), __ATOMIC_ACQUIRE),
            __atomic_load_n(u32(cq_ring, p.cq_off.overflow), __ATOMIC_RELAXED),
            __atomic_load_n(u32(cq_ring, p.cq_off.flags), __ATOMIC_RELAXED));
    printf("%s\n", extra);
}

static void print_state(int step) { print_line(step, ""); }

static void print_refused(int step) { printf(TRACE_REFUSED, step); printf("\n"); }

/* A PROBE step's line also shows the last_op and ops_len the kernel wrote back. */
static void print_probe(int step) {
    char extra[32];
    snprintf(extra, sizeof extra, TRACE_PROBE, (unsigned) probe_buf[0], (unsigned) probe_buf[1]);
    print_line(step, extra);
}

/* The SQEs between the SQ ring's head and tail (at most one ring's worth), by position. */
static void print_pending_sqes(void) {
    printf(TRACE_SQES);
    if (ring_fd < 0) { printf(TRACE_NO_RING); printf("\n"); return; }
    uint32_t head = __atomic_load_n(u32(sq_ring, p.sq_off.head), __ATOMIC_ACQUIRE);
    uint32_t tail = __atomic_load_n(u32(sq_ring, p.sq_off.tail), __ATOMIC_RELAXED);
    uint32_t sqe_size = (ring_flags & IORING_SETUP_SQE128) ? 128 : 64;
    uint32_t n = tail - head < p.sq_entries ? tail - head : p.sq_entries;
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *e = sqes + (size_t) ((head + i) & sq_mask) * sqe_size;
        uint64_t ud;
        memcpy(&ud, e + 32, 8);
        printf(TRACE_SQE, head + i, (unsigned) e[0], (unsigned) e[1], (unsigned long long) ud);
    }
    printf("\n");
}

/* The slots between the CQ head and tail (at most one ring's worth), as the engine compares them. */
static void print_cqes(void) {
    printf(TRACE_CQES);
    if (ring_fd < 0) { printf(TRACE_NO_RING); printf("\n"); return; }
    uint32_t head = __atomic_load_n(u32(cq_ring, p.cq_off.head), __ATOMIC_RELAXED);
    uint32_t tail = __atomic_load_n(u32(cq_ring, p.cq_off.tail), __ATOMIC_ACQUIRE);
    uint32_t cqe_size = (ring_flags & IORING_SETUP_CQE32) ? 32 : 16;
    uint32_t n = tail - head < p.cq_entries ? tail - head : p.cq_entries;
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *c = cq_ring + p.cq_off.cqes + (size_t) ((head + i) & cq_mask) * cqe_size;
        uint64_t ud, big0, big1;
        int32_t r;
        uint32_t f;
        memcpy(&ud, c, 8);
        memcpy(&r, c + 8, 4);
        memcpy(&f, c + 12, 4);
        printf(TRACE_CQE, (unsigned long long) ud, r, f);
        if (cqe_size == 32) {
            memcpy(&big0, c + 16, 8);
            memcpy(&big1, c + 24, 8);
            printf(TRACE_CQE_BIG, (unsigned long long) big0, (unsigned long long) big1);
        }
        printf(TRACE_CQE_END);
    }
    printf("\n");
}

#endif
