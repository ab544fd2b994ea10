/*
 * guestload: the lab guest's workload, run by /init as PID 1.
 *
 * - A child process keeps dirtying DIRTY_MIB MiB of memory (one write per
 *   page, forever), so that pre-copy migration has to iterate.
 * - The parent prints "tick <n>" on the console every TICK_MS milliseconds,
 *   n = 1, 2, 3, ...  A paused guest prints nothing; a guest that resumed
 *   after migration continues the sequence; a guest that rebooted would
 *   start again at 1.
 * - If DISK (default /dev/vda) exists, each tick line is also written to its
 *   first sector and flushed, so the guest does block I/O all the time.
 *
 * Settings come from the environment: the kernel passes unknown
 * "name=value" boot parameters to init, e.g. "tick_ms=50 dirty_mib=48".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE_SIZE 4096
#define SECTOR_SIZE 512

static long env_long(const char *name, long fallback)
{
    const char *value = getenv(name);
    return value && *value ? strtol(value, NULL, 10) : fallback;
}

static void dirty_forever(long mib)
{
    size_t size = (size_t)mib << 20;
    unsigned char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    unsigned char generation = 0;

    if (mem == MAP_FAILED) {
        perror("guestload: mmap");
        _exit(1);
    }
    /* Leave the CPU to the ticker whenever it wants it. */
    if (nice(10) < 0 && errno)
        perror("guestload: nice");
    for (;;) {
        generation++;
        for (size_t off = 0; off < size; off += PAGE_SIZE)
            mem[off] = generation;
    }
}

static void timespec_add_ms(struct timespec *ts, long ms)
{
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int open_disk(const char *path)
{
    int fd = open(path, O_WRONLY | O_DSYNC);
    if (fd < 0 && errno != ENOENT)
        fprintf(stderr, "guestload: open %s: %s\n", path, strerror(errno));
    return fd;
}

static void tick_forever(long tick_ms, int disk_fd)
{
    struct timespec next, now;
    char line[SECTOR_SIZE];
    unsigned long n = 0;

    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        int len;

        n++;
        memset(line, 0, sizeof(line));
        len = snprintf(line, sizeof(line), "tick %lu\n", n);
        if (write(STDOUT_FILENO, line, len) < 0)
            perror("guestload: write console");
        if (disk_fd >= 0 && pwrite(disk_fd, line, sizeof(line), 0) < 0)
            perror("guestload: write disk");

        /* Fixed rate, but never a burst of ticks to catch up after a stall. */
        timespec_add_ms(&next, tick_ms);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > next.tv_sec ||
            (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec))
            next = now;
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
            ;
    }
}

int main(void)
{
    long tick_ms = env_long("tick_ms", 50);
    long dirty_mib = env_long("dirty_mib", 48);
    const char *disk = getenv("disk") ? getenv("disk") : "/dev/vda";
    int disk_fd = open_disk(disk);

    printf("guestload: tick every %ld ms, dirtying %ld MiB, disk %s\n",
           tick_ms, dirty_mib, disk_fd >= 0 ? disk : "none");
    fflush(stdout);

    if (dirty_mib > 0) {
        pid_t child = fork();
        if (child == 0)
            dirty_forever(dirty_mib);
        if (child < 0)
            perror("guestload: fork");
    }
    tick_forever(tick_ms, disk_fd);
    return 0;
}
