package dev.ringspec.lockstep;

import java.util.List;

/**
 * Writes a standalone C program that performs the same steps on the running kernel with raw syscalls
 * ({@code io_uring_setup}, {@code io_uring_enter}, {@code io_uring_register} through {@code syscall(2)}, the rings
 * mapped with {@code mmap}; {@link Op.OnOtherThread} steps on one second thread that lives as long as the
 * program, like the engine's) and prints, after each step, the line {@link LockstepRunner#trace} prints for the
 * kernel side, and after the last step the pending SQEs and the visible CQE slots, as the engine compares them. Steps the engine refused are printed as refused and not performed. It depends on nothing but libc:
 * the uapi structs it needs are declared in the program.
 */
public final class CReproducer {
    private CReproducer() {
    }

    /**
     * The program for {@code ops}; {@code refused[i]} says the engine refused step {@code i} (its trace line was
     * {@code "refused"}).
     */
    public static String generate(String title, List<Op> ops, boolean[] refused) {
        StringBuilder b = new StringBuilder(PRELUDE.replace("@TITLE@", title.replace("*/", "* /")));
        b.append("int main(void) {\n");
        b.append("    if (pipe(pipe_fds) != 0) { perror(\"pipe\"); return 2; }\n");
        for (int i = 0; i < ops.size(); i++) {
            b.append("    /* ").append(ops.get(i).describe().replace("*/", "* /")).append(" */\n");
            if (refused[i]) {
                b.append("    printf(\"step ").append(i).append(": refused\\n\");\n");
                continue;
            }
            b.append("    ").append(statement(ops.get(i), false)).append('\n');
            b.append(ops.get(i) instanceof Op.Probe ? "    print_probe(" : "    print_state(").append(i).append(");\n");
        }
        b.append("    print_pending_sqes();\n");
        b.append("    print_cqes();\n");
        b.append("    return 0;\n}\n");
        return b.toString();
    }

    private static String statement(Op op, boolean otherThread) {
        return switch (op) {
            case Op.Setup s -> "do_setup(" + s.entries() + "u, 0x" + Integer.toHexString(s.flags()) + "u, "
                    + s.cqEntries() + "u);";
            case Op.WriteSqe w -> "write_sqe(" + w.slot() + "u, " + w.opcode() + ", 0x" + Integer.toHexString(w.flags())
                    + ", " + w.ioprio() + ", " + w.fd() + ", 0x" + Long.toHexString(w.off()) + "ull, 0x"
                    + Long.toHexString(w.addr()) + "ull, 0x" + Integer.toHexString(w.len()) + "u, 0x"
                    + Integer.toHexString(w.opFlags()) + "u, 0x" + Long.toHexString(w.userData()) + "ull, "
                    + w.bufIndex() + ", " + w.personality() + ");";
            case Op.WriteArray a -> "write_array(" + a.position() + "u, 0x" + Integer.toHexString(a.value()) + "u);";
            case Op.PublishTail p -> "publish_tail(0x" + Integer.toHexString(p.delta()) + "u);";
            case Op.Enter e -> "res = do_enter(" + e.toSubmit() + "u, " + e.minComplete() + "u, 0x"
                    + Integer.toHexString(e.flags()) + "u);";
            case Op.ConsumeCqes c -> "consume(" + c.count() + ", " + (c.perSlot() ? 1 : 0) + ");";
            case Op.MoveCqHead m -> "move_head(0x" + Integer.toHexString(m.delta()) + "u);";
            case Op.MoveSqHead m -> "move_sq_head(0x" + Integer.toHexString(m.delta()) + "u);";
            case Op.RegisterFiles r -> "res = register_files(" + r.count() + ", " + (r.sparse() ? 1 : 0) + ", 0x"
                    + Integer.toHexString(r.pattern()) + "u);";
            case Op.UpdateFiles u -> "res = update_files(" + u.offset() + "u, " + u.count() + ", 0x"
                    + Integer.toHexString(u.pattern()) + "u);";
            case Op.UnregisterFiles u -> "res = do_register(" + 3 + ", NULL, 0);";
            case Op.RegisterBuffers rb -> "res = register_buffers(" + rb.count() + ", " + rb.lengthBytes() + ");";
            case Op.UnregisterBuffers u -> "res = do_register(" + 1 + ", NULL, 0);";
            case Op.EnableRings e -> "res = do_register(" + 12 + ", NULL, 0);";
            case Op.Resize r -> "res = do_resize(" + r.sqEntries() + "u, " + r.cqEntries() + "u, 0x"
                    + Integer.toHexString(r.flags()) + "u);";
            case Op.Probe pr -> "res = do_probe(" + pr.nrArgs() + "u);";
            case Op.OnOtherThread o -> "res = on_other_thread(" + otherThreadKind(o.op()) + ");";
        };
    }

    /** The other thread runs one syscall step: its arguments go through a struct. */
    private static String otherThreadKind(Op op) {
        return switch (op) {
            case Op.Enter e -> "(struct call){0, " + e.toSubmit() + "u, " + e.minComplete() + "u, 0x"
                    + Integer.toHexString(e.flags()) + "u}";
            case Op.RegisterFiles r -> "(struct call){1, " + r.count() + "u, " + (r.sparse() ? 1 : 0) + "u, 0x"
                    + Integer.toHexString(r.pattern()) + "u}";
            case Op.UpdateFiles u -> "(struct call){2, " + u.offset() + "u, " + u.count() + "u, 0x"
                    + Integer.toHexString(u.pattern()) + "u}";
            case Op.UnregisterFiles u -> "(struct call){3, 0, 0, 0}";
            case Op.RegisterBuffers b -> "(struct call){4, " + b.count() + "u, " + b.lengthBytes() + "u, 0}";
            case Op.UnregisterBuffers u -> "(struct call){5, 0, 0, 0}";
            case Op.EnableRings e -> "(struct call){6, 0, 0, 0}";
            case Op.Resize r -> "(struct call){7, " + r.sqEntries() + "u, " + r.cqEntries() + "u, 0x"
                    + Integer.toHexString(r.flags()) + "u}";
            default -> throw new IllegalArgumentException("not a syscall step: " + op);
        };
    }

    private static final String PRELUDE = """
            /* ringspec lockstep reproducer: @TITLE@
             * Build: gcc -O1 -o repro repro.c -lpthread    Run: ./repro
             * Raw io_uring syscalls; prints the ring's counters after each step, as ringspec's trace does. */
            #define _GNU_SOURCE
            #pragma GCC diagnostic ignored "-Wunused-function"
            #include <errno.h>
            #include <pthread.h>
            #include <semaphore.h>
            #include <stdint.h>
            #include <stdio.h>
            #include <string.h>
            #include <sys/mman.h>
            #include <sys/syscall.h>
            #include <sys/uio.h>
            #include <unistd.h>

            #define SYS_setup 425
            #define SYS_enter 426
            #define SYS_register 427
            #define SETUP_CQE32 0x800u
            #define SETUP_NO_SQARRAY 0x10000u
            #define SETUP_SQE128 0x400u
            #define SETUP_CQE_MIXED 0x40000u
            #define FEAT_SINGLE_MMAP 1u
            #define CQE_F_32 0x8000u

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
                uint32_t cqe_size = (ring_flags & SETUP_CQE32) ? 32 : 16;
                uint32_t sqe_size = (ring_flags & SETUP_SQE128) ? 128 : 64;
                if (!(ring_flags & SETUP_NO_SQARRAY)) {
                    sq_bytes = p.sq_off.array + p.sq_entries * 4u;
                } else {
                    uint32_t m = p.sq_off.head;
                    if (p.sq_off.tail > m) m = p.sq_off.tail;
                    if (p.sq_off.flags > m) m = p.sq_off.flags;
                    if (p.sq_off.dropped > m) m = p.sq_off.dropped;
                    sq_bytes = m + 4u;
                }
                cq_bytes = p.cq_off.cqes + (size_t) p.cq_entries * cqe_size;
                int single = (p.features & FEAT_SINGLE_MMAP) != 0;
                if (single && cq_bytes > sq_bytes) sq_bytes = cq_bytes;
                sq_ring = mmap(NULL, sq_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, 0);
                cq_ring = single ? sq_ring : mmap(NULL, cq_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, 0x8000000);
                sqes_bytes = (size_t) p.sq_entries * sqe_size;
                sqes = mmap(NULL, sqes_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, 0x10000000);
                if (sq_ring == MAP_FAILED || cq_ring == MAP_FAILED || sqes == MAP_FAILED) { perror("mmap"); _exit(2); }
                sq_mask = p.sq_entries - 1;
                cq_mask = p.cq_entries - 1;
                cq_entries = p.cq_entries;
            }

            static void do_setup(uint32_t entries, uint32_t flags, uint32_t cq) {
                if (ring_fd >= 0) { unmap_ring(); close(ring_fd); ring_fd = -1; }
                memset(&p, 0, sizeof p);
                p.flags = flags;
                p.cq_entries = cq;
                long r = syscall(SYS_setup, entries, &p);
                res = sys_result(r);
                if (r >= 0) { ring_fd = (int) r; ring_flags = p.flags; map_ring(); res = 0; }
            }

            static void write_sqe(uint32_t slot, uint8_t opcode, uint8_t flags, uint16_t ioprio, int32_t fd, uint64_t off,
                    uint64_t addr, uint32_t len, uint32_t op_flags, uint64_t user_data, uint16_t buf_index, uint16_t personality) {
                uint32_t size = (ring_flags & SETUP_SQE128) ? 128 : 64;
                unsigned char *s = sqes + (size_t) (slot & sq_mask) * size;
                memset(s, 0, size);
                s[0] = opcode; s[1] = flags;
                memcpy(s + 2, &ioprio, 2); memcpy(s + 4, &fd, 4); memcpy(s + 8, &off, 8); memcpy(s + 16, &addr, 8);
                memcpy(s + 24, &len, 4); memcpy(s + 28, &op_flags, 4); memcpy(s + 32, &user_data, 8);
                memcpy(s + 40, &buf_index, 2); memcpy(s + 42, &personality, 2);
                res = 0;
            }

            static void write_array(uint32_t position, uint32_t value) {
                if (!(ring_flags & SETUP_NO_SQARRAY))
                    __atomic_store_n(u32(sq_ring, p.sq_off.array + (position & sq_mask) * 4u), value, __ATOMIC_RELAXED);
                res = 0;
            }

            static void publish_tail(uint32_t delta) {
                uint32_t *tail = u32(sq_ring, p.sq_off.tail);
                __atomic_store_n(tail, __atomic_load_n(tail, __ATOMIC_RELAXED) + delta, __ATOMIC_RELEASE);
                res = 0;
            }

            static int do_enter(uint32_t to_submit, uint32_t min_complete, uint32_t flags) {
                return sys_result(syscall(SYS_enter, ring_fd, to_submit, min_complete, flags, NULL, 0));
            }

            static void consume(int count, int per_slot) {
                uint32_t head = __atomic_load_n(u32(cq_ring, p.cq_off.head), __ATOMIC_RELAXED);
                uint32_t tail = __atomic_load_n(u32(cq_ring, p.cq_off.tail), __ATOMIC_ACQUIRE);
                uint32_t cqe_size = (ring_flags & SETUP_CQE32) ? 32 : 16;
                for (int i = 0; i < count && head != tail; i++) {
                    uint32_t flags;
                    memcpy(&flags, cq_ring + p.cq_off.cqes + (size_t) (head & cq_mask) * cqe_size + 12, 4);
                    head += (!per_slot && (ring_flags & SETUP_CQE_MIXED) && (flags & CQE_F_32)) ? 2 : 1;
                }
                __atomic_store_n(u32(cq_ring, p.cq_off.head), head, __ATOMIC_RELEASE);
                res = 0;
            }

            static void move_head(uint32_t delta) {
                uint32_t *head = u32(cq_ring, p.cq_off.head);
                __atomic_store_n(head, __atomic_load_n(head, __ATOMIC_RELAXED) + delta, __ATOMIC_RELEASE);
                res = 0;
            }

            static void move_sq_head(uint32_t delta) {
                uint32_t *head = u32(sq_ring, p.sq_off.head);
                __atomic_store_n(head, __atomic_load_n(head, __ATOMIC_RELAXED) + delta, __ATOMIC_RELAXED);
                res = 0;
            }

            static int do_register(uint32_t opcode, void *arg, uint32_t nr) {
                return sys_result(syscall(SYS_register, ring_fd, opcode, arg, nr));
            }

            static int file_for(uint32_t pattern, int slot) {
                int kind = slot >= 16 ? 0 : (int) ((pattern >> (2 * slot)) & 3u);
                return kind == 1 ? pipe_fds[0] : kind == 2 ? pipe_fds[1] : -1;
            }

            static void fill_files(int count, uint32_t pattern) {
                memset(files, 0, sizeof files);
                for (int i = 0; i < count && i < 16; i++) files[i] = file_for(pattern, i);
            }

            static int register_files(int count, int sparse, uint32_t pattern) {
                if (sparse) {
                    struct rsrc_register r = {0};
                    r.nr = (uint32_t) count;
                    r.flags = 1;
                    return do_register(13, &r, sizeof r);
                }
                fill_files(count, pattern);
                return do_register(2, files, (uint32_t) count);
            }

            static int update_files(uint32_t offset, int count, uint32_t pattern) {
                struct files_update u = {0};
                fill_files(count, pattern);
                u.offset = offset;
                u.fds = (uint64_t) (uintptr_t) files;
                return do_register(6, &u, (uint32_t) count);
            }

            static int register_buffers(int count, int length) {
                for (int i = 0; i < count && i < 16; i++) {
                    iovecs[i].iov_base = buffers + (size_t) i * 4096;
                    iovecs[i].iov_len = (size_t) (length < 4096 ? length : 4096);
                }
                return do_register(0, iovecs, (uint32_t) count);
            }

            static int do_resize(uint32_t sq, uint32_t cq, uint32_t flags) {
                struct params rp;
                memset(&rp, 0, sizeof rp);
                rp.sq_entries = sq;
                rp.cq_entries = cq;
                rp.flags = flags;
                int r = do_register(33, &rp, 1);
                if (r < 0) return r;
                /* New regions at the same offsets; 6.18 writes neither sq_off.array nor features back. */
                unmap_ring();
                p.sq_entries = rp.sq_entries;
                p.cq_entries = rp.cq_entries;
                uint32_t array = p.sq_off.array;
                p.sq_off = rp.sq_off;
                p.cq_off = rp.cq_off;
                size_t end = 64 + (size_t) rp.cq_entries * 16;
                if (ring_flags & SETUP_CQE32) end <<= 1;
                p.sq_off.array = (ring_flags & SETUP_NO_SQARRAY) ? 0 : (uint32_t) ((end + 63) & ~(size_t) 63);
                (void) array;
                map_ring();
                return r;
            }

            /* IORING_REGISTER_PROBE (8) with a zeroed argument of 16 + 8 * min(nr, 256) bytes. */
            static int do_probe(uint32_t nr) {
                memset(probe_buf, 0, sizeof probe_buf);
                return do_register(8, probe_buf, nr);
            }

            struct call { int kind; uint32_t a, b, c; };

            static void *other_thread(void *arg) {
                struct call *c = arg;
                int r = 0;
                switch (c->kind) {
                case 0: r = do_enter(c->a, c->b, c->c); break;
                case 1: r = register_files((int) c->a, (int) c->b, c->c); break;
                case 2: r = update_files(c->a, (int) c->b, c->c); break;
                case 3: r = do_register(3, NULL, 0); break;
                case 4: r = register_buffers((int) c->a, (int) c->b); break;
                case 5: r = do_register(1, NULL, 0); break;
                case 6: r = do_register(12, NULL, 0); break;
                case 7: r = do_resize(c->a, c->b, c->c); break;
                }
                c->kind = r;
                return NULL;
            }

            /* One second thread for the whole program, as the engine has: a SINGLE_ISSUER ring remembers its task. */
            static sem_t go, done;
            static struct call pending;
            static int worker_started;

            static void *worker_main(void *arg) {
                (void) arg;
                for (;;) {
                    sem_wait(&go);
                    other_thread(&pending);
                    sem_post(&done);
                }
                return NULL;
            }

            static int on_other_thread(struct call c) {
                if (!worker_started) {
                    pthread_t t;
                    sem_init(&go, 0, 0);
                    sem_init(&done, 0, 0);
                    if (pthread_create(&t, NULL, worker_main, NULL) != 0) { perror("pthread_create"); _exit(2); }
                    worker_started = 1;
                }
                pending = c;
                sem_post(&go);
                sem_wait(&done);
                return pending.kind;
            }

            static void print_line(int step, const char *extra) {
                if (ring_fd < 0) { printf("step %d: res %d no ring%s\\n", step, res, extra); return; }
                printf("step %d: res %d sq %u %u %u %u cq %u %u %u %u%s\\n", step, res,
                        __atomic_load_n(u32(sq_ring, p.sq_off.head), __ATOMIC_ACQUIRE),
                        __atomic_load_n(u32(sq_ring, p.sq_off.tail), __ATOMIC_RELAXED),
                        __atomic_load_n(u32(sq_ring, p.sq_off.dropped), __ATOMIC_RELAXED),
                        __atomic_load_n(u32(sq_ring, p.sq_off.flags), __ATOMIC_RELAXED),
                        __atomic_load_n(u32(cq_ring, p.cq_off.head), __ATOMIC_RELAXED),
                        __atomic_load_n(u32(cq_ring, p.cq_off.tail), __ATOMIC_ACQUIRE),
                        __atomic_load_n(u32(cq_ring, p.cq_off.overflow), __ATOMIC_RELAXED),
                        __atomic_load_n(u32(cq_ring, p.cq_off.flags), __ATOMIC_RELAXED), extra);
            }

            static void print_state(int step) { print_line(step, ""); }

            /* The SQEs between the SQ ring's head and tail (at most one ring's worth), by position. */
            static void print_pending_sqes(void) {
                if (ring_fd < 0) { printf("sqes: no ring\\n"); return; }
                uint32_t head = __atomic_load_n(u32(sq_ring, p.sq_off.head), __ATOMIC_ACQUIRE);
                uint32_t tail = __atomic_load_n(u32(sq_ring, p.sq_off.tail), __ATOMIC_RELAXED);
                uint32_t sqe_size = (ring_flags & SETUP_SQE128) ? 128 : 64;
                uint32_t n = tail - head < p.sq_entries ? tail - head : p.sq_entries;
                printf("sqes:");
                for (uint32_t i = 0; i < n; i++) {
                    const unsigned char *e = sqes + (size_t) ((head + i) & sq_mask) * sqe_size;
                    uint64_t ud;
                    memcpy(&ud, e + 32, 8);
                    printf(" {pos %u: opcode %u, flags 0x%x, ud %llu}", head + i, (unsigned) e[0], (unsigned) e[1],
                            (unsigned long long) ud);
                }
                printf("\\n");
            }

            /* The slots between the CQ head and tail (at most one ring's worth), as the engine compares them. */
            static void print_cqes(void) {
                if (ring_fd < 0) { printf("cqes: no ring\\n"); return; }
                uint32_t head = __atomic_load_n(u32(cq_ring, p.cq_off.head), __ATOMIC_RELAXED);
                uint32_t tail = __atomic_load_n(u32(cq_ring, p.cq_off.tail), __ATOMIC_ACQUIRE);
                uint32_t cqe_size = (ring_flags & SETUP_CQE32) ? 32 : 16;
                uint32_t n = tail - head < p.cq_entries ? tail - head : p.cq_entries;
                printf("cqes:");
                for (uint32_t i = 0; i < n; i++) {
                    const unsigned char *c = cq_ring + p.cq_off.cqes + (size_t) ((head + i) & cq_mask) * cqe_size;
                    uint64_t ud, big0, big1;
                    int32_t r;
                    uint32_t f;
                    memcpy(&ud, c, 8);
                    memcpy(&r, c + 8, 4);
                    memcpy(&f, c + 12, 4);
                    printf(" {ud 0x%llx res %d flags 0x%x", (unsigned long long) ud, r, f);
                    if (cqe_size == 32) {
                        memcpy(&big0, c + 16, 8);
                        memcpy(&big1, c + 24, 8);
                        printf(" big 0x%llx 0x%llx", (unsigned long long) big0, (unsigned long long) big1);
                    }
                    printf("}");
                }
                printf("\\n");
            }

            /* A PROBE step's line also shows the last_op and ops_len the kernel wrote back. */
            static void print_probe(int step) {
                char extra[32];
                snprintf(extra, sizeof extra, " probe %u %u", (unsigned) probe_buf[0], (unsigned) probe_buf[1]);
                print_line(step, extra);
            }

            """;
}
