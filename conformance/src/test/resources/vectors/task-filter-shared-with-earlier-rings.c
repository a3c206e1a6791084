/*
 * Linux 7.2.13: a task-scope io_uring BPF filter registered after a ring was created reaches that ring.
 *
 * io_bpf_filter_clone (io_uring/bpf_filter.c) gives a new ring the task's filter table and marks only the ring's
 * side copy-on-write; the task's next IORING_REGISTER_BPF_FILTER on fd -1 finds its own side not COW and writes the
 * new filter into the shared table in place. 7.3-rc7 also sets src->bpf_filters_cow, so the task copies first.
 *
 * Run as root (CAP_SYS_ADMIN) or after prctl(PR_SET_NO_NEW_PRIVS). Prints the NOP's result on the ring created
 * between the two registrations: -13 (EACCES) where the later filter leaked into it, 0 where it did not.
 */
#include <linux/filter.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define IORING_REGISTER_BPF_FILTER 37
#define IO_URING_BPF_CMD_FILTER 1

struct io_sqring_offsets { uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array, resv1; uint64_t user_addr; };
struct io_cqring_offsets { uint32_t head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1; uint64_t user_addr; };
struct io_uring_params {
    uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle, features, wq_fd, resv[3];
    struct io_sqring_offsets sq_off;
    struct io_cqring_offsets cq_off;
};
struct io_uring_bpf_filter { uint32_t opcode, flags, filter_len; uint8_t pdu_size, resv[3]; uint64_t filter_ptr, resv2[5]; };
struct io_uring_bpf { uint16_t cmd_type, cmd_flags; uint32_t resv; struct io_uring_bpf_filter filter; };

static int task_filter(uint32_t verdict)
{
    struct sock_filter prog[1] = {BPF_STMT(BPF_RET | BPF_K, verdict)};
    struct io_uring_bpf bpf;
    memset(&bpf, 0, sizeof(bpf));
    bpf.cmd_type = IO_URING_BPF_CMD_FILTER;
    bpf.filter.opcode = 0; /* IORING_OP_NOP */
    bpf.filter.filter_len = 1;
    bpf.filter.filter_ptr = (uint64_t)(uintptr_t)prog;
    return (int)syscall(__NR_io_uring_register, -1, IORING_REGISTER_BPF_FILTER, &bpf, 1);
}

int main(void)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    if (task_filter(1) != 0) {
        perror("first task filter");
        return 2;
    }
    int fd = (int)syscall(__NR_io_uring_setup, 4, &p);
    if (fd < 0) {
        perror("io_uring_setup");
        return 2;
    }
    if (task_filter(0) != 0) {
        perror("second task filter");
        return 2;
    }
    size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
    size_t cq_size = p.cq_off.cqes + p.cq_entries * 16;
    char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    char *cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0x8000000);
    char *sqes = mmap(NULL, p.sq_entries * 64, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0x10000000);
    if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    memset(sqes, 0, 64);                 /* IORING_OP_NOP */
    *(uint64_t *)(sqes + 32) = 1;        /* user_data */
    ((uint32_t *)(sq + p.sq_off.array))[0] = 0;
    __atomic_store_n((uint32_t *)(sq + p.sq_off.tail), 1, __ATOMIC_RELEASE);
    int submitted = (int)syscall(__NR_io_uring_enter, fd, 1, 1, 1 /* GETEVENTS */, NULL, 0);
    uint32_t tail = __atomic_load_n((uint32_t *)(cq + p.cq_off.tail), __ATOMIC_ACQUIRE);
    int32_t res = tail ? *(int32_t *)(cq + p.cq_off.cqes + 8) : 1;
    printf("submitted=%d cqes=%u res=%d\n", submitted, tail, res);
    return 0;
}
