/* scn_report_json: the results file. Only simulated quantities, every number in a fixed
 * format: the same result gives the same bytes (docs/SCENARIOS.md, "Results (--json)"). */
#include "scenario/scenario_report_internal.h"

#include "scenario/scenario_json.h"
#include "umptcp/error.h"

#define SECONDS_DECIMALS 6 /* microseconds */
#define RATE_DECIMALS 6    /* bit/s in Mbit/s */

/* A time that may be "none" (0): null, else seconds. */
static void kseconds_or_null(struct scn_json *w, const char *key, uint64_t ns)
{
    scn_json_key(w, key);
    if (ns == 0)
        scn_json_null(w);
    else
        scn_json_seconds(w, ns, SECONDS_DECIMALS);
}

static void kseconds(struct scn_json *w, const char *key, uint64_t ns)
{
    scn_json_key(w, key);
    scn_json_seconds(w, ns, SECONDS_DECIMALS);
}

/* A free-text member: null when empty. */
static void ktext_or_null(struct scn_json *w, const char *key, const char *s)
{
    scn_json_kstring(w, key, s[0] != 0 ? s : NULL);
}

static void scenario_object(struct scn_json *w, const struct scn_report *rep)
{
    const struct scn_scenario *s = rep->scenario;
    scn_json_key(w, "scenario");
    scn_json_begin_object(w);
    scn_json_kstring(w, "name", s->name);
    scn_json_kstring(w, "description", s->description);
    scn_json_kstring(w, "source", s->source);
    scn_json_kuint(w, "seed", rep->result->seed);
    kseconds(w, "duration_s", rep->result->duration_ns);
    scn_json_end_object(w);
}

static void subflow_object(struct scn_json *w, size_t k, const struct scn_subflow_result *sf)
{
    scn_json_begin_object(w);
    scn_json_kuint(w, "index", k);
    scn_json_kstring(w, "link", sf->link);
    scn_json_kstring(w, "local", sf->local);
    scn_json_kstring(w, "remote", sf->remote);
    ktext_or_null(w, "seen_as", sf->seen_as);
    scn_json_kbool(w, "join", sf->join);
    scn_json_kbool(w, "backup", sf->backup);
    scn_json_kuint(w, "bytes_acked", sf->bytes_acked);
    scn_json_kdouble(w, "share", sf->share, 6);
    scn_json_kdouble(w, "srtt_ms", (double)sf->srtt_us / 1000.0, 3);
    scn_json_kuint(w, "cwnd_bytes", sf->cwnd);
    scn_json_kuint(w, "retrans_segs", sf->retrans_segs);
    scn_json_end_object(w);
}

static void gain_member(struct scn_json *w, const struct scn_report *rep, size_t i)
{
    struct scn_gain g;
    scn_json_key(w, "gain");
    if (!scn_flow_gain(rep, i, &g)) {
        scn_json_null(w);
        return;
    }
    scn_json_begin_object(w);
    scn_json_kstring(w, "best_link", rep->baselines[g.best].link);
    scn_json_kdouble(w, "best_mbps", g.best_bps / 1e6, RATE_DECIMALS);
    scn_json_kdouble(w, "sum_mbps", g.sum_bps / 1e6, RATE_DECIMALS);
    scn_json_kdouble(w, "over_best", g.over_best, 6);
    scn_json_kdouble(w, "of_sum", g.of_sum, 6);
    scn_json_end_object(w);
}

/* What the flow was asked to do (from the scenario), then what happened. */
static void flow_request_members(struct scn_json *w, const struct scn_report *rep,
                                 const struct scn_flow *f)
{
    scn_json_kstring(w, "name", f->name);
    scn_json_kstring(w, "client", scn_node_name(rep->scenario, f->client));
    scn_json_kstring(w, "server", scn_node_name(rep->scenario, f->server));
    scn_json_kstring(w, "direction", scn_flow_dir_name(f->dir));
    scn_json_kbool(w, "mptcp_requested", f->mptcp);
    scn_json_kuint(w, "bytes_requested", f->bytes);
}

static void flow_result_members(struct scn_json *w, const struct scn_flow_result *fr)
{
    scn_json_kbool(w, "mptcp", fr->mptcp);
    ktext_or_null(w, "fallback", fr->fallback);
    scn_json_kstring(w, "state", scn_outcome_name(scn_flow_outcome(fr)));
    scn_json_kbool(w, "connected", fr->connected);
    scn_json_kbool(w, "complete", fr->complete);
    scn_json_kbool(w, "intact", fr->intact);
    ktext_or_null(w, "error", fr->error);
    scn_json_kuint(w, "bytes_sent", fr->bytes_sent);
    scn_json_kuint(w, "bytes_received", fr->bytes_received);
    ktext_or_null(w, "sha256_sent", fr->sha_sent);
    ktext_or_null(w, "sha256_received", fr->sha_received);
    kseconds(w, "start_s", fr->start_ns);
    kseconds_or_null(w, "connected_s", fr->connected ? fr->connected_ns : 0);
    kseconds_or_null(w, "first_byte_s", fr->first_byte_ns);
    kseconds_or_null(w, "last_byte_s", fr->last_byte_ns);
    kseconds_or_null(w, "done_s", fr->done_ns);
    scn_json_kdouble(w, "goodput_mbps", fr->goodput_bps / 1e6, RATE_DECIMALS);
    scn_json_kuint(w, "retrans_segs", fr->retrans_segs);
    scn_json_key(w, "subflows");
    scn_json_begin_array(w);
    for (size_t k = 0; k < fr->nsub && k < SCN_MAX_SUBFLOWS; k++)
        subflow_object(w, k, &fr->sub[k]);
    scn_json_end_array(w);
    scn_json_kuint(w, "untracked_subflows", fr->untracked_subflows);
}

static void flows_array(struct scn_json *w, const struct scn_report *rep)
{
    scn_json_key(w, "flows");
    scn_json_begin_array(w);
    for (size_t i = 0; scn_rep_flow(rep, i) != NULL; i++) {
        scn_json_begin_object(w);
        flow_request_members(w, rep, scn_rep_flow(rep, i));
        flow_result_members(w, scn_rep_flow_result(rep, i));
        gain_member(w, rep, i);
        scn_json_end_object(w);
    }
    scn_json_end_array(w);
}

static void packets_bytes(struct scn_json *w, const char *key, uint64_t packets, uint64_t bytes)
{
    scn_json_key(w, key);
    scn_json_begin_object(w);
    scn_json_kuint(w, "packets", packets);
    scn_json_kuint(w, "bytes", bytes);
    scn_json_end_object(w);
}

static void direction_object(struct scn_json *w, const char *key, const struct sim_link_counters *c)
{
    scn_json_key(w, key);
    scn_json_begin_object(w);
    packets_bytes(w, "sent", c->sent_packets, c->sent_bytes);
    packets_bytes(w, "delivered", c->delivered_packets, c->delivered_bytes);
    scn_json_key(w, "drops");
    scn_json_begin_object(w);
    packets_bytes(w, "queue", c->drop_queue_packets, c->drop_queue_bytes);
    packets_bytes(w, "loss", c->drop_loss_packets, c->drop_loss_bytes);
    packets_bytes(w, "down", c->drop_down_packets, c->drop_down_bytes);
    packets_bytes(w, "middlebox", c->drop_middlebox_packets, c->drop_middlebox_bytes);
    scn_json_end_object(w);
    scn_json_kuint(w, "duplicated_packets", c->duplicated_packets);
    scn_json_kuint(w, "reordered_packets", c->reordered_packets);
    scn_json_kuint(w, "middlebox_delayed_packets", c->middlebox_delayed_packets);
    packets_bytes(w, "queue_high_water", c->queue_high_water_packets, c->queue_high_water_bytes);
    scn_json_key(w, "mean_delay_ms");
    if (c->delivered_packets == 0)
        scn_json_null(w);
    else
        scn_json_double(w, (double)c->delay_sum_ns / (double)c->delivered_packets / 1e6, 3);
    scn_json_end_object(w);
}

static void links_array(struct scn_json *w, const struct scn_report *rep)
{
    const struct scn_scenario *s = rep->scenario;
    size_t n = s->nlink < rep->result->nlink ? s->nlink : rep->result->nlink;
    scn_json_key(w, "links");
    scn_json_begin_array(w);
    for (size_t i = 0; i < n; i++) {
        scn_json_begin_object(w);
        scn_json_kstring(w, "name", s->link[i].name);
        scn_json_kstring(w, "a", scn_node_name(s, s->link[i].node[0]));
        scn_json_kstring(w, "b", scn_node_name(s, s->link[i].node[1]));
        direction_object(w, "ab", &rep->result->link[i].dir[0]);
        direction_object(w, "ba", &rep->result->link[i].dir[1]);
        scn_json_end_object(w);
    }
    scn_json_end_array(w);
}

/* Each host's non-zero stack counters, like `nstat` on a real host. */
static void hosts_array(struct scn_json *w, const struct scn_report *rep)
{
    const struct scn_result *r = rep->result;
    scn_json_key(w, "hosts");
    scn_json_begin_array(w);
    for (size_t i = 0; i < r->nhost; i++) {
        scn_json_begin_object(w);
        scn_json_kstring(w, "name", r->host[i].name);
        scn_json_key(w, "counters");
        scn_json_begin_object(w);
        for (size_t k = 0; k < r->host[i].ncounters; k++)
            scn_json_kuint(w, r->host[i].counters[k].name, r->host[i].counters[k].value);
        scn_json_end_object(w);
        scn_json_end_object(w);
    }
    scn_json_end_array(w);
}

static void baselines_array(struct scn_json *w, const struct scn_report *rep)
{
    scn_json_key(w, "baselines");
    scn_json_begin_array(w);
    for (size_t k = 0; k < rep->nbaselines; k++) {
        const struct scn_baseline *b = &rep->baselines[k];
        const struct scn_flow *f = scn_rep_flow(rep, b->flow);
        const struct scn_flow_result *bf = scn_baseline_flow(b);
        if (f == NULL || bf == NULL)
            continue;
        scn_json_begin_object(w);
        scn_json_kstring(w, "flow", f->name);
        scn_json_kstring(w, "link", b->link);
        scn_json_kstring(w, "addr", b->addr);
        scn_json_kdouble(w, "goodput_mbps", bf->goodput_bps / 1e6, RATE_DECIMALS);
        scn_json_kstring(w, "state", scn_outcome_name(scn_flow_outcome(bf)));
        scn_json_kbool(w, "complete", bf->complete);
        scn_json_kbool(w, "intact", bf->intact);
        ktext_or_null(w, "error", bf->error);
        scn_json_kuint(w, "bytes_received", bf->bytes_received);
        scn_json_kuint(w, "retrans_segs", bf->retrans_segs);
        ktext_or_null(w, "failure", b->result.failure);
        scn_json_end_object(w);
    }
    scn_json_end_array(w);
}

int scn_report_json(FILE *out, const struct scn_report *rep)
{
    struct scn_json w;
    scn_json_init(&w, out);
    scn_json_begin_object(&w);
    scenario_object(&w, rep);
    ktext_or_null(&w, "failure", rep->result->failure);
    kseconds(&w, "end_s", rep->result->end_ns);
    scn_json_kuint(&w, "events", rep->result->events);
    kseconds(&w, "sample_s", rep->result->sample_ns);
    scn_json_kbool(&w, "samples_truncated", rep->result->samples_truncated);
    flows_array(&w, rep);
    links_array(&w, rep);
    hosts_array(&w, rep);
    baselines_array(&w, rep);
    scn_json_end_object(&w);
    return scn_json_finish(&w) == 0 ? 0 : UMPTCP_ERR_IO;
}
