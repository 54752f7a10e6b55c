/* What the report writers (text, JSON, CSV, plot) share: how a flow's outcome and direction
 * are named and how the gain of an MPTCP flow over its single-path baselines is computed, so
 * the table and the results file always agree. */
#ifndef UMPTCP_TOOLS_SCENARIO_REPORT_INTERNAL_H
#define UMPTCP_TOOLS_SCENARIO_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario/scenario_report.h"

/* The outcome of a flow, most serious first. */
enum scn_outcome {
    SCN_OUT_FAILED,     /* an error, no connection, or bytes that differ from those sent */
    SCN_OUT_INCOMPLETE, /* intact but not every byte arrived (always so for a bulk flow) */
    SCN_OUT_COMPLETE,
};

enum scn_outcome scn_flow_outcome(const struct scn_flow_result *fr);
/* "complete", "incomplete" or "failed" (the JSON "state"). */
const char *scn_outcome_name(enum scn_outcome o);
/* Why a flow failed, for a person: its error, else what the outcome implies; "" if it did
 * not fail. */
const char *scn_failure_reason(const struct scn_flow_result *fr);
/* "upload", "download" or "both". */
const char *scn_flow_dir_name(enum scn_flow_dir d);
/* The name of node n of s, or "?" when out of range. */
const char *scn_node_name(const struct scn_scenario *s, size_t n);

/* Flow i of the main run's scenario and result, or NULL when either lacks it. */
const struct scn_flow *scn_rep_flow(const struct scn_report *rep, size_t i);
const struct scn_flow_result *scn_rep_flow_result(const struct scn_report *rep, size_t i);
/* The flow of baseline b that matters (b->flow of its result), or NULL. */
const struct scn_flow_result *scn_baseline_flow(const struct scn_baseline *b);

/* An MPTCP flow beside TCP on each of its paths alone. */
struct scn_gain {
    size_t nbase;     /* baselines of the flow; 0: no comparison */
    size_t best;      /* index into rep->baselines of the fastest */
    double mptcp_bps; /* the flow's goodput in the main run */
    double best_bps;  /* goodput of the fastest baseline */
    double sum_bps;   /* sum over the flow's baselines */
    double over_best; /* mptcp / best (0 when best is 0) */
    double of_sum;    /* mptcp / sum (0 when sum is 0) */
};

/* The comparison for flow i; false (gain->nbase 0) when it is not MPTCP in the scenario or
 * has no baseline. */
bool scn_flow_gain(const struct scn_report *rep, size_t i, struct scn_gain *gain);

/* The link name of subflow `sub` of flow result fr ("" if none or out of range). */
const char *scn_sub_link(const struct scn_flow_result *fr, int sub);

#endif
