/* umptcp sim: runs a scenario (a file or a preset) in the deterministic simulator and reports
 * on it: progress on a terminal, a table, and optionally JSON, CSV, captures and a plot. */
#include "cmd_sim.h"
#include "commands.h"

#include "scenario/scenario.h"
#include "scenario/scenario_ops.h"
#include "scenario/scenario_report.h"
#include "scenario/scenario_run.h"
#include "umptcp/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SIM_MAX_BASELINES (SCN_MAX_FLOWS * SCN_MAX_IFACES)

struct sim_progress_state {
    const struct scn_scenario *s;
    const char *label;
    double last_print;
    bool printed;
};

static double sim_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One status line, rewritten in place: simulated time, then each flow's aggregate rate with
 * its subflows' rates in brackets, over the last sample interval. */
static void sim_progress(void *user, const struct scn_progress *p)
{
    struct sim_progress_state *ps = user;
    double now = sim_wall();
    if (now - ps->last_print < 0.2 && p->now_ns < p->duration_ns)
        return;
    ps->last_print = now;
    ps->printed = true;
    const struct scn_result *r = p->result;
    size_t first = r->nsamples;
    while (first > 0 && r->samples[first - 1].t_ns == p->now_ns)
        first--;
    fprintf(stderr, "\r\033[K%s t=%6.1f/%.1f s", ps->label, (double)p->now_ns / 1e9,
            (double)p->duration_ns / 1e9);
    for (size_t i = first; i < r->nsamples; i++) {
        const struct scn_sample *smp = &r->samples[i];
        if (smp->subflow < 0)
            fprintf(stderr, "%s %s %.1f Mbit/s", i == first ? "" : "]", ps->s->flow[smp->flow].name,
                    smp->rate_bps / 1e6);
        else
            fprintf(stderr, "%s%.1f", smp->subflow == 0 ? " [" : " + ", smp->rate_bps / 1e6);
    }
    if (first < r->nsamples && r->samples[r->nsamples - 1].subflow >= 0)
        fprintf(stderr, "]");
    fflush(stderr);
}

static void sim_progress_end(struct sim_progress_state *ps)
{
    if (ps->printed)
        fprintf(stderr, "\r\033[K");
}

static int sim_list_presets(void)
{
    for (const char *const *n = scn_preset_names(); *n != NULL; n++)
        printf("%-18s %s\n", *n, scn_preset_summary(*n));
    return SIM_EXIT_OK;
}

static int sim_show_preset(const char *name)
{
    const char *text = scn_preset_text(name);
    if (text == NULL) {
        fprintf(stderr, "umptcp sim: unknown preset '%s' (try 'umptcp sim --list-presets')\n",
                name);
        return SIM_EXIT_USAGE;
    }
    fputs(text, stdout);
    return SIM_EXIT_OK;
}

static int sim_load(const struct sim_opts *o, struct scn_scenario *s)
{
    char err[512];
    int rc = o->preset != NULL ? scn_load_preset(o->preset, s, err, sizeof(err))
                               : scn_parse_file(o->file, s, err, sizeof(err));
    if (rc != UMPTCP_OK) {
        fprintf(stderr, "umptcp sim: %s\n", err);
        return SIM_EXIT_USAGE;
    }
    return SIM_EXIT_OK;
}

/* --cc, --sched, --pm name what the stack has, and --pcap-dir is a directory. */
static int sim_check_opts(const struct sim_opts *o)
{
    static const struct {
        enum scn_ops_kind kind;
        const char *what;
    } kinds[] = {{SCN_OPS_CC, "congestion control"},
                 {SCN_OPS_SCHED, "scheduler"},
                 {SCN_OPS_PM, "path manager"}};
    const char *names[] = {o->cc, o->sched, o->pm};
    for (size_t i = 0; i < 3; i++) {
        char list[128];
        if (names[i] != NULL && !scn_ops_name_known(kinds[i].kind, names[i], list, sizeof(list))) {
            fprintf(stderr, "umptcp sim: unknown %s '%s' (available: %s)\n", kinds[i].what,
                    names[i], list);
            return SIM_EXIT_USAGE;
        }
    }
    struct stat st;
    if (o->pcap_dir != NULL && (stat(o->pcap_dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        if (mkdir(o->pcap_dir, 0777) != 0) {
            fprintf(stderr, "umptcp sim: --pcap-dir %s: %s\n", o->pcap_dir, strerror(errno));
            return SIM_EXIT_USAGE;
        }
    }
    return SIM_EXIT_OK;
}

static void sim_run_opts(const struct sim_opts *o, struct scn_run_opts *ro)
{
    memset(ro, 0, sizeof(*ro));
    ro->duration_ns = o->time_ns;
    ro->seed_set = o->seed_set;
    ro->seed = o->seed;
    ro->cc = o->cc;
    ro->sched = o->sched;
    ro->pm = o->pm;
}

static bool sim_flows_ok(const struct scn_scenario *s, const struct scn_result *r)
{
    if (r->failure[0] != '\0')
        return false;
    for (size_t i = 0; i < r->nflow; i++) {
        const struct scn_flow_result *f = &r->flow[i];
        if (!f->intact || f->error[0] != '\0' || !f->connected ||
            (s->flow[i].bytes > 0 && !f->complete))
            return false;
    }
    return true;
}

/* Runs every MPTCP flow again as TCP on each of its client's paths alone. */
static size_t sim_run_baselines(const struct sim_opts *o, const struct scn_scenario *s,
                                struct scn_baseline *bl, struct scn_scenario *variant)
{
    size_t n = 0;
    struct scn_run_opts ro;
    sim_run_opts(o, &ro);
    for (size_t f = 0; f < s->nflow; f++) {
        if (!s->flow[f].mptcp)
            continue;
        const struct scn_node *client = &s->node[s->flow[f].client];
        for (size_t i = 0; i < client->niface && n < SIM_MAX_BASELINES; i++) {
            if (scn_single_path_variant(s, f, i, variant) != UMPTCP_OK)
                continue;
            struct scn_baseline *b = &bl[n++];
            b->flow = f;
            b->iface = i;
            int l = scn_iface_link(s, s->flow[f].client, i);
            snprintf(b->link, sizeof(b->link), "%s", l >= 0 ? s->link[l].name : "?");
            umptcp_addr_format(&variant->flow[f].source, b->addr, sizeof(b->addr));
            struct sim_progress_state ps = {.s = variant};
            char label[SCN_NAME_MAX * 2 + 32];
            snprintf(label, sizeof(label), "baseline: TCP on %s", b->link);
            ps.label = label;
            ro.progress = !o->quiet && isatty(2) ? sim_progress : NULL;
            ro.progress_user = &ps;
            scn_run(variant, &ro, &b->result);
            sim_progress_end(&ps);
        }
    }
    return n;
}

static int sim_write_file(const char *path, int (*fn)(FILE *, const struct scn_report *),
                          const struct scn_report *rep)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "umptcp sim: cannot write %s: %s\n", path, strerror(errno));
        return SIM_EXIT_FAIL;
    }
    int rc = fn(f, rep);
    if (fclose(f) != 0 || rc != UMPTCP_OK) {
        fprintf(stderr, "umptcp sim: writing %s failed\n", path);
        return SIM_EXIT_FAIL;
    }
    return SIM_EXIT_OK;
}

static int sim_outputs(const struct sim_opts *o, const struct scn_report *rep)
{
    int status = SIM_EXIT_OK;
    scn_report_text(stdout, rep);
    fflush(stdout);
    if (o->json != NULL && sim_write_file(o->json, scn_report_json, rep) != SIM_EXIT_OK)
        status = SIM_EXIT_FAIL;
    if (o->csv != NULL && sim_write_file(o->csv, scn_report_csv, rep) != SIM_EXIT_OK)
        status = SIM_EXIT_FAIL;
    if (o->plot != NULL) {
        char err[256];
        if (scn_plot(o->plot, rep, err, sizeof(err)) != UMPTCP_OK) {
            fprintf(stderr, "umptcp sim: --plot %s: %s\n", o->plot, err);
            status = SIM_EXIT_FAIL;
        } else if (!o->quiet) {
            fprintf(stderr, "plot written to %s\n", o->plot);
        }
    }
    return status;
}

/* The run, the baselines and the reports; s is the loaded scenario. */
static int sim_execute(const struct sim_opts *o, struct scn_scenario *s)
{
    struct scn_run_opts ro;
    sim_run_opts(o, &ro);
    ro.pcap_dir = o->pcap_dir;
    struct sim_progress_state ps = {.s = s, .label = s->name};
    ro.progress = !o->quiet && isatty(2) ? sim_progress : NULL;
    ro.progress_user = &ps;
    struct scn_result *r = calloc(1, sizeof(*r));
    struct scn_baseline *bl = calloc(SIM_MAX_BASELINES, sizeof(*bl));
    struct scn_scenario *variant = malloc(sizeof(*variant));
    if (r == NULL || bl == NULL || variant == NULL) {
        fprintf(stderr, "umptcp sim: out of memory\n");
        free(r), free(bl), free(variant);
        return SIM_EXIT_FAIL;
    }
    int rc = scn_run(s, &ro, r);
    sim_progress_end(&ps);
    if (rc != UMPTCP_OK)
        fprintf(stderr, "umptcp sim: the run failed: %s\n", r->failure);
    bool want =
        o->baseline == SIM_BASELINE_ON || (o->baseline == SIM_BASELINE_SCENARIO && s->baseline);
    size_t nbl = rc == UMPTCP_OK && want ? sim_run_baselines(o, s, bl, variant) : 0;
    struct scn_report rep = {.scenario = s, .result = r, .baselines = bl, .nbaselines = nbl};
    int status = sim_outputs(o, &rep);
    if (!sim_flows_ok(s, r))
        status = SIM_EXIT_FAIL;
    for (size_t i = 0; i < nbl; i++)
        scn_result_free(&bl[i].result);
    scn_result_free(r);
    free(r), free(bl), free(variant);
    return status;
}

int cmd_sim_main(int argc, char **argv)
{
    struct sim_opts o;
    bool help = false;
    int rc = sim_parse_args(argc, argv, &o, &help);
    if (rc != SIM_EXIT_OK || help)
        return rc;
    if (o.list_presets)
        return sim_list_presets();
    if (o.show_preset != NULL)
        return sim_show_preset(o.show_preset);
    rc = sim_check_opts(&o);
    if (rc != SIM_EXIT_OK)
        return rc;
    struct scn_scenario *s = malloc(sizeof(*s));
    if (s == NULL) {
        fprintf(stderr, "umptcp sim: out of memory\n");
        return SIM_EXIT_FAIL;
    }
    rc = sim_load(&o, s);
    if (rc == SIM_EXIT_OK)
        rc = sim_execute(&o, s);
    free(s);
    return rc;
}
