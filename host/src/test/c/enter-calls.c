/*
 * N io_uring_enter calls on descriptor -1 (N the argument, default 1000), each of which must fail with EBADF, as
 * the kernel and a supervisor that answers -EBADF both say; prints "N calls" and exits 0, or says which call went
 * wrong and exits 1. For ReceiversTest: a program whose every call a test's supervisor answers alike.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000;
    for (long i = 0; i < n; i++) {
        long r = syscall(__NR_io_uring_enter, -1, 0, 0, 0, NULL, 0);
        if (r != -1 || errno != EBADF) {
            printf("call %ld: %ld, errno %d\n", i, r, errno);
            return 1;
        }
    }
    printf("%ld calls\n", n);
    return 0;
}
