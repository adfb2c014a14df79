// cbaseline_process: monotonic clock, RSS and heap readings, and the fd limit of the baseline process.
#include "cbaseline_process.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

double cb_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long cb_status_kb(const char *field) {
    FILE *file = fopen("/proc/self/status", "r");
    if (!file) return -1;
    char line[256];
    long value = -1;
    size_t field_len = strlen(field);
    while (fgets(line, sizeof line, file)) {
        if (strncmp(line, field, field_len) == 0) {
            sscanf(line + field_len, "%ld", &value);
            break;
        }
    }
    fclose(file);
    return value;
}

long cb_heap_in_use_kb(void) {
    struct mallinfo2 info = mallinfo2();
    return (long)((info.uordblks + info.hblkhd) / 1024);
}

unsigned int cb_raise_fd_limit(void) {
    const rlim_t ceiling = 1 << 20;
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max < ceiling ? limit.rlim_max : ceiling;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    return (unsigned int)(limit.rlim_cur < ceiling ? limit.rlim_cur : ceiling);
}
