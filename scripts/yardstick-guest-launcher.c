/*
 * yardstick-guest-launcher LIMIT PROGRAM: runs one liburing test inside a guest kernel as scripts/liburing-yardstick
 * runs it natively, where the guest's initramfs has no shell and no coreutils. Built statically by the script and
 * copied into the guest by `ringspec guest-run`, which runs it once per test.
 *
 * What the script does natively with a scratch directory and `timeout -s INT -k 10 LIMIT`, done here:
 *   - the loopback interface up, as on any booted machine (the guest has no init scripts; the network tests
 *     connect to 127.0.0.1 and would get -ENETUNREACH);
 *   - a fresh scratch directory under /tmp holding a symbolic link to every *.t beside PROGRAM (timeout.t looks for
 *     ./exec-target.t), made the working directory;
 *   - PROGRAM run with no argument in a process group of its own, its standard error joined to its standard output
 *     (the native run's `> NAME.out 2>&1`);
 *   - after LIMIT seconds SIGINT to the group, after 10 more SIGKILL; then exit 124 (stopped) or 137 (killed), as
 *     timeout(1) does; otherwise the program's exit status, or 128 + the signal that ended it, as a shell reports;
 *   - whatever the program left behind in its group killed, and the scratch directory removed (the guest's files
 *     live in its memory).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define KILL_AFTER_SECONDS 10

static volatile sig_atomic_t alarms;

static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

/* Links every *.t of DIR into SCRATCH, as the native run links every test into its scratch directory. */
static void link_tests(const char *dir, const char *scratch) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 2, ".t") != 0) continue;
        char from[4096], to[4096];
        snprintf(from, sizeof from, "%s/%s", dir, e->d_name);
        snprintf(to, sizeof to, "%s/%s", scratch, e->d_name);
        if (symlink(from, to) != 0) fprintf(stderr, "yardstick-guest-launcher: cannot link %s: %s\n", to, strerror(errno));
    }
    closedir(d);
}

/* Sets lo up (SIOCSIFFLAGS with IFF_UP), as ifup does; a failure is said and the test runs anyway. */
static void loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {0};
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
        fprintf(stderr, "yardstick-guest-launcher: cannot read lo's flags: %s\n", strerror(errno));
    } else if (!(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
            fprintf(stderr, "yardstick-guest-launcher: cannot set lo up: %s\n", strerror(errno));
    }
    if (s >= 0) close(s);
}

int main(int argc, char **argv) {
    char *end;
    long limit = argc == 3 ? strtol(argv[1], &end, 10) : 0;
    if (argc != 3 || *end || limit < 1) {
        fprintf(stderr, "usage: yardstick-guest-launcher LIMIT-SECONDS PROGRAM\n");
        return 64;
    }
    const char *program = argv[2];
    loopback_up();
    char scratch[] = "/tmp/scratch.XXXXXX";
    if (!mkdtemp(scratch)) {
        fprintf(stderr, "yardstick-guest-launcher: cannot make a scratch directory: %s\n", strerror(errno));
        return 71;
    }
    char *copy = strdup(program);
    link_tests(dirname(copy), scratch);
    free(copy);

    struct sigaction sa = { .sa_handler = on_alarm };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: the alarm interrupts waitpid */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        if (chdir(scratch) != 0) _exit(71);
        dup2(1, 2);
        signal(SIGALRM, SIG_DFL);
        char *child_argv[] = { (char *)program, NULL };
        execv(program, child_argv);
        fprintf(stderr, "yardstick-guest-launcher: cannot execute %s: %s\n", program, strerror(errno));
        _exit(127);
    }
    if (pid < 0) {
        fprintf(stderr, "yardstick-guest-launcher: fork failed: %s\n", strerror(errno));
        return 71;
    }
    setpgid(pid, pid); /* also here, so that the group exists before any signal is sent to it */
    alarm((unsigned)limit);
    int status = 0, sent = 0;
    for (;;) {
        if (waitpid(pid, &status, 0) == pid) break;
        if (errno != EINTR) { status = 0; break; }
        if (alarms > sent) {
            sent = alarms;
            kill(-pid, sent == 1 ? SIGINT : SIGKILL);
            if (sent == 1) alarm(KILL_AFTER_SECONDS);
        }
    }
    alarm(0);
    kill(-pid, SIGKILL);
    nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (sent >= 2) return 128 + SIGKILL;
    if (sent == 1) return 124;
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
