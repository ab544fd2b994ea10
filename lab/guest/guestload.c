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
 * - With disk_check=K (1..15) the guest also checks that its disk returns
 *   what it wrote last: K check sectors, sector s at (s + 1) MiB. Tick n
 *   first re-reads every check sector written so far (O_DIRECT: from the
 *   disk, not the guest's page cache) and compares it with the value it
 *   last wrote there, kept in memory (which migrates with the guest), then
 *   writes n into sector n % K (O_DIRECT and O_DSYNC: a flush or FUA write,
 *   which the host may or may not honour). It prints one line a tick:
 *     "disk ok N"                       every sector holds its last value;
 *                                       N is the last value written
 *   or, for each sector that does not:
 *     "disk STALE sector S: wrote N read M"   (M 0: the sector is zeros)
 *     "disk BAD sector S: wrote N read garbage"
 *   and for a failed request "disk ERROR read|write sector S: <error>"
 *   (a failed write leaves the value expected there unchanged).
 *
 * Settings come from the environment: the kernel passes unknown
 * "name=value" boot parameters to init, e.g. "tick_ms=50 dirty_mib=48
 * disk_check=8".
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
#define CHECK_MAX 15
#define CHECK_STRIDE (1L << 20)

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

static int open_disk(const char *path, long check)
{
    int flags = check > 0 ? O_RDWR | O_DIRECT | O_DSYNC : O_WRONLY | O_DSYNC;
    int fd = open(path, flags);
    if (fd < 0 && errno != ENOENT)
        fprintf(stderr, "guestload: open %s: %s\n", path, strerror(errno));
    return fd;
}

/* The check sectors: what the guest wrote last into each (0: nothing yet). */
static unsigned long check_expected[CHECK_MAX];
static unsigned char *check_buf; /* one sector, aligned for O_DIRECT */

static off_t check_offset(long s) { return (off_t)(s + 1) * CHECK_STRIDE; }

/* Sector S holding value N: a header line, then bytes that depend on S, N
 * and their position, so that a torn or shifted sector does not pass. */
static void check_fill(unsigned char *buf, long s, unsigned long n)
{
    int len;

    memset(buf, 0, SECTOR_SIZE);
    len = snprintf((char *)buf, SECTOR_SIZE, "labdisk sector %ld value %lu\n", s, n);
    for (int i = len + 1; i < SECTOR_SIZE; i++)
        buf[i] = (unsigned char)(n * 31 + s * 7 + i);
}

/* The value sector S holds: 0 if it is zeros, -1 if it is no sector S. */
static long check_parse(const unsigned char *buf, long s)
{
    static unsigned char want[SECTOR_SIZE];
    unsigned long n;
    long got_s;
    int zeros = 1;

    for (int i = 0; i < SECTOR_SIZE && zeros; i++)
        zeros = buf[i] == 0;
    if (zeros)
        return 0;
    if (sscanf((const char *)buf, "labdisk sector %ld value %lu", &got_s, &n) != 2 ||
        got_s != s)
        return -1;
    check_fill(want, s, n);
    return memcmp(want, buf, SECTOR_SIZE) == 0 ? (long)n : -1;
}

static void disk_check(int fd, long check, unsigned long n)
{
    unsigned long last = 0;
    long s, got;
    int bad = 0;

    for (s = 0; s < check; s++) {
        if (!check_expected[s])
            continue;
        if (check_expected[s] > last)
            last = check_expected[s];
        if (pread(fd, check_buf, SECTOR_SIZE, check_offset(s)) != SECTOR_SIZE) {
            printf("disk ERROR read sector %ld: %s\n", s, strerror(errno));
            bad = 1;
            continue;
        }
        got = check_parse(check_buf, s);
        if (got == (long)check_expected[s])
            continue;
        bad = 1;
        if (got < 0)
            printf("disk BAD sector %ld: wrote %lu read garbage\n", s, check_expected[s]);
        else
            printf("disk STALE sector %ld: wrote %lu read %ld\n", s, check_expected[s], got);
    }
    if (!bad && last)
        printf("disk ok %lu\n", last);

    s = (long)(n % (unsigned long)check);
    check_fill(check_buf, s, n);
    if (pwrite(fd, check_buf, SECTOR_SIZE, check_offset(s)) == SECTOR_SIZE)
        check_expected[s] = n;
    else
        printf("disk ERROR write sector %ld: %s\n", s, strerror(errno));
    fflush(stdout);
}

static void tick_forever(long tick_ms, int disk_fd, long check)
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
        if (disk_fd >= 0 && check > 0) {
            /* O_DIRECT: from the aligned buffer. */
            memcpy(check_buf, line, SECTOR_SIZE);
            if (pwrite(disk_fd, check_buf, SECTOR_SIZE, 0) < 0)
                perror("guestload: write disk");
            disk_check(disk_fd, check, n);
        } else if (disk_fd >= 0 && pwrite(disk_fd, line, sizeof(line), 0) < 0) {
            perror("guestload: write disk");
        }

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
    long check = env_long("disk_check", 0);
    const char *disk = getenv("disk") ? getenv("disk") : "/dev/vda";
    int disk_fd;

    if (check < 0 || check > CHECK_MAX)
        check = 0;
    disk_fd = open_disk(disk, check);
    if (disk_fd < 0 || posix_memalign((void **)&check_buf, PAGE_SIZE, SECTOR_SIZE) != 0)
        check = 0;
    printf("guestload: tick every %ld ms, dirtying %ld MiB, disk %s, checking %ld sectors\n",
           tick_ms, dirty_mib, disk_fd >= 0 ? disk : "none", check);
    fflush(stdout);

    if (dirty_mib > 0) {
        pid_t child = fork();
        if (child == 0)
            dirty_forever(dirty_mib);
        if (child < 0)
            perror("guestload: fork");
    }
    tick_forever(tick_ms, disk_fd, check);
    return 0;
}
