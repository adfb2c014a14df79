// c-baseline-client: runs one baseline workload (cbaseline.h) and prints its result as one JSON
// line on stdout, in the schema the Swift client prints (kstlib-bench's ClientReport).
//
//   c-baseline-client --workload push|pipe|rtt|conns --address 127.0.0.1 --port P
//                     [--count N] [--size S] [--window W] [--conns K] [--connect-window W] [--warmup N]
//                     [--compression]
//   c-baseline-client --version        (prints libwebsockets' version)
//
// push, pipe and rtt first run the same workload with --warmup messages on a connection of
// their own (untimed), and report the CPU time of the timed run; conns warms up with one
// connection. Exits 0 when the workload completed.
#include <getopt.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "cbaseline.h"

typedef struct arguments {
    const char *workload;
    cbaseline_target target;
    long count;
    int size;
    int window;
    int conns;
    int connect_window;
    long warmup;
} arguments;

static int parse(int argc, char **argv, arguments *args) {
    static const struct option options[] = {
        {"workload", required_argument, NULL, 'w'}, {"address", required_argument, NULL, 'a'},
        {"port", required_argument, NULL, 'p'},     {"count", required_argument, NULL, 'n'},
        {"size", required_argument, NULL, 's'},     {"window", required_argument, NULL, 'W'},
        {"conns", required_argument, NULL, 'k'},    {"warmup", required_argument, NULL, 'u'},
        {"compression", no_argument, NULL, 'z'},    {"connect-window", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    *args = (arguments){.target = {.address = "127.0.0.1"}, .count = 1000, .size = 64, .window = 64, .conns = 1000};
    int option;
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (option) {
        case 'w': args->workload = optarg; break;
        case 'a': args->target.address = optarg; break;
        case 'p': args->target.port = atoi(optarg); break;
        case 'n': args->count = atol(optarg); break;
        case 's': args->size = atoi(optarg); break;
        case 'W': args->window = atoi(optarg); break;
        case 'k': args->conns = atoi(optarg); break;
        case 'u': args->warmup = atol(optarg); break;
        case 'z': args->target.compression = 1; break;
        case 'c': args->connect_window = atoi(optarg); break;
        default: return -1;
        }
    }
    if (!args->workload || args->target.port <= 0 || args->count <= 0 || args->size < 0 || args->window <= 0 ||
        args->conns <= 0 || args->warmup < 0 || args->connect_window < 0)
        return -1;
    return 0;
}

static int threads_of_process(void) {
    FILE *file = fopen("/proc/self/status", "r");
    if (!file) return -1;
    char line[256];
    int threads = -1;
    while (fgets(line, sizeof line, file)) {
        if (strncmp(line, "Threads:", 8) == 0) {
            threads = atoi(line + 8);
            break;
        }
    }
    fclose(file);
    return threads;
}

/// CPU time (user + system, all threads) this process has used so far, in seconds.
static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static int run_throughput(const arguments *args) {
    int is_push = strcmp(args->workload, "push") == 0;
    cbaseline_throughput result = {0};
    if (args->warmup > 0) {
        int warm = is_push ? cbaseline_push(&args->target, args->warmup, args->size, &result)
                           : cbaseline_pipe(&args->target, args->warmup, args->size, args->window, &result);
        if (warm != 0) return -1;
    }
    double cpu_before = cpu_seconds();
    int status = is_push ? cbaseline_push(&args->target, args->count, args->size, &result)
                         : cbaseline_pipe(&args->target, args->count, args->size, args->window, &result);
    double cpu = cpu_seconds() - cpu_before;
    printf("{\"client\":\"c\",\"workload\":\"%s\",\"ok\":%s,\"messages\":%ld,\"bytes\":%lld,\"seconds\":%.9f,"
           "\"cpu_seconds\":%.6f}\n",
           args->workload, status == 0 ? "true" : "false", result.messages, result.bytes, result.seconds, cpu);
    return status;
}

static int run_rtt(const arguments *args) {
    long longest = args->count > args->warmup ? args->count : args->warmup;
    double *samples = calloc((size_t)longest, sizeof *samples);
    if (!samples) return -1;
    if (args->warmup > 0 && cbaseline_rtt(&args->target, args->warmup, args->size, samples) != 0) {
        free(samples);
        return -1;
    }
    double cpu_before = cpu_seconds();
    int status = cbaseline_rtt(&args->target, args->count, args->size, samples);
    double cpu = cpu_seconds() - cpu_before;
    printf("{\"client\":\"c\",\"workload\":\"rtt\",\"ok\":%s,\"cpu_seconds\":%.6f,\"samples_us\":[",
           status == 0 ? "true" : "false", cpu);
    for (long i = 0; i < args->count; i++) printf(i ? ",%.3f" : "%.3f", samples[i]);
    printf("]}\n");
    free(samples);
    return status;
}

static int run_conns(const arguments *args) {
    // loop_threads is 1 by construction: this process is one thread, servicing its one context.
    cbaseline_conns_result result;
    int status = cbaseline_conns(&args->target, args->conns, args->connect_window, args->size, &result);
    printf("{\"client\":\"c\",\"workload\":\"conns\",\"ok\":%s,\"conns\":%d,\"opened\":%d,\"echoed\":%d,\"failed\":%d,"
           "\"open_seconds\":%.9f,\"echo_seconds\":%.9f,\"rss_base_kb\":%ld,\"rss_open_kb\":%ld,\"rss_peak_kb\":%ld,"
           "\"heap_base_kb\":%ld,\"heap_open_kb\":%ld,\"threads\":%d,\"loop_threads\":1}\n",
           status == 0 ? "true" : "false", result.requested, result.opened, result.echoed, result.failed,
           result.open_seconds, result.echo_seconds, result.rss_base_kb, result.rss_open_kb, result.rss_peak_kb,
           result.heap_base_kb, result.heap_open_kb, threads_of_process());
    return status;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("%s\n", cbaseline_library_version());
        return 0;
    }
    arguments args;
    if (parse(argc, argv, &args) != 0) {
        fprintf(stderr, "usage: c-baseline-client --workload push|pipe|rtt|conns --port P [--address A] [--count N] "
                        "[--size S] [--window W] [--conns K] [--connect-window W] [--warmup N] [--compression]\n");
        return 2;
    }
    int status;
    if (strcmp(args.workload, "push") == 0 || strcmp(args.workload, "pipe") == 0)
        status = run_throughput(&args);
    else if (strcmp(args.workload, "rtt") == 0)
        status = run_rtt(&args);
    else if (strcmp(args.workload, "conns") == 0)
        status = run_conns(&args);
    else {
        fprintf(stderr, "c-baseline-client: unknown workload %s\n", args.workload);
        return 2;
    }
    fflush(stdout);
    return status == 0 ? 0 : 1;
}
