/*
 * NOP throughput with raw syscalls: the C counterpart of NopThroughputBenchmark, doing the same loop per batch
 * (fill SQEs at the tail, release the tail, io_uring_enter(batch, batch, GETEVENTS), reap, release the head).
 * Written for ringspec; no liburing. Prints "batch=<n> ns_per_nop=<x>" per measured round.
 *
 *   cc -O2 -o nop_bench nop_bench.c && ./nop_bench 32 5 1000
 */
#define _GNU_SOURCE
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RING_ENTRIES 128

static int setup(unsigned entries, struct io_uring_params *p)
{
	return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags)
{
	return (int)syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, NULL, 0);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned batch = argc > 1 ? (unsigned)atoi(argv[1]) : 32;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	double round_ms = argc > 3 ? atof(argv[3]) : 1000;
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	int fd = setup(RING_ENTRIES, &p);
	if (fd < 0) {
		perror("io_uring_setup");
		return 77;
	}
	size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	size_t ring_size = sq_size > cq_size ? sq_size : cq_size;
	char *ring = mmap(NULL, ring_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (ring == MAP_FAILED || sqes == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	unsigned *sq_tail = (unsigned *)(ring + p.sq_off.tail);
	unsigned *sq_array = (unsigned *)(ring + p.sq_off.array);
	unsigned *cq_head = (unsigned *)(ring + p.cq_off.head);
	unsigned *cq_tail = (unsigned *)(ring + p.cq_off.tail);
	struct io_uring_cqe *cqes = (struct io_uring_cqe *)(ring + p.cq_off.cqes);
	unsigned sq_mask = p.sq_entries - 1, cq_mask = p.cq_entries - 1;
	for (unsigned i = 0; i < p.sq_entries; i++)
		sq_array[i] = i;

	volatile uint64_t sink = 0;
	/* Round 0 is warm-up; the others are measured. */
	for (int round = 0; round <= rounds; round++) {
		double start = now_ns(), end = start + round_ms * 1e6, t;
		uint64_t nops = 0;
		do {
			for (int k = 0; k < 64; k++) {
				unsigned tail = __atomic_load_n(sq_tail, __ATOMIC_RELAXED);
				for (unsigned i = 0; i < batch; i++) {
					struct io_uring_sqe *sqe = &sqes[(tail + i) & sq_mask];
					memset(sqe, 0, sizeof(*sqe));
					sqe->opcode = IORING_OP_NOP;
					sqe->user_data = tail + i;
				}
				__atomic_store_n(sq_tail, tail + batch, __ATOMIC_RELEASE);
				int ret = enter(fd, batch, batch, IORING_ENTER_GETEVENTS);
				if (ret != (int)batch) {
					fprintf(stderr, "enter returned %d\n", ret);
					return 1;
				}
				unsigned head = __atomic_load_n(cq_head, __ATOMIC_RELAXED);
				unsigned ctail = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE);
				uint64_t sum = 0;
				for (unsigned h = head; h != ctail; h++) {
					struct io_uring_cqe *cqe = &cqes[h & cq_mask];
					sum += cqe->user_data + (uint64_t)cqe->res;
				}
				__atomic_store_n(cq_head, ctail, __ATOMIC_RELEASE);
				sink += sum;
				nops += batch;
			}
			t = now_ns();
		} while (t < end);
		if (round > 0)
			printf("batch=%u ns_per_nop=%.2f\n", batch, (t - start) / nops);
	}
	close(fd);
	return sink == 42 ? 2 : 0;
}
