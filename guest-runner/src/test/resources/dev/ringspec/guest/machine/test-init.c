/*
 * A stand-in for the ringspec agent, for testing the boot alone: mounts /dev, /proc and /sys, loads the modules
 * /modules.list names (in order), finds the virtio-serial port named "ringspec", writes the hello RSAGENT1 and
 * then answers one byte at a time:
 *   'u'  the kernel release and a newline      'p'  powers off (QEMU exits with status 0)
 *   'x'  /init exits: the kernel panics        anything else is echoed back
 * With /hang in the initramfs it never says hello; with /fail it exits at once.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static void load_modules(void) {
    FILE *list = fopen("/modules.list", "r");
    char line[256];
    if (!list) return;
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = 0;
        if (!line[0]) continue;
        int fd = open(line, O_RDONLY | O_CLOEXEC);
        /* MODULE_INIT_COMPRESSED_FILE (4) lets the kernel decompress .ko.xz / .ko.zst itself. */
        int flags = strstr(line, ".ko.") ? 4 : 0;
        if (fd < 0 || (syscall(SYS_finit_module, fd, "", flags) != 0 && errno != EEXIST))
            fprintf(stderr, "test-init: cannot load %s: %s\n", line, strerror(errno));
        if (fd >= 0) close(fd);
    }
    fclose(list);
}

static int open_port(void) {
    for (int attempt = 0; attempt < 200; attempt++) {
        DIR *ports = opendir("/sys/class/virtio-ports");
        struct dirent *entry;
        while (ports && (entry = readdir(ports))) {
            char path[300], name[64] = {0};
            if (entry->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", entry->d_name);
            int fd = open(path, O_RDONLY);
            if (fd < 0) continue;
            ssize_t n = read(fd, name, sizeof name - 1);
            close(fd);
            if (n > 0 && strncmp(name, "ringspec", 8) == 0 && (name[8] == '\n' || name[8] == 0)) {
                snprintf(path, sizeof path, "/dev/%s", entry->d_name);
                closedir(ports);
                return open(path, O_RDWR);
            }
        }
        if (ports) closedir(ports);
        usleep(50000);
    }
    return -1;
}

int main(void) {
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    if (access("/fail", F_OK) == 0) return 3;
    if (access("/hang", F_OK) == 0) {
        fprintf(stderr, "test-init: hanging, as /hang asks\n");
        for (;;) pause();
    }
    load_modules();
    int port = open_port();
    if (port < 0) {
        fprintf(stderr, "test-init: no virtio port named ringspec\n");
        return 4;
    }
    if (write(port, "RSAGENT1", 8) != 8) return 5;
    for (;;) {
        char c;
        ssize_t n = read(port, &c, 1);
        if (n == 0) { usleep(10000); continue; }
        if (n < 0) { if (errno == EINTR) continue; return 6; }
        if (c == 'u') {
            struct utsname u;
            uname(&u);
            char reply[80];
            int len = snprintf(reply, sizeof reply, "%s\n", u.release);
            write(port, reply, len);
        } else if (c == 'p') {
            sync();
            reboot(RB_POWER_OFF);
        } else if (c == 'x') {
            return 1;
        } else {
            write(port, &c, 1);
        }
    }
}
