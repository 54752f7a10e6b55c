/* Builds a scenario's network in a simulator world: stack hosts with their addresses,
 * routers, the two one-way links of every scenario link, shortest-path routes, middleboxes,
 * and captures. */
#include "scenario/scenario_internal.h"

#include "sim/sim_stack.h"
#include "umptcp/error.h"
#include "umptcp/pm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int scn_net_nodes(struct scn_runner *run)
{
    const struct scn_scenario *s = run->s;
    for (size_t n = 0; n < s->nnode; n++) {
        const struct scn_node *nd = &s->node[n];
        int rc;
        if (nd->kind == SCN_NODE_ROUTER) {
            rc = sim_router_new(&run->node[n], run->w, nd->name);
        } else {
            rc = sim_stack_host_new(&run->node[n], run->w, nd->name, NULL, &run->stack[n]);
            if (rc == UMPTCP_OK)
                sim_stack_set_event_cb(run->node[n], scn_host_event, run);
        }
        if (rc != UMPTCP_OK) {
            scn_run_fail(run, "node '%s': %s", nd->name, umptcp_strerror(rc));
            return rc;
        }
        for (size_t i = 0; i < nd->niface; i++) {
            for (size_t k = 0; k < nd->iface[i].naddr; k++) {
                /* An address added by a later event is the node's (routes reach it) but not
                 * yet the stack's. */
                const umptcp_addr *a = &nd->iface[i].addr[k];
                rc = nd->iface[i].late[k] ? sim_node_add_address(run->node[n], (int)i + 1, a)
                                          : sim_stack_add_address(run->node[n], (int)i + 1, a);
                if (rc != UMPTCP_OK) {
                    scn_run_fail(run, "host '%s': address: %s", nd->name, umptcp_strerror(rc));
                    return rc;
                }
                if (nd->iface[i].backup && !nd->iface[i].late[k])
                    umptcp_stack_set_backup(run->stack[n], a, true);
            }
        }
    }
    return UMPTCP_OK;
}

/* The simulator interface of end `end` of link l: a host's interface, or a new one of the
 * router. */
static int scn_net_end_ifindex(struct scn_runner *run, size_t l, int end)
{
    const struct scn_link *lk = &run->s->link[l];
    if (lk->iface[end] >= 0)
        return lk->iface[end] + 1;
    if (run->router_ifindex[l][end] == 0) {
        struct sim_node *n = run->node[lk->node[end]];
        int ifindex = (int)sim_node_interface_count(n) + 1;
        int rc = sim_node_add_interface(n, ifindex);
        if (rc != UMPTCP_OK)
            return rc;
        run->router_ifindex[l][end] = ifindex;
    }
    return run->router_ifindex[l][end];
}

static int scn_net_link_dir(struct scn_runner *run, size_t l, int from, int from_if, int to_if)
{
    const struct scn_link *lk = &run->s->link[l];
    char name[SCN_NAME_MAX + 4];
    snprintf(name, sizeof(name), "%s.%s", lk->name, from == 0 ? "ab" : "ba");
    const struct scn_dir *d = &lk->dir[from];
    int rc = sim_link_new(&run->link[l][from], run->w, name, run->node[lk->node[from]], from_if,
                          run->node[lk->node[1 - from]], to_if, &d->cfg);
    if (rc != UMPTCP_OK) {
        scn_run_fail(run, "link '%s': %s", name, umptcp_strerror(rc));
        return rc;
    }
    if (d->middlebox == SCN_MB_NONE)
        return UMPTCP_OK;
    struct scn_mb_state *mb = calloc(1, sizeof(*mb));
    if (mb == NULL || (d->middlebox == SCN_MB_NAT && run->nat[l] == NULL &&
                       (run->nat[l] = calloc(1, sizeof(*run->nat[l]))) == NULL)) {
        free(mb);
        scn_run_fail(run, "out of memory");
        return UMPTCP_ERR_NOMEM;
    }
    mb->kind = d->middlebox;
    if (d->middlebox == SCN_MB_NAT) {
        mb->nat = run->nat[l];
        mb->nat->pub = lk->nat_addr;
        mb->inbound = from == 1;
    }
    run->mb[l][from] = mb;
    sim_link_set_middlebox(run->link[l][from], scn_mb_hook, mb);
    return UMPTCP_OK;
}

static int scn_net_links(struct scn_runner *run)
{
    for (size_t l = 0; l < run->s->nlink; l++) {
        int ifa = scn_net_end_ifindex(run, l, 0);
        int ifb = scn_net_end_ifindex(run, l, 1);
        if (ifa < 0 || ifb < 0) {
            scn_run_fail(run, "link '%s': interface: %s", run->s->link[l].name,
                         umptcp_strerror(ifa < 0 ? ifa : ifb));
            return ifa < 0 ? ifa : ifb;
        }
        int rc = scn_net_link_dir(run, l, 0, ifa, ifb);
        if (rc == UMPTCP_OK)
            rc = scn_net_link_dir(run, l, 1, ifb, ifa);
        if (rc != UMPTCP_OK)
            return rc;
    }
    return UMPTCP_OK;
}

/* True when link l is a NAT's and the walk would leave it from its inside (end a) to its
 * outside: addresses inside a NAT are not routable from outside it. */
static bool scn_net_nat_blocks(const struct scn_scenario *s, size_t l, int from_end)
{
    return s->link[l].dir[0].middlebox == SCN_MB_NAT && from_end == 0;
}

/* Routes to one address: breadth-first from the link that reaches it (from end host_end),
 * through routers only (hosts never forward); each router gets a host route out of the
 * interface one hop closer. Links are tried in declaration order, so ties go to the first.
 * A NAT's public address (nat_public) is routed across its own link; other addresses never
 * cross a NAT outward. */
static int scn_net_route_addr(struct scn_runner *run, size_t l0, int host_end,
                              const umptcp_addr *addr, bool nat_public)
{
    const struct scn_scenario *s = run->s;
    bool seen[SCN_MAX_NODES] = {false};
    size_t queue[SCN_MAX_NODES];
    size_t head = 0, tail = 0;
    const struct scn_link *first = &s->link[l0];
    size_t x = first->node[1 - host_end];
    if (s->node[x].kind != SCN_NODE_ROUTER || (!nat_public && scn_net_nat_blocks(s, l0, host_end)))
        return UMPTCP_OK; /* host to host, or behind a NAT: no route */
    seen[first->node[host_end]] = true;
    seen[x] = true;
    int rc = sim_router_add_route(run->node[x], addr, addr->family == UMPTCP_AF_INET ? 32 : 128,
                                  run->router_ifindex[l0][1 - host_end]);
    queue[tail++] = x;
    while (rc == UMPTCP_OK && head < tail) {
        size_t r = queue[head++];
        for (size_t l = 0; l < s->nlink && rc == UMPTCP_OK; l++) {
            const struct scn_link *lk = &s->link[l];
            for (int end = 0; end < 2; end++) {
                size_t y = lk->node[end];
                if (lk->node[1 - end] != r || seen[y] || s->node[y].kind != SCN_NODE_ROUTER ||
                    scn_net_nat_blocks(s, l, 1 - end))
                    continue;
                seen[y] = true;
                rc = sim_router_add_route(run->node[y], addr,
                                          addr->family == UMPTCP_AF_INET ? 32 : 128,
                                          run->router_ifindex[l][end]);
                queue[tail++] = y;
            }
        }
    }
    return rc;
}

static int scn_net_routes(struct scn_runner *run)
{
    const struct scn_scenario *s = run->s;
    for (size_t l = 0; l < s->nlink; l++) {
        /* A NAT's public address lives behind end a of its link. */
        if (s->link[l].dir[0].middlebox == SCN_MB_NAT) {
            int rc = scn_net_route_addr(run, l, 0, &s->link[l].nat_addr, true);
            if (rc != UMPTCP_OK) {
                scn_run_fail(run, "routes: %s", umptcp_strerror(rc));
                return rc;
            }
        }
        for (int end = 0; end < 2; end++) {
            const struct scn_node *nd = &s->node[s->link[l].node[end]];
            if (nd->kind != SCN_NODE_HOST)
                continue;
            const struct scn_iface *ifc = &nd->iface[s->link[l].iface[end]];
            for (size_t k = 0; k < ifc->naddr; k++) {
                int rc = scn_net_route_addr(run, l, end, &ifc->addr[k], false);
                if (rc != UMPTCP_OK) {
                    scn_run_fail(run, "routes: %s", umptcp_strerror(rc));
                    return rc;
                }
            }
        }
    }
    return UMPTCP_OK;
}

static int scn_net_pcaps(struct scn_runner *run)
{
    const char *dir = run->opts.pcap_dir;
    if (dir == NULL)
        return UMPTCP_OK;
    for (size_t n = 0; n < run->s->nnode; n++) {
        if (run->s->node[n].kind != SCN_NODE_HOST)
            continue;
        char path[4096];
        int len = snprintf(path, sizeof(path), "%s/%s.pcap", dir, run->s->node[n].name);
        if (len < 0 || (size_t)len >= sizeof(path)) {
            scn_run_fail(run, "capture directory name too long");
            return UMPTCP_ERR_INVAL;
        }
        int rc = umptcp_pcap_open(&run->pcap[n], path);
        if (rc != UMPTCP_OK) {
            scn_run_fail(run, "cannot write capture %s: %s", path, umptcp_strerror(rc));
            return rc;
        }
        sim_node_set_pcap(run->node[n], run->pcap[n]);
    }
    return UMPTCP_OK;
}

int scn_net_build(struct scn_runner *run)
{
    int rc = scn_net_nodes(run);
    if (rc == UMPTCP_OK)
        rc = scn_net_links(run);
    if (rc == UMPTCP_OK)
        rc = scn_net_routes(run);
    if (rc == UMPTCP_OK)
        rc = scn_net_pcaps(run);
    return rc;
}

void scn_net_free(struct scn_runner *run)
{
    for (size_t n = 0; n < SCN_MAX_NODES; n++) {
        if (run->pcap[n] != NULL)
            umptcp_pcap_close(run->pcap[n]);
        run->pcap[n] = NULL;
    }
    for (size_t l = 0; l < SCN_MAX_LINKS; l++) {
        free(run->nat[l]);
        run->nat[l] = NULL;
        for (int d = 0; d < 2; d++) {
            free(run->mb[l][d]);
            run->mb[l][d] = NULL;
        }
    }
}
