/* scn_run: builds a scenario's world, starts its flows, fires its events, samples every
 * interval of simulated time, and gathers the results. */
#include "scenario/scenario_internal.h"

#include "umptcp/error.h"
#include "umptcp/pm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCN_DEFAULT_MAX_EVENTS 2000000000ull

void scn_run_fail(struct scn_runner *run, const char *fmt, ...)
{
    struct scn_result *r = run->r;
    if (r->failure[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->failure, sizeof(r->failure), fmt, ap);
        va_end(ap);
    }
    if (run->w != NULL)
        sim_world_stop(run->w);
}

/* ---- timed events ------------------------------------------------------------------------- */

static void scn_event_link(struct scn_runner *run, const struct scn_event *ev, struct sim_link *l)
{
    struct sim_link_config cfg = *sim_link_config(l);
    switch (ev->kind) {
    case SCN_EV_LINK_DOWN:
    case SCN_EV_LINK_UP:
        sim_link_set_up(l, ev->kind == SCN_EV_LINK_UP);
        return;
    case SCN_EV_RATE:
        cfg.rate_bps = ev->value;
        break;
    case SCN_EV_DELAY:
        cfg.delay_ns = ev->value;
        break;
    case SCN_EV_LOSS:
        cfg.loss = ev->p;
        break;
    case SCN_EV_QUEUE:
        cfg.queue_limit_bytes = ev->value;
        break;
    default:
        return;
    }
    int rc = sim_link_configure(l, &cfg);
    if (rc != UMPTCP_OK)
        scn_run_fail(run, "event (line %d): link %s: %s", ev->line, sim_link_name(l),
                     umptcp_strerror(rc));
}

/* The host gets the address (back) on its interface, as a backup when the interface is one. */
static int scn_add_addr(struct scn_runner *run, const struct scn_event *ev)
{
    umptcp_stack *st = run->stack[ev->node];
    int rc = umptcp_stack_add_address(st, (int)ev->iface + 1, &ev->addr);
    if (rc == UMPTCP_OK && run->s->node[ev->node].iface[ev->iface].backup)
        rc = umptcp_stack_set_backup(st, &ev->addr, true);
    return rc;
}

static void scn_event_addr(struct scn_runner *run, const struct scn_event *ev)
{
    umptcp_stack *st = run->stack[ev->node];
    int rc;
    const char *action;
    if (ev->kind == SCN_EV_REMOVE_ADDR) {
        action = "remove-address";
        rc = umptcp_stack_remove_address(st, &ev->addr);
    } else if (ev->kind == SCN_EV_ADD_ADDR) {
        action = "add-address";
        rc = scn_add_addr(run, ev);
    } else {
        action = "backup";
        rc = umptcp_stack_set_backup(st, &ev->addr, ev->on);
    }
    if (rc != UMPTCP_OK) {
        char a[UMPTCP_ADDR_STRLEN];
        scn_run_fail(run, "event (line %d): %s %s: %s", ev->line, action,
                     umptcp_addr_format(&ev->addr, a, sizeof(a)), umptcp_strerror(rc));
    }
}

static void scn_event_fire(struct sim_world *w, void *arg, uint64_t now)
{
    (void)w;
    (void)now;
    struct scn_evctx *ctx = arg;
    const struct scn_event *ev = ctx->ev;
    if (scn_event_is_address(ev->kind)) {
        scn_event_addr(ctx->run, ev);
        return;
    }
    for (int d = 0; d < 2; d++)
        if (ev->dirmask & (d == 0 ? SCN_DIR_AB : SCN_DIR_BA))
            scn_event_link(ctx->run, ev, ctx->run->link[ev->link][d]);
}

/* ---- samples ----------------------------------------------------------------------------- */

static int scn_push_sample(struct scn_result *r, const struct scn_sample *smp)
{
    if (r->nsamples >= SCN_MAX_SAMPLES) {
        r->samples_truncated = true;
        return UMPTCP_OK;
    }
    if (r->nsamples == r->samples_cap) {
        size_t cap = r->samples_cap == 0 ? 1024 : r->samples_cap * 2;
        struct scn_sample *n = realloc(r->samples, cap * sizeof(*n));
        if (n == NULL)
            return UMPTCP_ERR_NOMEM;
        r->samples = n;
        r->samples_cap = cap;
    }
    r->samples[r->nsamples++] = *smp;
    return UMPTCP_OK;
}

/* Payload bytes a subflow carried in the flow's direction(s), seen by the client. */
static uint64_t scn_sub_bytes(const struct scn_flowrun *fr, size_t k)
{
    const umptcp_conn_info *ci = &fr->sub[k].client.tcp;
    switch (fr->f->dir) {
    case SCN_FLOW_UPLOAD:
        return ci->bytes_acked;
    case SCN_FLOW_DOWNLOAD:
        return ci->bytes_received;
    case SCN_FLOW_BOTH:
        return ci->bytes_acked + ci->bytes_received;
    }
    return 0;
}

/* The data sender's view of subflow k (the server's for a download, when it is known). */
static const umptcp_conn_info *scn_sub_sender(const struct scn_flowrun *fr, size_t k)
{
    if (fr->f->dir == SCN_FLOW_DOWNLOAD && fr->sub[k].have_server)
        return &fr->sub[k].server.tcp;
    return &fr->sub[k].client.tcp;
}

static int scn_sample_flow(struct scn_runner *run, struct scn_flowrun *fr, uint64_t t)
{
    double secs = (double)run->sample_ns / 1e9;
    scn_flow_refresh(fr);
    uint64_t delivered = fr->up.received + fr->down.received;
    struct scn_sample smp = {.t_ns = t,
                             .flow = (uint16_t)fr->idx,
                             .subflow = -1,
                             .rate_bps = (double)(delivered - fr->last_delivered) * 8 / secs};
    fr->last_delivered = delivered;
    int rc = scn_push_sample(run->r, &smp);
    for (size_t k = 0; k < fr->nsub && rc == UMPTCP_OK; k++) {
        uint64_t b = scn_sub_bytes(fr, k);
        uint64_t delta = b >= fr->last_sub_bytes[k] ? b - fr->last_sub_bytes[k] : 0;
        fr->last_sub_bytes[k] = b;
        const umptcp_conn_info *snd = scn_sub_sender(fr, k);
        smp = (struct scn_sample){.t_ns = t,
                                  .flow = (uint16_t)fr->idx,
                                  .subflow = (int16_t)k,
                                  .rate_bps = (double)delta * 8 / secs,
                                  .cwnd = snd->cwnd,
                                  .srtt_us = snd->srtt_us};
        rc = scn_push_sample(run->r, &smp);
    }
    return rc;
}

static int scn_sample(struct scn_runner *run, uint64_t t)
{
    for (size_t i = 0; i < run->s->nflow; i++) {
        struct scn_flowrun *fr = &run->flow[i];
        if (fr->f->start_ns > t)
            continue;
        int rc = scn_sample_flow(run, fr, t);
        if (rc != UMPTCP_OK) {
            scn_run_fail(run, "out of memory for samples");
            return rc;
        }
    }
    return UMPTCP_OK;
}

/* ---- results ----------------------------------------------------------------------------- */

static void scn_sha_hex(EVP_MD_CTX *md, char out[65])
{
    unsigned char d[32];
    unsigned len = 0;
    out[0] = '\0';
    EVP_MD_CTX *copy = md != NULL ? EVP_MD_CTX_new() : NULL;
    if (copy == NULL)
        return;
    if (EVP_MD_CTX_copy_ex(copy, md) == 1 && EVP_DigestFinal_ex(copy, d, &len) == 1)
        for (unsigned i = 0; i < len && i < 32; i++)
            snprintf(out + 2 * i, 3, "%02x", d[i]);
    EVP_MD_CTX_free(copy);
}

static void scn_result_subflows(const struct scn_runner *run, const struct scn_flowrun *fr,
                                struct scn_flow_result *res)
{
    uint64_t total = 0;
    res->nsub = fr->nsub;
    res->untracked_subflows = fr->next_sub_id > fr->nsub ? fr->next_sub_id - fr->nsub : 0;
    for (size_t k = 0; k < fr->nsub; k++)
        total += scn_sub_bytes(fr, k);
    for (size_t k = 0; k < fr->nsub; k++) {
        struct scn_subflow_result *sr = &res->sub[k];
        const umptcp_subflow_info *ci = &fr->sub[k].client;
        const umptcp_conn_info *snd = scn_sub_sender(fr, k);
        char a[UMPTCP_ADDR_STRLEN];
        snprintf(sr->local, sizeof(sr->local), "%s:%u",
                 umptcp_addr_format(&ci->tcp.local.addr, a, sizeof(a)), ci->tcp.local.port);
        snprintf(sr->remote, sizeof(sr->remote), "%s:%u",
                 umptcp_addr_format(&ci->tcp.remote.addr, a, sizeof(a)), ci->tcp.remote.port);
        size_t node, iface;
        int l = scn_find_addr(run->s, &ci->tcp.local.addr, &node, &iface)
                    ? scn_iface_link(run->s, node, iface)
                    : -1;
        snprintf(sr->link, sizeof(sr->link), "%s", l >= 0 ? run->s->link[l].name : "");
        const umptcp_sockaddr *seen = &fr->sub[k].server.tcp.remote;
        if (fr->sub[k].have_server)
            snprintf(sr->seen_as, sizeof(sr->seen_as), "%s:%u",
                     umptcp_addr_format(&seen->addr, a, sizeof(a)), seen->port);
        sr->join = ci->join;
        sr->backup = ci->backup || ci->peer_backup;
        sr->bytes_acked = scn_sub_bytes(fr, k);
        sr->retrans_segs = snd->retrans_segs;
        sr->srtt_us = snd->srtt_us;
        sr->cwnd = snd->cwnd;
        sr->share = total > 0 ? (double)sr->bytes_acked / (double)total : 0;
        res->retrans_segs += sr->retrans_segs;
    }
}

static void scn_result_flow(struct scn_runner *run, struct scn_flowrun *fr, uint64_t end_ns)
{
    struct scn_flow_result *res = &run->r->flow[fr->idx];
    scn_flow_refresh(fr);
    res->intact = !fr->up.mismatch && !fr->down.mismatch;
    res->mptcp = fr->have_mptcp && fr->mptcp.mptcp;
    snprintf(res->fallback, sizeof(res->fallback), "%s", fr->fallback);
    res->bytes_sent = fr->up.written + fr->down.written;
    res->bytes_received = fr->up.received + fr->down.received;
    struct scn_stream *main = fr->f->dir == SCN_FLOW_DOWNLOAD ? &fr->down : &fr->up;
    scn_sha_hex(main->tx_md, res->sha_sent);
    scn_sha_hex(main->rx_md, res->sha_received);
    const struct scn_stream *st[2] = {&fr->up, &fr->down};
    for (int i = 0; i < 2; i++) {
        if (st[i]->received == 0)
            continue;
        if (res->first_byte_ns == 0 || st[i]->first_byte_ns < res->first_byte_ns)
            res->first_byte_ns = st[i]->first_byte_ns;
        if (st[i]->last_byte_ns > res->last_byte_ns)
            res->last_byte_ns = st[i]->last_byte_ns;
    }
    uint64_t until = res->complete ? res->done_ns : end_ns;
    if (until > res->start_ns && fr->f->start_ns <= end_ns)
        res->goodput_bps = (double)res->bytes_received * 8e9 / (double)(until - res->start_ns);
    scn_result_subflows(run, fr, res);
}

/* The non-zero counters of every host's stack. */
static void scn_result_hosts(struct scn_runner *run)
{
    struct scn_result *r = run->r;
    for (size_t n = 0; n < run->s->nnode; n++) {
        if (run->stack[n] == NULL)
            continue;
        struct scn_host_result *h = &r->host[r->nhost++];
        snprintf(h->name, sizeof(h->name), "%s", run->s->node[n].name);
        size_t total = umptcp_stack_counters(run->stack[n], NULL, 0);
        umptcp_counter *all = total > 0 ? calloc(total, sizeof(*all)) : NULL;
        if (all == NULL)
            continue;
        total = umptcp_stack_counters(run->stack[n], all, total);
        for (size_t i = 0; i < total; i++)
            if (all[i].value != 0)
                all[h->ncounters++] = all[i];
        h->counters = all;
    }
}

static void scn_result_links(struct scn_runner *run)
{
    run->r->nlink = run->s->nlink;
    for (size_t l = 0; l < run->s->nlink; l++)
        for (int d = 0; d < 2; d++)
            if (run->link[l][d] != NULL)
                run->r->link[l].dir[d] = *sim_link_counters(run->link[l][d]);
}

/* ---- the run ------------------------------------------------------------------------------- */

static int scn_schedule(struct scn_runner *run, uint64_t duration)
{
    const struct scn_scenario *s = run->s;
    for (size_t i = 0; i < s->nflow; i++) {
        int rc = scn_flow_setup(run, i);
        if (rc == UMPTCP_OK && s->flow[i].start_ns <= duration)
            rc = sim_world_at(run->w, s->flow[i].start_ns, scn_flow_start, &run->flow[i]);
        if (rc != UMPTCP_OK)
            return rc;
    }
    for (size_t i = 0; i < s->nevent; i++) {
        if (s->event[i].at_ns > duration)
            continue;
        run->evctx[i] = (struct scn_evctx){.run = run, .ev = &s->event[i]};
        int rc = sim_world_at(run->w, s->event[i].at_ns, scn_event_fire, &run->evctx[i]);
        if (rc != UMPTCP_OK)
            return rc;
    }
    return UMPTCP_OK;
}

static bool scn_all_done(const struct scn_runner *run)
{
    for (size_t i = 0; i < run->s->nflow; i++)
        if (!run->flow[i].done)
            return false;
    return true;
}

/* Runs one sample interval up to `until`. */
static int scn_step(struct scn_runner *run, uint64_t until, uint64_t max_events)
{
    uint64_t used = sim_world_event_count(run->w);
    if (used >= max_events) {
        scn_run_fail(run, "the simulator event budget (%llu) ran out",
                     (unsigned long long)max_events);
        return UMPTCP_ERR_NOSPACE;
    }
    sim_world_set_event_limit(run->w, max_events - used);
    int rc = sim_world_run(run->w, until);
    if (rc < 0) {
        scn_run_fail(run, "simulator: %s", umptcp_strerror(rc));
        return rc;
    }
    if (rc == SIM_RUN_EVENT_LIMIT) {
        scn_run_fail(run, "the simulator event budget (%llu) ran out",
                     (unsigned long long)max_events);
        return UMPTCP_ERR_NOSPACE;
    }
    if (run->r->failure[0] != '\0')
        return UMPTCP_ERR_STATE;
    return scn_sample(run, until);
}

static int scn_loop(struct scn_runner *run, uint64_t duration)
{
    uint64_t max_events = run->opts.max_events ? run->opts.max_events : SCN_DEFAULT_MAX_EVENTS;
    uint64_t t = 0;
    int rc = UMPTCP_OK;
    while (t < duration) {
        uint64_t next = duration - t > run->sample_ns ? t + run->sample_ns : duration;
        rc = scn_step(run, next, max_events);
        if (rc != UMPTCP_OK)
            break;
        t = next;
        if (run->opts.progress != NULL) {
            struct scn_progress p = {.now_ns = t, .duration_ns = duration, .result = run->r};
            run->opts.progress(run->opts.progress_user, &p);
        }
        if (scn_all_done(run))
            break;
    }
    run->r->end_ns = t;
    return rc;
}

static double scn_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int scn_run_world(struct scn_runner *run, uint64_t duration)
{
    int rc = sim_world_new(&run->w, run->r->seed);
    if (rc != UMPTCP_OK) {
        scn_run_fail(run, "simulator: %s", umptcp_strerror(rc));
        return rc;
    }
    rc = scn_net_build(run);
    if (rc == UMPTCP_OK)
        rc = scn_schedule(run, duration);
    if (rc == UMPTCP_OK)
        rc = scn_loop(run, duration);
    for (size_t i = 0; i < run->s->nflow; i++)
        if (run->flow[i].f != NULL) /* set up before a failure, if any */
            scn_result_flow(run, &run->flow[i], run->r->end_ns);
    scn_result_links(run);
    scn_result_hosts(run);
    run->r->events = sim_world_event_count(run->w);
    sim_world_free(run->w);
    run->w = NULL;
    return rc;
}

int scn_run(const struct scn_scenario *s, const struct scn_run_opts *opts, struct scn_result *r)
{
    memset(r, 0, sizeof(*r));
    struct scn_runner *run = calloc(1, sizeof(*run));
    if (run == NULL) {
        snprintf(r->failure, sizeof(r->failure), "out of memory");
        return UMPTCP_ERR_NOMEM;
    }
    run->s = s;
    run->r = r;
    if (opts != NULL)
        run->opts = *opts;
    run->sample_ns = run->opts.sample_ns ? run->opts.sample_ns : SCN_DEFAULT_SAMPLE_NS;
    r->seed = run->opts.seed_set ? run->opts.seed : s->seed;
    r->duration_ns = run->opts.duration_ns ? run->opts.duration_ns : s->duration_ns;
    r->sample_ns = run->sample_ns;
    r->nflow = s->nflow;
    double t0 = scn_wall_now();
    int rc = scn_run_world(run, r->duration_ns);
    r->wall_seconds = scn_wall_now() - t0;
    for (size_t i = 0; i < s->nflow; i++)
        scn_flow_teardown(&run->flow[i]);
    scn_net_free(run);
    free(run);
    return rc;
}

void scn_result_free(struct scn_result *r)
{
    for (size_t i = 0; i < r->nhost; i++) {
        free(r->host[i].counters);
        r->host[i].counters = NULL;
        r->host[i].ncounters = 0;
    }
    r->nhost = 0;
    free(r->samples);
    r->samples = NULL;
    r->nsamples = r->samples_cap = 0;
}

int scn_single_path_variant(const struct scn_scenario *s, size_t flow, size_t iface,
                            struct scn_scenario *out)
{
    if (flow >= s->nflow)
        return UMPTCP_ERR_INVAL;
    const struct scn_flow *f = &s->flow[flow];
    const struct scn_node *client = &s->node[f->client];
    if (iface >= client->niface)
        return UMPTCP_ERR_INVAL;
    const struct scn_iface *ifc = &client->iface[iface];
    for (size_t k = 0; k < ifc->naddr; k++) {
        /* An address that appears later cannot start a TCP connection at the flow's start. */
        if (ifc->addr[k].family != f->server_addr.family || ifc->late[k])
            continue;
        *out = *s;
        out->baseline = false;
        out->flow[flow].mptcp = false;
        out->flow[flow].source = ifc->addr[k];
        return UMPTCP_OK;
    }
    return UMPTCP_ERR_INVAL;
}
