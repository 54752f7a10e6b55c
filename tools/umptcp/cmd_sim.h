/* umptcp sim: the pieces shared by its files (cmd_sim*.c). */
#ifndef UMPTCP_TOOL_CMD_SIM_H
#define UMPTCP_TOOL_CMD_SIM_H

#include <stdbool.h>
#include <stdint.h>

#define SIM_EXIT_OK 0
#define SIM_EXIT_FAIL 1  /* a flow failed: data damaged, a sized flow incomplete, a reset */
#define SIM_EXIT_USAGE 2 /* bad arguments or a bad scenario */

enum sim_baseline_choice { SIM_BASELINE_SCENARIO, SIM_BASELINE_ON, SIM_BASELINE_OFF };

struct sim_opts {
    const char *file;        /* SCENARIO_FILE, or NULL with --preset */
    const char *preset;      /* --preset NAME */
    const char *show_preset; /* --show-preset NAME */
    bool list_presets;
    uint64_t time_ns; /* --time; 0: the scenario's */
    bool seed_set;
    uint64_t seed;
    bool quiet;
    const char *cc, *sched, *pm;
    const char *json, *csv, *pcap_dir, *plot;
    enum sim_baseline_choice baseline;
};

/* Parses argv (argv[0] = "sim"). Returns SIM_EXIT_OK, or SIM_EXIT_USAGE after printing one
 * line on stderr; *help is set for --help (usage printed on stdout). */
int sim_parse_args(int argc, char **argv, struct sim_opts *o, bool *help);

#endif
