/* umptcp sim: the command line. Every error is one line on stderr and exit status 2. */
#include "cmd_sim.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sim_long_opt {
    SIM_OPT_PRESET = 256,
    SIM_OPT_LIST_PRESETS,
    SIM_OPT_SHOW_PRESET,
    SIM_OPT_TIME,
    SIM_OPT_SEED,
    SIM_OPT_CC,
    SIM_OPT_SCHED,
    SIM_OPT_PM,
    SIM_OPT_JSON,
    SIM_OPT_CSV,
    SIM_OPT_PCAP_DIR,
    SIM_OPT_PLOT,
    SIM_OPT_BASELINE,
    SIM_OPT_NO_BASELINE,
};

static const struct option sim_long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"quiet", no_argument, NULL, 'q'},
    {"preset", required_argument, NULL, SIM_OPT_PRESET},
    {"list-presets", no_argument, NULL, SIM_OPT_LIST_PRESETS},
    {"show-preset", required_argument, NULL, SIM_OPT_SHOW_PRESET},
    {"time", required_argument, NULL, SIM_OPT_TIME},
    {"seed", required_argument, NULL, SIM_OPT_SEED},
    {"cc", required_argument, NULL, SIM_OPT_CC},
    {"sched", required_argument, NULL, SIM_OPT_SCHED},
    {"pm", required_argument, NULL, SIM_OPT_PM},
    {"json", required_argument, NULL, SIM_OPT_JSON},
    {"csv", required_argument, NULL, SIM_OPT_CSV},
    {"pcap-dir", required_argument, NULL, SIM_OPT_PCAP_DIR},
    {"plot", required_argument, NULL, SIM_OPT_PLOT},
    {"baseline", no_argument, NULL, SIM_OPT_BASELINE},
    {"no-baseline", no_argument, NULL, SIM_OPT_NO_BASELINE},
    {NULL, 0, NULL, 0},
};

static void sim_usage(FILE *out)
{
    fprintf(out,
            "usage: umptcp sim [OPTIONS] SCENARIO_FILE\n"
            "       umptcp sim [OPTIONS] --preset NAME\n"
            "       umptcp sim --list-presets | --show-preset NAME\n"
            "\n"
            "Runs a scenario in the deterministic network simulator: hosts running umptcp\n"
            "stacks (the same protocol code as 'umptcp cat'), routers, links with rate, delay,\n"
            "queue, loss and reordering, middleboxes, MPTCP and TCP flows, and timed events\n"
            "(docs/SCENARIOS.md describes the file format). Needs no privileges: nothing leaves\n"
            "the process. Prints live progress on a terminal, then a table per flow and subflow;\n"
            "for scenarios with baselines (every preset), also each MPTCP flow run as TCP on\n"
            "each path alone. The same scenario and seed give the same results, byte for byte.\n"
            "\n"
            "options:\n"
            "  --preset NAME       run a built-in scenario (see --list-presets)\n"
            "  --list-presets      list the built-in scenarios\n"
            "  --show-preset NAME  print a built-in scenario's file (a start for your own)\n"
            "  --time SECONDS      simulated time to run at most (default: the scenario's)\n"
            "  --seed N            seed of every random choice (default: the scenario's)\n"
            "  --cc NAME           congestion control of every flow (reno, cubic)\n"
            "  --sched NAME        MPTCP scheduler of every flow (minrtt, rr)\n"
            "  --pm NAME           MPTCP path manager of every flow (fullmesh, ndiffports)\n"
            "  --json FILE         write the results as JSON\n"
            "  --csv FILE          write per-subflow throughput, cwnd and RTT every 100 ms\n"
            "  --pcap-dir DIR      write one capture per host, DIR/HOST.pcap (tshark reads them)\n"
            "  --plot FILE         draw throughput and cwnd over time (.svg or .png; gnuplot)\n"
            "  --baseline          also run the single-path TCP baselines\n"
            "  --no-baseline       do not, even when the scenario asks for them\n"
            "  -q, --quiet         no progress output\n"
            "  -h, --help          this help\n"
            "\n"
            "exit status: 0 every flow intact (and sized flows complete), 1 a flow failed,\n"
            "2 bad arguments or a bad scenario\n");
}

static int sim_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sim_bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "umptcp sim: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (try 'umptcp sim --help')\n");
    va_end(ap);
    return SIM_EXIT_USAGE;
}

/* --time: seconds, > 0 and at most a day. */
static int sim_parse_time(const char *arg, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end != '\0' || errno != 0 || !isfinite(v) || v <= 0 || v > 86400)
        return sim_bad("--time '%s': expected seconds, more than 0 and at most 86400", arg);
    *out = (uint64_t)(v * 1e9 + 0.5);
    return *out > 0 ? SIM_EXIT_OK : sim_bad("--time '%s': too short", arg);
}

static int sim_parse_seed(const char *arg, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (arg[0] == '-' || arg[0] == '\0')
        return sim_bad("--seed '%s': expected an integer 0..18446744073709551615", arg);
    unsigned long long v = strtoull(arg, &end, 10);
    if (*end != '\0' || errno != 0)
        return sim_bad("--seed '%s': expected an integer 0..18446744073709551615", arg);
    *out = v;
    return SIM_EXIT_OK;
}

static int sim_take_opt(int c, const char *arg, struct sim_opts *o)
{
    switch (c) {
    case 'q':
        o->quiet = true;
        return SIM_EXIT_OK;
    case SIM_OPT_PRESET:
        o->preset = arg;
        return SIM_EXIT_OK;
    case SIM_OPT_LIST_PRESETS:
        o->list_presets = true;
        return SIM_EXIT_OK;
    case SIM_OPT_SHOW_PRESET:
        o->show_preset = arg;
        return SIM_EXIT_OK;
    case SIM_OPT_TIME:
        return sim_parse_time(arg, &o->time_ns);
    case SIM_OPT_SEED:
        o->seed_set = true;
        return sim_parse_seed(arg, &o->seed);
    case SIM_OPT_CC:
        o->cc = arg;
        return SIM_EXIT_OK;
    case SIM_OPT_SCHED:
        o->sched = arg;
        return SIM_EXIT_OK;
    case SIM_OPT_PM:
        o->pm = arg;
        return SIM_EXIT_OK;
    case SIM_OPT_JSON:
        o->json = arg;
        return SIM_EXIT_OK;
    case SIM_OPT_CSV:
        o->csv = arg;
        return SIM_EXIT_OK;
    case SIM_OPT_PCAP_DIR:
        o->pcap_dir = arg;
        return SIM_EXIT_OK;
    case SIM_OPT_PLOT:
        o->plot = arg;
        return SIM_EXIT_OK;
    case SIM_OPT_BASELINE:
    case SIM_OPT_NO_BASELINE:
        o->baseline = c == SIM_OPT_BASELINE ? SIM_BASELINE_ON : SIM_BASELINE_OFF;
        return SIM_EXIT_OK;
    default:
        return SIM_EXIT_USAGE;
    }
}

/* Exactly one of SCENARIO_FILE, --preset, --list-presets, --show-preset. */
static int sim_check_what(const struct sim_opts *o)
{
    int n = (o->file != NULL) + (o->preset != NULL) + o->list_presets + (o->show_preset != NULL);
    if (n == 0)
        return sim_bad("%s", "give a scenario file or --preset NAME");
    if (n > 1)
        return sim_bad("%s", "give one of: a scenario file, --preset, --list-presets, "
                             "--show-preset");
    return SIM_EXIT_OK;
}

int sim_parse_args(int argc, char **argv, struct sim_opts *o, bool *help)
{
    memset(o, 0, sizeof(*o));
    *help = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":hq", sim_long_opts, NULL)) != -1) {
        if (c == 'h') {
            sim_usage(stdout);
            *help = true;
            return SIM_EXIT_OK;
        }
        if (c == '?')
            return sim_bad("unknown option '%s'", argv[optind - 1]);
        if (c == ':')
            return sim_bad("option '%s' needs a value", argv[optind - 1]);
        int rc = sim_take_opt(c, optarg, o);
        if (rc != SIM_EXIT_OK)
            return rc;
    }
    if (optind < argc)
        o->file = argv[optind++];
    if (optind < argc)
        return sim_bad("unexpected argument '%s'", argv[optind]);
    return sim_check_what(o);
}
