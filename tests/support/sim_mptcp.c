/* MPTCP transfers in the simulator: see sim_mptcp.h. */
#include "sim_mptcp.h"

#include "sim/sim.h"
#include "tcp/tcp_seq.h"
#include "wire/mptcp_opt.h"
#include "wire/segment.h"
#include "wire/tcp.h"

#include <stdlib.h>
#include <string.h>

void sm_config_init(struct sm_config *cfg, size_t npaths, size_t server_addrs)
{
    memset(cfg, 0, sizeof(*cfg));
    st_config_init(&cfg->st);
    cfg->st.npaths = npaths;
    cfg->st.server_addrs = server_addrs;
    cfg->st.client.mptcp = true;
    cfg->st.server.mptcp = true;
}

struct sm_result *sm_result_new(void)
{
    return calloc(1, sizeof(struct sm_result));
}

/* ---- what crossed the wire ------------------------------------------------------------ */

struct sm_tracer {
    const struct sm_config *cfg;
    struct sm_result *res;
};

/* Does the segment carry an MPTCP option of this subtype (and for ADD_ADDR, this echo bit)? */
static bool sm_has_option(const struct wire_segment *seg, unsigned subtype, int echo)
{
    for (unsigned i = 0; i < seg->opt.mptcp_count; i++) {
        struct wire_mptcp_opt o;
        if (wire_mptcp_parse(seg->opt.mptcp[i].data, seg->opt.mptcp[i].len, &o) <= 0 ||
            o.subtype != subtype)
            continue;
        if (subtype != WIRE_MPTCP_ADD_ADDR || echo < 0 || o.u.add_addr.echo == (echo != 0))
            return true;
    }
    return false;
}

/* The path of a client address: the interface it sits on (path i is interface i + 1). */
static size_t sm_client_path(const struct sm_config *cfg, const umptcp_addr *a)
{
    for (size_t i = 0; i < cfg->st.npaths; i++) {
        char text[64];
        umptcp_addr p;
        if (cfg->st.ipv6)
            snprintf(text, sizeof(text), "fd00:%zu:1::1", i + 1);
        else
            snprintf(text, sizeof(text), "10.%zu.1.1", i + 1);
        if (umptcp_addr_parse(&p, text) == 0 && umptcp_addr_equal(&p, a))
            return i;
    }
    return SIZE_MAX;
}

static bool sm_sockaddr_equal(const umptcp_sockaddr *a, const umptcp_sockaddr *b)
{
    return a->port == b->port && umptcp_addr_equal(&a->addr, &b->addr);
}

/* The subflow of this segment (client is its client end), added at its first SYN. */
static struct sm_subflow *sm_subflow_of(struct sm_tracer *t, const umptcp_sockaddr *client,
                                        const umptcp_sockaddr *server,
                                        const struct wire_segment *seg, uint64_t now)
{
    struct sm_result *res = t->res;
    for (size_t i = 0; i < res->nsub; i++)
        if (sm_sockaddr_equal(&res->sub[i].client, client) &&
            sm_sockaddr_equal(&res->sub[i].server, server))
            return &res->sub[i];
    if (!(seg->tcp.flags & WIRE_TCP_SYN) || res->nsub >= SM_MAX_SUBFLOWS)
        return NULL;
    struct sm_subflow *sf = &res->sub[res->nsub++];
    memset(sf, 0, sizeof(*sf));
    sf->client = *client;
    sf->server = *server;
    sf->path = sm_client_path(t->cfg, &client->addr);
    sf->join = sm_has_option(seg, WIRE_MPTCP_MP_JOIN, -1);
    sf->opened_ns = now;
    return sf;
}

static size_t sm_phase(const struct sm_config *cfg, uint64_t now)
{
    size_t k = 0;
    while (k < cfg->nmarks && k < SM_MAX_MARKS && now >= cfg->marks[k])
        k++;
    return k;
}

/* Counts one segment its sender sent; new bytes are those beyond the highest sent so far. */
static void sm_count(const struct sm_config *cfg, struct sm_dir_stats *d,
                     const struct wire_segment *seg, uint64_t now)
{
    uint32_t len = (uint32_t)seg->tcp.payload_len;
    uint8_t flags = seg->tcp.flags;
    d->segs++;
    d->fin |= (flags & WIRE_TCP_FIN) != 0;
    d->rst |= (flags & WIRE_TCP_RST) != 0;
    if (flags & WIRE_TCP_SYN) {
        if (!d->started)
            d->snd_max = seg->tcp.seq + 1;
        d->started = true;
        return;
    }
    if (len == 0 || !d->started)
        return;
    uint32_t end = seg->tcp.seq + len;
    uint32_t fresh = 0;
    if (tcp_seq_gt(end, d->snd_max)) {
        fresh = tcp_seq_lt(seg->tcp.seq, d->snd_max) ? end - d->snd_max : len;
        d->snd_max = end;
    }
    d->data_segs++;
    d->short_segs += len < SM_SHORT_SEG;
    d->bytes += len;
    d->new_bytes += fresh;
    d->retrans_bytes += len - fresh;
    d->phase_bytes[sm_phase(cfg, now)] += fresh;
    if (d->first_data_ns == 0)
        d->first_data_ns = now;
    d->last_data_ns = now;
}

static void sm_trace(void *user, const struct sim_trace *ev)
{
    struct sm_tracer *t = user;
    if (ev->kind != SIM_TRACE_SEND || ev->node == NULL)
        return;
    const char *name = sim_node_name(ev->node);
    int side = strcmp(name, "client") == 0 ? 0 : strcmp(name, "server") == 0 ? 1 : -1;
    if (side < 0)
        return; /* a router forwarding */
    struct wire_segment seg;
    if (wire_segment_parse(ev->pkt, ev->len, &seg) != 0) {
        t->res->untracked_segs++;
        return;
    }
    umptcp_sockaddr src = {.addr = seg.ip.src, .port = seg.tcp.sport};
    umptcp_sockaddr dst = {.addr = seg.ip.dst, .port = seg.tcp.dport};
    struct sm_subflow *sf = side == 0 ? sm_subflow_of(t, &src, &dst, &seg, ev->now)
                                      : sm_subflow_of(t, &dst, &src, &seg, ev->now);
    t->res->add_addr_sent[side] += sm_has_option(&seg, WIRE_MPTCP_ADD_ADDR, 0);
    t->res->add_addr_echo_sent[side] += sm_has_option(&seg, WIRE_MPTCP_ADD_ADDR, 1);
    if (sf == NULL) {
        t->res->untracked_segs++;
        return;
    }
    sm_count(t->cfg, side == 0 ? &sf->c2s : &sf->s2c, &seg, ev->now);
}

/* At the end of the run: the stacks' insides, when asked for. */
static void sm_at_end(void *user, umptcp_stack *client, umptcp_stack *server)
{
    struct sm_tracer *t = user;
    bool failed = t->res->st.failure != ST_OK || !t->res->st.c2s.eof;
    if (getenv("UMPTCP_SM_DUMP") == NULL && !(t->cfg->dump_on_failure && failed))
        return;
    fprintf(stdout, "state at %.6f s:\n", (double)t->res->st.end_ns / 1e9);
    sm_dump_stack(stdout, "client", client);
    sm_dump_stack(stdout, "server", server);
}

enum st_failure sm_run(const struct sm_config *cfg, struct sm_result *res)
{
    memset(res, 0, sizeof(*res));
    struct sm_tracer t = {.cfg = cfg, .res = res};
    struct st_config st = cfg->st;
    st.trace = sm_trace;
    st.trace_user = &t;
    st.at_end = sm_at_end;
    st.at_end_user = &t;
    return st_run(&st, &res->st);
}

/* ---- figures ------------------------------------------------------------------------------ */

static const struct sm_dir_stats *sm_dir(const struct sm_subflow *sf, enum st_dir dir)
{
    return dir == ST_DIR_REV ? &sf->s2c : &sf->c2s;
}

uint64_t sm_path_bytes(const struct sm_result *res, size_t path, enum st_dir dir, size_t phase)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < res->nsub; i++) {
        if (res->sub[i].path != path)
            continue;
        const struct sm_dir_stats *d = sm_dir(&res->sub[i], dir);
        if (phase == SIZE_MAX)
            sum += d->new_bytes;
        else if (phase <= SM_MAX_MARKS)
            sum += d->phase_bytes[phase];
    }
    return sum;
}

uint64_t sm_path_retrans_bytes(const struct sm_result *res, size_t path, enum st_dir dir)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < res->nsub; i++)
        if (res->sub[i].path == path)
            sum += sm_dir(&res->sub[i], dir)->retrans_bytes;
    return sum;
}

static void sm_print_dir(FILE *out, const char *name, const struct sm_config *cfg,
                         const struct sm_dir_stats *d)
{
    if (d->data_segs == 0) {
        fprintf(out, "      %s: no data (%llu segments)%s%s\n", name, (unsigned long long)d->segs,
                d->fin ? " FIN" : "", d->rst ? " RST" : "");
        return;
    }
    uint64_t span = d->last_data_ns > d->first_data_ns ? d->last_data_ns - d->first_data_ns : 0;
    fprintf(out,
            "      %s: %llu B new (%.2f Mbit/s over %.3f-%.3f s), %llu B again, %llu data segs%s%s",
            name, (unsigned long long)d->new_bytes,
            span ? (double)d->new_bytes * 8e3 / (double)span : 0.0, (double)d->first_data_ns / 1e9,
            (double)d->last_data_ns / 1e9, (unsigned long long)d->retrans_bytes,
            (unsigned long long)d->data_segs, d->fin ? " FIN" : "", d->rst ? " RST" : "");
    if (cfg->nmarks > 0) {
        fprintf(out, "; phases");
        for (size_t k = 0; k <= cfg->nmarks && k <= SM_MAX_MARKS; k++)
            fprintf(out, " %llu", (unsigned long long)d->phase_bytes[k]);
    }
    fprintf(out, "\n");
}

static void sm_print_counters(FILE *out, const char *name, const struct st_stack_result *s)
{
    fprintf(out, "  %s MPTcpExt:", name);
    for (size_t i = 0; i < s->ncounters; i++)
        if (s->counters[i].value != 0 && strncmp(s->counters[i].name, "MPTcpExt", 8) == 0)
            fprintf(out, " %s=%llu", s->counters[i].name + 8,
                    (unsigned long long)s->counters[i].value);
    fprintf(out, "\n");
}

void sm_result_print(const struct sm_config *cfg, const struct sm_result *res, FILE *out)
{
    st_result_print(&cfg->st, &res->st, out);
    fprintf(out,
            "  %zu subflows (%zu segments untracked); ADD_ADDR sent c/s %llu/%llu, echoes "
            "c/s %llu/%llu\n",
            res->nsub, res->untracked_segs, (unsigned long long)res->add_addr_sent[0],
            (unsigned long long)res->add_addr_sent[1],
            (unsigned long long)res->add_addr_echo_sent[0],
            (unsigned long long)res->add_addr_echo_sent[1]);
    for (size_t i = 0; i < res->nsub; i++) {
        const struct sm_subflow *sf = &res->sub[i];
        char c[64], s[64];
        umptcp_addr_format(&sf->client.addr, c, sizeof(c));
        umptcp_addr_format(&sf->server.addr, s, sizeof(s));
        fprintf(out, "    subflow %zu (path %zu, %s) %s:%u -> %s:%u, SYN at %.3f s\n", i, sf->path,
                sf->join ? "MP_JOIN" : "initial", c, sf->client.port, s, sf->server.port,
                (double)sf->opened_ns / 1e9);
        sm_print_dir(out, "c2s", cfg, &sf->c2s);
        sm_print_dir(out, "s2c", cfg, &sf->s2c);
    }
    sm_print_counters(out, "client", &res->st.client_stack);
    sm_print_counters(out, "server", &res->st.server_stack);
}

/* ---- middleboxes ------------------------------------------------------------------------ */

struct sim_verdict sm_mb_drop_add_addr(void *user, struct sim_mb_packet *p)
{
    struct sm_drop_add_addr *mb = user;
    struct wire_segment seg;
    if (wire_segment_parse(p->data, p->len, &seg) != 0 ||
        !sm_has_option(&seg, WIRE_MPTCP_ADD_ADDR, 0))
        return sim_verdict_pass();
    mb->seen++;
    if (mb->dropped >= mb->drop)
        return sim_verdict_pass();
    mb->dropped++;
    return sim_verdict_drop();
}
