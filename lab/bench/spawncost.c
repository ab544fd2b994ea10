/*
 * spawncost: what starting a hook costs on this machine, outside libvirt.
 *
 *   spawncost RSS_MIB THREADS RUNS PROGRAM
 *
 * Becomes a process like a libvirt daemon (RSS_MIB MiB of touched memory,
 * THREADS idle threads besides the main one), then starts PROGRAM with a
 * hook's arguments ("vm switchover begin dst") RUNS times each way,
 * interleaved, and waits for it:
 *
 *   fork         fork() + execv() in the child + waitpid(), as libvirt's
 *                virCommandRun does (its child does more before exec)
 *   posix_spawn  glibc's posix_spawn() (vfork-like: no copy of the page
 *                tables) + waitpid()
 *
 * Prints "<way> median_ms=<x> p90_ms=<y>" for each, and for fork also the
 * time until fork() returned in the parent ("fork-return").
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *idle_thread(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, double *v, int n)
{
    qsort(v, n, sizeof(*v), compare);
    printf("%s median_ms=%.3f p90_ms=%.3f\n", name, v[n / 2], v[n * 9 / 10]);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s RSS_MIB THREADS RUNS PROGRAM\n", argv[0]);
        return 2;
    }
    size_t size = (size_t)atol(argv[1]) << 20;
    int threads = atoi(argv[2]);
    int runs = atoi(argv[3]);
    char *args[] = { argv[4], "vm", "switchover", "begin", "dst", NULL };
    double *fork_ret = calloc(runs, sizeof(double));
    double *fork_all = calloc(runs, sizeof(double));
    double *spawn_all = calloc(runs, sizeof(double));
    char *mem = size ? malloc(size) : NULL;

    if (runs < 1 || !fork_ret || !fork_all || !spawn_all || (size && !mem)) {
        fprintf(stderr, "spawncost: bad arguments or out of memory\n");
        return 1;
    }
    if (mem)
        memset(mem, 1, size);
    for (int i = 0; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, idle_thread, NULL) != 0) {
            perror("spawncost: pthread_create");
            return 1;
        }
    }

    for (int i = 0; i < runs; i++) {
        int status;
        pid_t pid;
        double t0 = now_ms(), t1;

        pid = fork();
        if (pid == 0) {
            execv(args[0], args);
            _exit(127);
        }
        t1 = now_ms();
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || status != 0) {
            fprintf(stderr, "spawncost: fork run of %s failed\n", args[0]);
            return 1;
        }
        fork_ret[i] = t1 - t0;
        fork_all[i] = now_ms() - t0;

        t0 = now_ms();
        if (posix_spawn(&pid, args[0], NULL, NULL, args, environ) != 0 ||
            waitpid(pid, &status, 0) < 0 || status != 0) {
            fprintf(stderr, "spawncost: posix_spawn run of %s failed\n", args[0]);
            return 1;
        }
        spawn_all[i] = now_ms() - t0;
    }
    report("fork-return", fork_ret, runs);
    report("fork", fork_all, runs);
    report("posix_spawn", spawn_all, runs);
    return 0;
}
