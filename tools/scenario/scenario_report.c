/* What the report writers share (scenario_report_internal.h). */
#include "scenario/scenario_report_internal.h"

#include <string.h>

enum scn_outcome scn_flow_outcome(const struct scn_flow_result *fr)
{
    if (fr->error[0] != 0 || !fr->connected || !fr->intact)
        return SCN_OUT_FAILED;
    return fr->complete ? SCN_OUT_COMPLETE : SCN_OUT_INCOMPLETE;
}

const char *scn_outcome_name(enum scn_outcome o)
{
    switch (o) {
    case SCN_OUT_COMPLETE:
        return "complete";
    case SCN_OUT_INCOMPLETE:
        return "incomplete";
    case SCN_OUT_FAILED:
        break;
    }
    return "failed";
}

const char *scn_failure_reason(const struct scn_flow_result *fr)
{
    if (fr->error[0] != 0)
        return fr->error;
    if (!fr->connected)
        return "never connected";
    if (!fr->intact)
        return "bytes arrived that differ from those sent";
    return "";
}

const char *scn_flow_dir_name(enum scn_flow_dir d)
{
    switch (d) {
    case SCN_FLOW_UPLOAD:
        return "upload";
    case SCN_FLOW_DOWNLOAD:
        return "download";
    case SCN_FLOW_BOTH:
        return "both";
    }
    return "?";
}

const char *scn_node_name(const struct scn_scenario *s, size_t n)
{
    return n < s->nnode ? s->node[n].name : "?";
}

const struct scn_flow *scn_rep_flow(const struct scn_report *rep, size_t i)
{
    if (i >= rep->scenario->nflow || i >= rep->result->nflow)
        return NULL;
    return &rep->scenario->flow[i];
}

const struct scn_flow_result *scn_rep_flow_result(const struct scn_report *rep, size_t i)
{
    if (scn_rep_flow(rep, i) == NULL)
        return NULL;
    return &rep->result->flow[i];
}

const struct scn_flow_result *scn_baseline_flow(const struct scn_baseline *b)
{
    if (b->flow >= b->result.nflow || b->flow >= SCN_MAX_FLOWS)
        return NULL;
    return &b->result.flow[b->flow];
}

bool scn_flow_gain(const struct scn_report *rep, size_t i, struct scn_gain *gain)
{
    memset(gain, 0, sizeof(*gain));
    const struct scn_flow *f = scn_rep_flow(rep, i);
    if (f == NULL || !f->mptcp)
        return false;
    gain->mptcp_bps = rep->result->flow[i].goodput_bps;
    for (size_t k = 0; k < rep->nbaselines; k++) {
        const struct scn_baseline *b = &rep->baselines[k];
        const struct scn_flow_result *bf = scn_baseline_flow(b);
        if (b->flow != i || bf == NULL)
            continue;
        if (gain->nbase == 0 || bf->goodput_bps > gain->best_bps) {
            gain->best = k;
            gain->best_bps = bf->goodput_bps;
        }
        gain->sum_bps += bf->goodput_bps;
        gain->nbase++;
    }
    if (gain->best_bps > 0)
        gain->over_best = gain->mptcp_bps / gain->best_bps;
    if (gain->sum_bps > 0)
        gain->of_sum = gain->mptcp_bps / gain->sum_bps;
    return gain->nbase > 0;
}

const char *scn_sub_link(const struct scn_flow_result *fr, int sub)
{
    if (sub < 0 || (size_t)sub >= fr->nsub || (size_t)sub >= SCN_MAX_SUBFLOWS)
        return "";
    return fr->sub[sub].link;
}
