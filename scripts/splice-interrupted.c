/* What an io-wq SPLICE or TEE blocked on an empty pipe ends with when it is interrupted: ASYNC_CANCEL (argument 0),
 * a LINK_TIMEOUT (1), the submitting thread's exit (2); 9 runs a READ with a linked timeout as a control. No
 * argument: all but the control, after a SPLICE that the pipe's bytes complete. Raw syscalls, static, so that
 * `ringspec guest-run` runs it in a guest (scripts/splice-interrupted). Measured 2026-11-27: the interrupted
 * call's CQE holds -4 on 6.1.192 and 6.12.118, -512 on 6.18.44, 7.2.13 and 7.3-rc7; the linked timeout fires on
 * 6.1 only (after 6.1 it starts when the blocking call returns, so it ends -ECANCELED after the pipe's write).
 * Closing the ring's descriptor while its rings are mapped ends nothing (the mappings hold the ring). */
#define _GNU_SOURCE
#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

struct ring { int fd; unsigned *sqh, *sqt, *sqmask, *sqarr, *cqh, *cqt, *cqmask; struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes; };

static int setup(struct ring *r) {
  struct io_uring_params p; memset(&p, 0, sizeof p);
  r->fd = syscall(__NR_io_uring_setup, 8, &p);
  if (r->fd < 0) { perror("setup"); exit(2); }
  size_t sqsz = p.sq_off.array + p.sq_entries * 4, cqsz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  char *sq = mmap(0, sqsz, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
  char *cq = mmap(0, cqsz, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
  r->sqes = mmap(0, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE,
      r->fd, IORING_OFF_SQES);
  r->sqh = (unsigned *)(sq + p.sq_off.head); r->sqt = (unsigned *)(sq + p.sq_off.tail);
  r->sqmask = (unsigned *)(sq + p.sq_off.ring_mask); r->sqarr = (unsigned *)(sq + p.sq_off.array);
  r->cqh = (unsigned *)(cq + p.cq_off.head); r->cqt = (unsigned *)(cq + p.cq_off.tail);
  r->cqmask = (unsigned *)(cq + p.cq_off.ring_mask); r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
  return 0;
}

static struct io_uring_sqe *sqe(struct ring *r) {
  unsigned t = *r->sqt, i = t & *r->sqmask;
  struct io_uring_sqe *s = &r->sqes[i]; memset(s, 0, sizeof *s);
  r->sqarr[i] = i; __atomic_store_n(r->sqt, t + 1, __ATOMIC_RELEASE);
  return s;
}

static void splice_sqe(struct ring *r, int op, int in, int out, unsigned long long ud, int flags) {
  struct io_uring_sqe *s = sqe(r);
  s->opcode = op; s->fd = out; s->splice_fd_in = in; s->len = 16; s->user_data = ud; s->flags = flags;
  if (op == IORING_OP_SPLICE) { s->off = -1; s->splice_off_in = -1; }
}

static int enter(struct ring *r, unsigned sub, unsigned wait) {
  return syscall(__NR_io_uring_enter, r->fd, sub, wait, wait ? IORING_ENTER_GETEVENTS : 0, NULL, 0);
}

static void drain(struct ring *r, const char *what) {
  unsigned h = *r->cqh, t = __atomic_load_n(r->cqt, __ATOMIC_ACQUIRE);
  if (h == t) printf("%s: no CQE\n", what);
  for (; h != t; h++) {
    struct io_uring_cqe *c = &r->cqes[h & *r->cqmask];
    printf("%s: ud %llu res %d\n", what, (unsigned long long)c->user_data, c->res);
  }
  __atomic_store_n(r->cqh, h, __ATOMIC_RELEASE);
}

static void msleep(int ms) { struct timespec ts = {0, ms * 1000000L}; nanosleep(&ts, 0); }

static void by_cancel(int op) {
  struct ring r; setup(&r); int a[2], b[2]; pipe(a); pipe(b);
  splice_sqe(&r, op, a[0], b[1], 1, 0); enter(&r, 1, 0); msleep(50);
  struct io_uring_sqe *s = sqe(&r); s->opcode = IORING_OP_ASYNC_CANCEL; s->addr = 1; s->user_data = 2;
  enter(&r, 1, 2); drain(&r, op == IORING_OP_SPLICE ? "cancel SPLICE" : "cancel TEE"); close(r.fd);
}

static void by_link_timeout(int op) {
  struct ring r; setup(&r); int a[2], b[2]; pipe(a); pipe(b);
  splice_sqe(&r, op, a[0], b[1], 1, IOSQE_IO_LINK);
  static struct __kernel_timespec ts = {0, 20000000};
  struct io_uring_sqe *s = sqe(&r); s->opcode = IORING_OP_LINK_TIMEOUT; s->addr = (unsigned long)&ts; s->len = 1;
  s->user_data = 2;
  enter(&r, 2, 0); msleep(300); drain(&r, op == IORING_OP_SPLICE ? "link timeout SPLICE" : "link timeout TEE");
  write(a[1], "xyz", 3); msleep(100); drain(&r, "  after a write"); close(r.fd);
}

static void control_read_lt(int flags) {
  struct ring r; setup(&r); int a[2]; pipe(a); static char buf[16];
  struct io_uring_sqe *s = sqe(&r); s->opcode = IORING_OP_READ; s->fd = a[0]; s->addr = (unsigned long)buf;
  s->len = 16; s->user_data = 1; s->flags = IOSQE_IO_LINK | flags;
  static struct __kernel_timespec ts = {0, 20000000};
  s = sqe(&r); s->opcode = IORING_OP_LINK_TIMEOUT; s->addr = (unsigned long)&ts; s->len = 1; s->user_data = 2;
  enter(&r, 2, 0); msleep(300);
  drain(&r, flags ? "control: ASYNC READ + link timeout" : "control: READ + link timeout");
  close(r.fd);
}

static struct ring *tr; static int ta[2], tb[2], top;
static void *submitter(void *x) {
  (void)x; splice_sqe(tr, top, ta[0], tb[1], 1, 0); enter(tr, 1, 0); msleep(50); return 0;
}
static void by_task_exit(int op) {
  struct ring r; setup(&r); tr = &r; pipe(ta); pipe(tb); top = op;
  pthread_t t; pthread_create(&t, 0, submitter, 0); pthread_join(t, 0);
  enter(&r, 0, 1); drain(&r, op == IORING_OP_SPLICE ? "task exit SPLICE" : "task exit TEE"); close(r.fd);
}

static void by_data(void) {
  struct ring r; setup(&r); int a[2], b[2]; pipe(a); pipe(b);
  splice_sqe(&r, IORING_OP_SPLICE, a[0], b[1], 1, 0); enter(&r, 1, 0); msleep(50);
  write(a[1], "xyz", 3); enter(&r, 0, 1); drain(&r, "data SPLICE"); close(r.fd);
}

int main(int argc, char **argv) {
  setvbuf(stdout, 0, _IONBF, 0);
  int which = argc > 1 ? atoi(argv[1]) : -1;
  if (which < 0) by_data();
  if (which == 9) { control_read_lt(0); control_read_lt(IOSQE_ASYNC); return 0; }
  for (int op = IORING_OP_SPLICE; op; op = op == IORING_OP_SPLICE ? IORING_OP_TEE : 0) {
    if (which < 0 || which == 0) by_cancel(op);
    if (which < 0 || which == 1) by_link_timeout(op);
    if (which < 0 || which == 2) by_task_exit(op);
  }
  return 0;
}
