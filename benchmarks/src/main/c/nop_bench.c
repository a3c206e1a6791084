/*
 * NOP rounds with raw syscalls: the C side of benchmarks/run.sh, doing per NOP exactly the work of the Java loop
 * (dev.ringspec.benchmarks.NopLoop#nops) over one 128-entry ring:
 *
 *   read the SQ tail (READ_ONCE); per NOP, write the 64-byte SQE as eight 64-bit words (word 0 holds the opcode,
 *   IORING_OP_NOP, with flags, ioprio and fd, all zero; word 4 is user_data = the tail counter); release the tail;
 *   io_uring_enter(fd, n, n, GETEVENTS) once; read the CQ head (READ_ONCE) and acquire the CQ tail; per CQE, add
 *   user_data and res to a sum; release the head. The clock is read every 64 rounds, as in the Java loop.
 *
 * A server driven over stdin, one request a line, so one long-lived process can take turns with the Java side:
 *
 *   round <batch> <millis>   runs rounds of <batch> NOPs (1 to 128) for <millis> ms, then answers
 *                            "ok ns_per_nop=<x> cpu_ns_per_nop=<y> nops=<count>": wall-clock time, and the
 *                            thread's on-CPU time (user and system), which leaves out time spent preempted
 *   quit (or end of input)   closes the ring and exits 0
 *
 * A bad request answers "error <why>" and the server goes on. Exit 77 if io_uring cannot be set up.
 * Requests given as arguments ("nop_bench round 32 1000") are served instead of stdin's, then the program exits:
 * how it runs in a guest kernel, where `ringspec run` and the guest agent give a program no stdin.
 * Written for ringspec; no liburing.
 *
 *   cc -O2 -o nop_bench nop_bench.c && printf 'round 32 1000\n' | ./nop_bench
 */
#define _GNU_SOURCE
#include <errno.h>
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
#define ROUNDS_PER_CLOCK_READ 64

struct ring {
	int fd;
	unsigned *sq_tail;
	unsigned *cq_head;
	unsigned *cq_tail;
	struct io_uring_cqe *cqes;
	uint64_t *sqes;
	unsigned sq_mask;
	unsigned cq_mask;
};

static int setup(unsigned entries, struct io_uring_params *p)
{
	return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags)
{
	int r = (int)syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, NULL, 0);
	return r == -1 ? -errno : r;
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The same mapping the Java runner makes: one region under IORING_FEAT_SINGLE_MMAP, populated. */
static int ring_open(struct ring *r)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	r->fd = setup(RING_ENTRIES, &p);
	if (r->fd < 0) {
		perror("io_uring_setup");
		return -1;
	}
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		fprintf(stderr, "nop_bench: this kernel lacks IORING_FEAT_SINGLE_MMAP\n");
		return -1;
	}
	size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	size_t ring_size = sq_size > cq_size ? sq_size : cq_size;
	char *ring = mmap(NULL, ring_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			  IORING_OFF_SQ_RING);
	void *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (ring == MAP_FAILED || sqes == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	r->sq_tail = (unsigned *)(ring + p.sq_off.tail);
	r->cq_head = (unsigned *)(ring + p.cq_off.head);
	r->cq_tail = (unsigned *)(ring + p.cq_off.tail);
	r->cqes = (struct io_uring_cqe *)(ring + p.cq_off.cqes);
	r->sqes = sqes;
	r->sq_mask = p.sq_entries - 1;
	r->cq_mask = p.cq_entries - 1;
	unsigned *sq_array = (unsigned *)(ring + p.sq_off.array);
	for (unsigned i = 0; i < p.sq_entries; i++)
		__atomic_store_n(&sq_array[i], i, __ATOMIC_RELAXED);
	return 0;
}

/* One round of n NOPs; returns the sum of user_data + res over the CQEs read, or stops the program. */
static uint64_t round_of(struct ring *r, unsigned n)
{
	unsigned tail = __atomic_load_n(r->sq_tail, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < n; i++) {
		uint64_t *sqe = r->sqes + (size_t)((tail + i) & r->sq_mask) * 8;
		sqe[0] = IORING_OP_NOP;
		sqe[1] = 0;
		sqe[2] = 0;
		sqe[3] = 0;
		sqe[4] = tail + i;
		sqe[5] = 0;
		sqe[6] = 0;
		sqe[7] = 0;
	}
	/* Publishes the SQEs; pairs with the kernel's smp_load_acquire of sq.tail. */
	__atomic_store_n(r->sq_tail, tail + n, __ATOMIC_RELEASE);
	int ret = enter(r->fd, n, n, IORING_ENTER_GETEVENTS);
	if (ret != (int)n) {
		fprintf(stderr, "nop_bench: io_uring_enter returned %d, expected %u\n", ret, n);
		exit(1);
	}
	unsigned head = __atomic_load_n(r->cq_head, __ATOMIC_RELAXED);
	unsigned ctail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
	uint64_t sum = 0;
	for (unsigned h = head; h != ctail; h++) {
		struct io_uring_cqe *cqe = &r->cqes[h & r->cq_mask];
		sum += cqe->user_data + (uint64_t)(int64_t)cqe->res;
	}
	/* Frees the CQEs read; pairs with the kernel's READ_ONCE of cq.head. */
	__atomic_store_n(r->cq_head, ctail, __ATOMIC_RELEASE);
	return sum;
}

static volatile uint64_t sink;

/* Serves one request line; prints the answer. */
static void serve(struct ring *r, const char *line)
{
	unsigned batch;
	double millis;
	char extra;
	if (sscanf(line, "round %u %lf %c", &batch, &millis, &extra) != 2) {
		printf("error expected \"round <batch> <millis>\" or \"quit\"\n");
	} else if (batch < 1 || batch > RING_ENTRIES) {
		printf("error batch %u is outside 1..%d\n", batch, RING_ENTRIES);
	} else if (!(millis > 0 && millis <= 600000)) {
		printf("error millis must be in (0, 600000]\n");
	} else {
		uint64_t cpu_start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		uint64_t start = clock_ns(CLOCK_MONOTONIC), end = start + (uint64_t)(millis * 1e6), t;
		uint64_t nops = 0, sum = 0;
		do {
			for (int k = 0; k < ROUNDS_PER_CLOCK_READ; k++)
				sum += round_of(r, batch);
			nops += (uint64_t)ROUNDS_PER_CLOCK_READ * batch;
			t = clock_ns(CLOCK_MONOTONIC);
		} while (t < end);
		uint64_t cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
		sink += sum;
		printf("ok ns_per_nop=%.3f cpu_ns_per_nop=%.3f nops=%llu\n", (double)(t - start) / (double)nops,
		       (double)cpu / (double)nops, (unsigned long long)nops);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct ring r;
	if (ring_open(&r) < 0)
		return 77;
	if (argc > 1) {
		/* requests as arguments, three words each: round <batch> <millis> */
		for (int i = 1; i < argc; i += 3) {
			char line[256];
			snprintf(line, sizeof(line), "%s %s %s", argv[i], i + 1 < argc ? argv[i + 1] : "",
				 i + 2 < argc ? argv[i + 2] : "");
			serve(&r, line);
		}
	} else {
		char line[256];
		while (fgets(line, sizeof(line), stdin)) {
			if (strcmp(line, "quit\n") == 0 || strcmp(line, "quit") == 0)
				break;
			serve(&r, line);
		}
	}
	close(r.fd);
	return sink == 42 ? 3 : 0;
}
