/* What `umptcp sim` writes about a run (prefix scn_report_, scn_plot): a table for a person,
 * a JSON results file, a CSV time series, and a gnuplot drawing.
 *
 * Results files (JSON, CSV) hold only simulated quantities: the same scenario, seed and
 * options give the same file, byte for byte (no wall time, no host name, no date). */
#ifndef UMPTCP_TOOLS_SCENARIO_REPORT_H
#define UMPTCP_TOOLS_SCENARIO_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "scenario/scenario.h"
#include "scenario/scenario_run.h"

/* One single-path TCP run of an MPTCP flow (scn_single_path_variant): flow `flow` of the main
 * scenario as plain TCP from interface `iface` of its client. */
struct scn_baseline {
    size_t flow, iface;
    char link[SCN_NAME_MAX];       /* the link of that interface */
    char addr[UMPTCP_ADDR_STRLEN]; /* its address */
    struct scn_result result;      /* the run's result (flow `flow` is the one that matters) */
};

struct scn_report {
    const struct scn_scenario *scenario; /* as run (after overrides) */
    const struct scn_result *result;
    const struct scn_baseline *baselines; /* may be NULL with nbaselines 0 */
    size_t nbaselines;
};

/* The table for a person: per flow goodput, state, MPTCP or fallback reason, retransmissions,
 * each subflow's link, share, RTT and retransmissions; then, when there are baselines, each
 * MPTCP flow beside TCP on each path alone and the gain over the best path. */
void scn_report_text(FILE *out, const struct scn_report *rep);
/* The results as one JSON object (documented in docs/SCENARIOS.md). 0 or UMPTCP_ERR_IO. */
int scn_report_json(FILE *out, const struct scn_report *rep);
/* The time series of the main run: a header line, then one line per sample:
 * time_s,flow,subflow,link,throughput_mbps,cwnd_bytes,srtt_ms (subflow "all" for the flow's
 * aggregate, whose cwnd and srtt are empty). 0 or UMPTCP_ERR_IO. */
int scn_report_csv(FILE *out, const struct scn_report *rep);

/* Draws throughput per subflow and per flow (aggregate) over time, and each subflow's cwnd,
 * into path (.svg or .png, by its extension) with gnuplot. 0, or an error with a one-line
 * message in err: gnuplot not installed (and how to install it), an unknown extension,
 * gnuplot failing. */
int scn_plot(const char *path, const struct scn_report *rep, char *err, size_t errlen);

#endif
