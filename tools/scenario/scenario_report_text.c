/* scn_report_text: the table a person reads after `umptcp sim`. Free text (descriptions,
 * errors, fallback reasons) is printed on one line with control characters blanked, so a
 * strange reason cannot break the table. */
#include "scenario/scenario_report_internal.h"

#include "scenario/scenario_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MBIT 1e6

/* Blanks control characters of buf in place; returns buf. */
static char *clean(char *buf)
{
    for (unsigned char *p = (unsigned char *)buf; *p != 0; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return buf;
}

static void endpoints(const struct scn_report *rep, const struct scn_flow *f, char *buf, size_t len)
{
    snprintf(buf, len, "%s -> %s", scn_node_name(rep->scenario, f->client),
             scn_node_name(rep->scenario, f->server));
}

static void protocol(const struct scn_flow_result *fr, char *buf, size_t len)
{
    if (fr->mptcp)
        snprintf(buf, len, "MPTCP");
    else if (fr->fallback[0] != 0)
        snprintf(buf, len, "TCP (fallback: %s)", fr->fallback);
    else
        snprintf(buf, len, "TCP");
    clean(buf);
}

static void state(const struct scn_flow *f, const struct scn_flow_result *fr, char *buf, size_t len)
{
    enum scn_outcome o = scn_flow_outcome(fr);
    if (o == SCN_OUT_FAILED)
        snprintf(buf, len, "FAILED: %s", scn_failure_reason(fr));
    else if (o == SCN_OUT_COMPLETE)
        snprintf(buf, len, "complete");
    else if (f->bytes == 0)
        snprintf(buf, len, "intact (sent until the end)");
    else
        snprintf(buf, len, "INCOMPLETE: intact, but not every byte arrived in time");
    clean(buf);
}

static const char *mbps(char *buf, size_t len, double bps)
{
    return scn_fmt_double(buf, len, bps / MBIT, 2);
}

/* Column widths of the free-width columns, from their widest cell. */
struct widths {
    int name, ends, proto;
};

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

static struct widths flow_widths(const struct scn_report *rep)
{
    struct widths w = {4, 16, 8}; /* the headers' lengths */
    for (size_t i = 0; scn_rep_flow(rep, i) != NULL; i++) {
        char buf[192];
        const struct scn_flow *f = scn_rep_flow(rep, i);
        w.name = max_int(w.name, (int)strlen(f->name));
        endpoints(rep, f, buf, sizeof(buf));
        w.ends = max_int(w.ends, (int)strlen(buf));
        protocol(scn_rep_flow_result(rep, i), buf, sizeof(buf));
        w.proto = max_int(w.proto, (int)strlen(buf));
    }
    return w;
}

static void flow_header(FILE *out, const struct widths *w)
{
    fprintf(out, "%-*s  %-*s  %-9s  %14s  %12s  %8s  %7s  %-*s  %s\n", w->name, "flow", w->ends,
            "client -> server", "direction", "goodput", "bytes", "done (s)", "retrans", w->proto,
            "protocol", "state");
}

static void flow_row(FILE *out, const struct scn_report *rep, size_t i, const struct widths *w)
{
    const struct scn_flow *f = scn_rep_flow(rep, i);
    const struct scn_flow_result *fr = scn_rep_flow_result(rep, i);
    char ends[192], proto[192], st[192], done[32] = "-", rate[32];
    endpoints(rep, f, ends, sizeof(ends));
    protocol(fr, proto, sizeof(proto));
    state(f, fr, st, sizeof(st));
    if (fr->done_ns != 0)
        scn_fmt_seconds(done, sizeof(done), fr->done_ns, 3);
    fprintf(out, "%-*s  %-*s  %-9s  %7s Mbit/s  %12" PRIu64 "  %8s  %7" PRIu64 "  %-*s  %s\n",
            w->name, f->name, w->ends, ends, scn_flow_dir_name(f->dir),
            mbps(rate, sizeof(rate), fr->goodput_bps), fr->bytes_received, done, fr->retrans_segs,
            w->proto, proto, st);
}

static const char *sub_flags(const struct scn_subflow_result *sf)
{
    if (sf->join && sf->backup)
        return "join,backup";
    if (sf->join)
        return "join";
    return sf->backup ? "backup" : "-";
}

/* The subflows of one flow, indented under its row. */
static void subflow_rows(FILE *out, const struct scn_flow_result *fr)
{
    size_t n = fr->nsub < SCN_MAX_SUBFLOWS ? fr->nsub : SCN_MAX_SUBFLOWS;
    int wlink = 4, wends = 15;
    for (size_t k = 0; k < n; k++) {
        wlink = max_int(wlink, (int)strlen(fr->sub[k].link));
        wends = max_int(wends, (int)(strlen(fr->sub[k].local) + strlen(fr->sub[k].remote) + 4));
    }
    fprintf(out, "    %-7s  %-*s  %-*s  %-11s  %6s  %12s  %8s  %7s\n", "subflow", wlink, "link",
            wends, "local -> remote", "flags", "share", "bytes", "srtt ms", "retrans");
    for (size_t k = 0; k < n; k++) {
        const struct scn_subflow_result *sf = &fr->sub[k];
        char ends[2 * sizeof(sf->local) + 8], share[32], srtt[32];
        snprintf(ends, sizeof(ends), "%s -> %s", sf->local, sf->remote);
        scn_fmt_double(share, sizeof(share), sf->share * 100.0, 1);
        scn_fmt_double(srtt, sizeof(srtt), (double)sf->srtt_us / 1000.0, 1);
        fprintf(out, "    %-7zu  %-*s  %-*s  %-11s  %5s%%  %12" PRIu64 "  %8s  %7" PRIu64 "\n", k,
                wlink, sf->link[0] != 0 ? sf->link : "-", wends, ends, sub_flags(sf), share,
                sf->bytes_acked, srtt, sf->retrans_segs);
    }
    if (fr->untracked_subflows > 0)
        fprintf(out, "    ... and %zu more subflows, not reported (at most %d per flow)\n",
                fr->untracked_subflows, SCN_MAX_SUBFLOWS);
}

/* One line per MPTCP flow with baselines:
 * flow F: MPTCP X Mbit/s  |  TCP on L alone Y  |  ...  |  gain Gx over the best path, Sx of
 * their sum. */
static void comparison(FILE *out, const struct scn_report *rep, size_t i)
{
    struct scn_gain g;
    if (!scn_flow_gain(rep, i, &g))
        return;
    char buf[32];
    fprintf(out, "flow %s: MPTCP %s Mbit/s", rep->scenario->flow[i].name,
            mbps(buf, sizeof(buf), g.mptcp_bps));
    for (size_t k = 0; k < rep->nbaselines; k++) {
        const struct scn_baseline *b = &rep->baselines[k];
        const struct scn_flow_result *bf = scn_baseline_flow(b);
        if (b->flow != i || bf == NULL)
            continue;
        fprintf(out, "  |  TCP on %s alone %s", b->link[0] != 0 ? b->link : b->addr,
                mbps(buf, sizeof(buf), bf->goodput_bps));
        if (scn_flow_outcome(bf) == SCN_OUT_FAILED)
            fputs(" (failed)", out);
    }
    char over[32], sum[32];
    fprintf(out, "  |  gain %sx over the best path, %sx of their sum\n",
            scn_fmt_double(over, sizeof(over), g.over_best, 2),
            scn_fmt_double(sum, sizeof(sum), g.of_sum, 2));
}

static void heading(FILE *out, const struct scn_scenario *s)
{
    char desc[SCN_TEXT_MAX], src[SCN_TEXT_MAX];
    snprintf(desc, sizeof(desc), "%s", s->description);
    snprintf(src, sizeof(src), "%s", s->source);
    fprintf(out, "scenario %s", s->name);
    if (src[0] != 0)
        fprintf(out, " (%s)", clean(src));
    if (desc[0] != 0)
        fprintf(out, ": %s", clean(desc));
    fputs("\n\n", out);
}

/* The closing line: simulated time, events, seed; wall time is fine here (not a results
 * file). */
static void summary(FILE *out, const struct scn_result *r)
{
    char end[32], lim[32], wall[32], speed[32];
    scn_fmt_seconds(end, sizeof(end), r->end_ns, 1);
    scn_fmt_seconds(lim, sizeof(lim), r->duration_ns, 1);
    fprintf(out, "simulated %s s of %s s", end, lim);
    if (r->wall_seconds > 0) {
        double x = (double)r->end_ns / 1e9 / r->wall_seconds;
        fprintf(out, " in %s s (%sx real time)",
                scn_fmt_double(wall, sizeof(wall), r->wall_seconds, 1),
                scn_fmt_double(speed, sizeof(speed), x, x >= 10 ? 0 : 1));
    }
    fprintf(out, ", %" PRIu64 " events, seed %" PRIu64 "\n", r->events, r->seed);
    if (r->failure[0] != 0) {
        char why[sizeof(r->failure)];
        snprintf(why, sizeof(why), "%s", r->failure);
        fprintf(out, "run FAILED: %s\n", clean(why));
    }
}

void scn_report_text(FILE *out, const struct scn_report *rep)
{
    heading(out, rep->scenario);
    struct widths w = flow_widths(rep);
    flow_header(out, &w);
    for (size_t i = 0; scn_rep_flow(rep, i) != NULL; i++) {
        flow_row(out, rep, i, &w);
        const struct scn_flow_result *fr = scn_rep_flow_result(rep, i);
        if (fr->nsub > 0)
            subflow_rows(out, fr);
    }
    bool first = true;
    for (size_t i = 0; scn_rep_flow(rep, i) != NULL; i++) {
        struct scn_gain g;
        if (!scn_flow_gain(rep, i, &g))
            continue;
        if (first)
            fputs("\ncompared with plain TCP on each path alone:\n", out);
        first = false;
        comparison(out, rep, i);
    }
    fputc('\n', out);
    summary(out, rep->result);
}
