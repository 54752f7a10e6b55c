/* After the whole text is read: the cross references between sections (link ends, flow
 * hosts and addresses, event targets), the defaults that depend on them, per-direction
 * queues given as a time, and the order of the events. Each error names the line of the key
 * at fault (the section's header for a missing key). */
#include "scenario/scenario.h"
#include "scenario/scenario_parse_internal.h"
#include "scenario/scenario_values.h"

#include <stdio.h>
#include <string.h>

static const char *const scn_dir_names[2] = {"a->b", "b->a"};

/* ---- links ----------------------------------------------------------------------------- */

/* The other link already on host interface (n, i) among links [0, li), or -1. */
static int scn_iface_taken(const struct scn_scenario *s, size_t li, size_t n, int i)
{
    for (size_t l = 0; l < li; l++)
        for (int e = 0; e < 2; e++)
            if (s->link[l].node[e] == n && s->link[l].iface[e] == i)
                return (int)l;
    return -1;
}

static bool scn_resolve_end(struct scn_pstate *st, size_t li, int end)
{
    struct scn_scenario *s = st->s;
    struct scn_link *l = &s->link[li];
    const struct scn_plink *pl = &st->link[li];
    const char *key = end == 0 ? "a" : "b", *text = pl->end[end];
    int line = pl->end_line[end];
    if (line == 0)
        return scn_fail(st, l->line,
                        "link '%s': missing key '%s' (an end: an address of a host, "
                        "or the name of a host or router)",
                        l->name, key);
    umptcp_addr a;
    size_t n, i;
    if (umptcp_addr_parse(&a, text) == 0) {
        if (!scn_find_addr(s, &a, &n, &i))
            return scn_fail(st, line, "link '%s': %s '%s': no host has this address", l->name, key,
                            text);
    } else {
        int found = scn_find_node(s, text);
        if (found < 0)
            return scn_fail(st, line, "link '%s': %s '%s': no host or router of that name", l->name,
                            key, text);
        n = (size_t)found, i = 0;
        if (s->node[n].kind == SCN_NODE_HOST && s->node[n].niface != 1)
            return scn_fail(st, line,
                            "link '%s': %s '%s': the host has %zu interfaces: name one by its "
                            "address",
                            l->name, key, text, s->node[n].niface);
    }
    l->node[end] = n;
    l->iface[end] = s->node[n].kind == SCN_NODE_HOST ? (int)i : -1;
    int other = l->iface[end] < 0 ? -1 : scn_iface_taken(s, li, n, l->iface[end]);
    if (other >= 0)
        return scn_fail(st, line,
                        "link '%s': %s '%s': this interface of host '%s' already has link '%s' "
                        "(line %d)",
                        l->name, key, text, s->node[n].name, s->link[other].name,
                        s->link[other].line);
    return true;
}

/* queue = TIME: rate x time / 8 bytes of that direction. */
static bool scn_resolve_queue(struct scn_pstate *st, size_t li, int d)
{
    struct scn_link *l = &st->s->link[li];
    const struct scn_plink *pl = &st->link[li];
    struct sim_link_config *c = &l->dir[d].cfg;
    int line = pl->line[SCN_LK_QUEUE][d];
    if (!pl->queue_time[d])
        return true;
    if (c->rate_bps == 0)
        return scn_fail(st, line,
                        "link '%s': queue is a time but the rate of %s is 0 (unlimited): "
                        "expected a size such as 100KB",
                        l->name, scn_dir_names[d]);
    uint64_t bits;
    if (__builtin_mul_overflow(c->rate_bps, pl->queue_ns[d], &bits))
        return scn_fail(st, line, "link '%s': queue of %s: rate x time is too large", l->name,
                        scn_dir_names[d]);
    c->queue_limit_bytes = bits / 8000000000ull;
    return true;
}

/* middlebox = nat needs nat_address (and the reverse), on both directions, with an address
 * no host has. */
static bool scn_validate_nat(struct scn_pstate *st, size_t li)
{
    struct scn_link *l = &st->s->link[li];
    const struct scn_plink *pl = &st->link[li];
    bool ab = l->dir[0].middlebox == SCN_MB_NAT, ba = l->dir[1].middlebox == SCN_MB_NAT;
    if (ab != ba)
        return scn_fail(st, pl->line[SCN_LK_MIDDLEBOX][ab ? 1 : 0],
                        "link '%s': middlebox of %s replaces half of its NAT: a NAT covers "
                        "both directions",
                        l->name, scn_dir_names[ab ? 1 : 0]);
    if (ab && pl->nat_line == 0)
        return scn_fail(st, pl->line[SCN_LK_MIDDLEBOX][0],
                        "link '%s': middlebox nat needs nat_address (the NAT's public address)",
                        l->name);
    if (!ab && pl->nat_line != 0)
        return scn_fail(st, pl->nat_line, "link '%s': nat_address without middlebox = nat",
                        l->name);
    if (ab && scn_find_addr(st->s, &l->nat_addr, NULL, NULL))
        return scn_fail(st, pl->nat_line,
                        "link '%s': nat_address is a host's address: expected an address of "
                        "its own",
                        l->name);
    return true;
}

static bool scn_validate_link(struct scn_pstate *st, size_t li)
{
    struct scn_link *l = &st->s->link[li];
    const struct scn_plink *pl = &st->link[li];
    if (!scn_resolve_end(st, li, 0) || !scn_resolve_end(st, li, 1))
        return false;
    if (l->node[0] == l->node[1])
        return scn_fail(st, pl->end_line[1],
                        "link '%s': a and b are both on '%s' (expected two different nodes)",
                        l->name, st->s->node[l->node[0]].name);
    if (!scn_validate_nat(st, li))
        return false;
    for (int d = 0; d < 2; d++) {
        const struct sim_link_config *c = &l->dir[d].cfg;
        if (!scn_resolve_queue(st, li, d))
            return false;
        if (c->reorder > 0.0 && c->reorder_delay_ns == 0)
            return scn_fail(st, pl->line[SCN_LK_REORDER_DELAY][d],
                            "link '%s': reorder_delay of %s is 0 but its reorder is not: "
                            "expected a time greater than 0",
                            l->name, scn_dir_names[d]);
        if (sim_link_config_check(c) != 0)
            return scn_fail(st, l->line, "link '%s': the configuration of %s is not valid", l->name,
                            scn_dir_names[d]);
    }
    return true;
}

/* ---- flows ----------------------------------------------------------------------------- */

/* A host given by name in key `key` of flow fi. */
static bool scn_flow_host(struct scn_pstate *st, size_t fi, const char *key, const char *name,
                          int line, size_t *out)
{
    const struct scn_flow *f = &st->s->flow[fi];
    if (line == 0)
        return scn_fail(st, f->line, "flow '%s': missing key '%s'", f->name, key);
    int n = scn_find_node(st->s, name);
    if (n < 0)
        return scn_fail(st, line, "flow '%s': %s '%s': no host of that name", f->name, key, name);
    if (st->s->node[n].kind != SCN_NODE_HOST)
        return scn_fail(st, line, "flow '%s': %s '%s' is a router: expected a host", f->name, key,
                        name);
    *out = (size_t)n;
    return true;
}

static bool scn_flow_server(struct scn_pstate *st, size_t fi)
{
    struct scn_flow *f = &st->s->flow[fi];
    const struct scn_pflow *pf = &st->flow[fi];
    if (pf->server_line == 0)
        return scn_fail(st, f->line, "flow '%s': missing key 'server'", f->name);
    if (umptcp_addr_parse(&f->server_addr, pf->server) == 0) {
        if (!scn_find_addr(st->s, &f->server_addr, &f->server, NULL))
            return scn_fail(st, pf->server_line, "flow '%s': server '%s': no host has this address",
                            f->name, pf->server);
        return true;
    }
    if (!scn_flow_host(st, fi, "server", pf->server, pf->server_line, &f->server))
        return false;
    f->server_addr = st->s->node[f->server].iface[0].addr[0];
    return true;
}

/* source: given (the client's, of the server address's family) or the client's first
 * address of that family. */
static bool scn_flow_source(struct scn_pstate *st, size_t fi)
{
    struct scn_flow *f = &st->s->flow[fi];
    const struct scn_pflow *pf = &st->flow[fi];
    const struct scn_node *c = &st->s->node[f->client];
    char a[UMPTCP_ADDR_STRLEN], b[UMPTCP_ADDR_STRLEN];
    size_t n;
    if (pf->source_line != 0) {
        if (!scn_find_addr(st->s, &f->source, &n, NULL) || n != f->client)
            return scn_fail(st, pf->source_line,
                            "flow '%s': source %s: not an address of client '%s'", f->name,
                            scn_addr_str(&f->source, a, sizeof(a)), c->name);
        if (f->source.family != f->server_addr.family)
            return scn_fail(st, pf->source_line,
                            "flow '%s': source %s and server address %s are of different "
                            "families",
                            f->name, scn_addr_str(&f->source, a, sizeof(a)),
                            scn_addr_str(&f->server_addr, b, sizeof(b)));
        return true;
    }
    for (size_t i = 0; i < c->niface; i++) {
        for (size_t k = 0; k < c->iface[i].naddr; k++) {
            if (c->iface[i].addr[k].family == f->server_addr.family) {
                f->source = c->iface[i].addr[k];
                return true;
            }
        }
    }
    return scn_fail(st, pf->server_line, "flow '%s': client '%s' has no IPv%d address to reach %s",
                    f->name, c->name, f->server_addr.family,
                    scn_addr_str(&f->server_addr, b, sizeof(b)));
}

static bool scn_validate_flow(struct scn_pstate *st, size_t fi)
{
    struct scn_scenario *s = st->s;
    struct scn_flow *f = &s->flow[fi];
    const struct scn_pflow *pf = &st->flow[fi];
    if (!scn_flow_host(st, fi, "client", pf->client, pf->client_line, &f->client) ||
        !scn_flow_server(st, fi))
        return false;
    if (f->client == f->server)
        return scn_fail(st, pf->server_line, "flow '%s': client and server are both '%s'", f->name,
                        s->node[f->client].name);
    if (!scn_flow_source(st, fi))
        return false;
    if (pf->port_line == 0)
        f->port = (uint16_t)(SCN_DEFAULT_PORT + fi);
    for (size_t j = 0; j < fi; j++)
        if (s->flow[j].server == f->server && s->flow[j].port == f->port)
            return scn_fail(st, pf->port_line != 0 ? pf->port_line : f->line,
                            "flow '%s': port %u%s of host '%s' is already used by flow '%s' "
                            "(line %d)",
                            f->name, f->port, pf->port_line != 0 ? "" : " (the default)",
                            s->node[f->server].name, s->flow[j].name, s->flow[j].line);
    if (f->start_ns > s->duration_ns) {
        char t[32], d[32];
        scn_format_time(f->start_ns, t, sizeof(t));
        scn_format_time(s->duration_ns, d, sizeof(d));
        return scn_fail(st, pf->start_line,
                        "flow '%s': start %s is after the end of the scenario (duration %s)",
                        f->name, t, d);
    }
    return true;
}

/* ---- events ---------------------------------------------------------------------------- */

static bool scn_validate_event(struct scn_pstate *st, size_t ei)
{
    struct scn_scenario *s = st->s;
    struct scn_event *ev = &s->event[ei];
    char t[32], d[32], a[UMPTCP_ADDR_STRLEN];
    if (ev->at_ns > s->duration_ns) {
        scn_format_time(ev->at_ns, t, sizeof(t));
        scn_format_time(s->duration_ns, d, sizeof(d));
        return scn_fail(st, ev->line, "[events]: %s is after the end of the scenario (duration %s)",
                        t, d);
    }
    if (scn_event_is_address(ev->kind)) {
        if (!scn_find_addr(s, &ev->addr, &ev->node, &ev->iface))
            return scn_fail(st, ev->line, "[events]: no host has the address %s",
                            scn_addr_str(&ev->addr, a, sizeof(a)));
        return true;
    }
    int l = scn_find_link(s, st->event_link[ei]);
    if (l < 0)
        return scn_fail(st, ev->line, "[events]: no link named '%s'", st->event_link[ei]);
    ev->link = (size_t)l;
    return true;
}

/* Stable: equal times keep the file's order. */
static void scn_sort_events(struct scn_scenario *s)
{
    for (size_t i = 1; i < s->nevent; i++) {
        struct scn_event ev = s->event[i];
        size_t j = i;
        for (; j > 0 && s->event[j - 1].at_ns > ev.at_ns; j--)
            s->event[j] = s->event[j - 1];
        s->event[j] = ev;
    }
}

bool scn_validate(struct scn_pstate *st)
{
    struct scn_scenario *s = st->s;
    for (size_t i = 0; i < s->nlink; i++)
        if (!scn_validate_link(st, i))
            return false;
    for (size_t i = 0; i < s->nflow; i++)
        if (!scn_validate_flow(st, i))
            return false;
    for (size_t i = 0; i < s->nevent; i++)
        if (!scn_validate_event(st, i))
            return false;
    if (s->nflow == 0)
        return scn_fail(st, 0, "no [flow NAME] section: a scenario needs at least one flow");
    scn_sort_events(s);
    return scn_validate_addr_events(st);
}
