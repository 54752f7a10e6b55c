/* The network of the bulk-transfer harness: see sim_transfer_net.h and sim_transfer.h. */
#include "sim_transfer_net.h"

#include "sim/sim_stack.h"
#include "umptcp/error.h"

#include <stdio.h>

/* Host `host` of subnet <path>.<side> (side 1: client, 2: server). */
static int st_net_addr(umptcp_addr *a, bool v6, size_t path, int side, int host)
{
    char text[64];
    if (v6)
        snprintf(text, sizeof(text), "fd00:%zu:%d::%d", path + 1, side, host);
    else
        snprintf(text, sizeof(text), "10.%zu.%d.%d", path + 1, side, host);
    return umptcp_addr_parse(a, text);
}

int st_net_host_addr(const struct st_net *n, size_t i, bool server, umptcp_addr *out)
{
    return st_net_addr(out, n->cfg->ipv6, i, server ? 2 : 1, 1);
}

static int st_net_route(struct sim_node *router, bool v6, size_t subnet, int side, int ifindex)
{
    umptcp_addr a;
    int rc = st_net_addr(&a, v6, subnet, side, 0);
    return rc == UMPTCP_OK ? sim_router_add_route(router, &a, v6 ? 48 : 24, ifindex) : rc;
}

/* The number of server subnets: one per path, or one per server address behind the switch. */
static size_t st_net_server_subnets(const struct st_config *cfg)
{
    return cfg->server_addrs > 0 ? cfg->server_addrs : cfg->npaths;
}

/* A path router: every client subnet out of if 1, every server subnet out of if 2. */
static int st_net_path_routes(const struct st_net *n, struct sim_node *router)
{
    bool v6 = n->cfg->ipv6;
    int rc = UMPTCP_OK;
    for (size_t j = 0; j < n->cfg->npaths && rc == UMPTCP_OK; j++)
        rc = st_net_route(router, v6, j, 1, 1);
    for (size_t j = 0; j < st_net_server_subnets(n->cfg) && rc == UMPTCP_OK; j++)
        rc = st_net_route(router, v6, j, 2, 2);
    return rc;
}

static int st_net_link(struct sim_link **out, struct st_net *n, const char *name,
                       struct sim_node *from, int fi, struct sim_node *to, int ti,
                       const struct st_dir_config *d)
{
    struct sim_link_config c;
    sim_link_config_init(&c);
    if (d != NULL) {
        c.rate_bps = d->rate_bps;
        c.delay_ns = d->delay_ns;
        if (d->queue_bytes != 0)
            c.queue_limit_bytes = d->queue_bytes;
        c.loss = d->loss;
        c.reorder = d->reorder;
        c.reorder_delay_ns = d->reorder_delay_ns;
        c.duplicate = d->duplicate;
    }
    struct sim_link *l = NULL;
    int rc = sim_link_new(&l, n->w, name, from, fi, to, ti, &c);
    if (rc == UMPTCP_OK && d != NULL && d->middlebox != NULL)
        sim_link_set_middlebox(l, d->middlebox, d->middlebox_user);
    if (out != NULL)
        *out = l;
    return rc;
}

/* The four links of path i between the client and `far` (the server in the per-path topology,
 * the switch otherwise), reached on far's interface far_if. */
static int st_net_path_links(struct st_net *n, size_t i, struct sim_node *router,
                             struct sim_node *far, int far_if)
{
    const struct st_path *p = &n->cfg->paths[i];
    int ifx = (int)i + 1;
    struct {
        const char *prefix, *suffix; /* the name is prefix <i> suffix */
        struct sim_node *from;
        int fi;
        struct sim_node *to;
        int ti;
        const struct st_dir_config *d;
        struct sim_link **keep;
    } links[] = {
        {"c-r", "", n->client, ifx, router, 1, NULL, NULL},
        {"r", "-s", router, 2, far, far_if, &p->fwd, &n->fwd[i]},
        {"s-r", "", far, far_if, router, 2, NULL, NULL},
        {"r", "-c", router, 1, n->client, ifx, &p->rev, &n->rev[i]},
    };
    int rc = UMPTCP_OK;
    char name[SIM_NAME_MAX];
    for (size_t k = 0; k < sizeof(links) / sizeof(links[0]) && rc == UMPTCP_OK; k++) {
        snprintf(name, sizeof(name), "%s%zu%s", links[k].prefix, i, links[k].suffix);
        rc = st_net_link(links[k].keep, n, name, links[k].from, links[k].fi, links[k].to,
                         links[k].ti, links[k].d);
    }
    return rc;
}

/* Path router r<i> with its client-side address; the server side is interface 2. */
static int st_net_path_router(struct st_net *n, size_t i, struct sim_node **router)
{
    bool v6 = n->cfg->ipv6;
    char name[SIM_NAME_MAX];
    snprintf(name, sizeof(name), "r%zu", i);
    int rc = sim_router_new(router, n->w, name);
    umptcp_addr a;
    if (rc == UMPTCP_OK && (rc = st_net_addr(&a, v6, i, 1, 254)) == UMPTCP_OK)
        rc = sim_node_add_address(*router, 1, &a);
    if (rc == UMPTCP_OK && n->cfg->server_addrs == 0 &&
        (rc = st_net_addr(&a, v6, i, 2, 254)) == UMPTCP_OK)
        rc = sim_node_add_address(*router, 2, &a);
    else if (rc == UMPTCP_OK && n->cfg->server_addrs > 0)
        rc = sim_node_add_interface(*router, 2);
    if (rc == UMPTCP_OK)
        rc = st_net_path_routes(n, *router);
    if (rc == UMPTCP_OK && (rc = st_net_addr(&a, v6, i, 1, 1)) == UMPTCP_OK)
        rc = sim_stack_add_address(n->client, (int)i + 1, &a);
    if (rc == UMPTCP_OK && i == n->cfg->connect_path)
        n->client_addr = a;
    return rc;
}

/* Per-path topology: server address i sits at the end of path i. */
static int st_net_build_path(struct st_net *n, size_t i)
{
    struct sim_node *router;
    int rc = st_net_path_router(n, i, &router);
    umptcp_addr a;
    if (rc == UMPTCP_OK && (rc = st_net_addr(&a, n->cfg->ipv6, i, 2, 1)) == UMPTCP_OK)
        rc = sim_stack_add_address(n->server, (int)i + 1, &a);
    if (rc != UMPTCP_OK)
        return rc;
    if (i == n->cfg->connect_path)
        n->server_addr = a;
    return st_net_path_links(n, i, router, n->server, (int)i + 1);
}

/* Switch topology: the switch's interface toward server address k. */
static int st_net_switch_server_if(const struct st_net *n, size_t k)
{
    return (int)(n->cfg->npaths + 1 + k);
}

static int st_net_build_switch(struct st_net *n)
{
    const struct st_config *cfg = n->cfg;
    bool v6 = cfg->ipv6;
    struct sim_node *sw;
    int rc = sim_router_new(&sw, n->w, "rs");
    for (size_t i = 0; i < cfg->npaths && rc == UMPTCP_OK; i++) {
        struct sim_node *router;
        if ((rc = sim_node_add_interface(sw, (int)i + 1)) == UMPTCP_OK &&
            (rc = st_net_route(sw, v6, i, 1, (int)i + 1)) == UMPTCP_OK &&
            (rc = st_net_path_router(n, i, &router)) == UMPTCP_OK)
            rc = st_net_path_links(n, i, router, sw, (int)i + 1);
    }
    for (size_t k = 0; k < cfg->server_addrs && rc == UMPTCP_OK; k++) {
        int sif = st_net_switch_server_if(n, k);
        umptcp_addr a;
        char name[SIM_NAME_MAX];
        if ((rc = sim_node_add_interface(sw, sif)) == UMPTCP_OK &&
            (rc = st_net_route(sw, v6, k, 2, sif)) == UMPTCP_OK &&
            (rc = st_net_addr(&a, v6, k, 2, 1)) == UMPTCP_OK)
            rc = sim_stack_add_address(n->server, (int)k + 1, &a);
        if (rc == UMPTCP_OK && k == 0)
            n->server_addr = a;
        snprintf(name, sizeof(name), "srv%zu-rs", k);
        if (rc == UMPTCP_OK)
            rc = st_net_link(NULL, n, name, n->server, (int)k + 1, sw, sif, NULL);
        snprintf(name, sizeof(name), "rs-srv%zu", k);
        if (rc == UMPTCP_OK)
            rc = st_net_link(NULL, n, name, sw, sif, n->server, (int)k + 1, NULL);
    }
    return rc;
}

int st_net_build(struct st_net *n)
{
    const struct st_config *cfg = n->cfg;
    if (cfg->npaths == 0 || cfg->npaths > ST_MAX_PATHS || cfg->connect_path >= cfg->npaths ||
        cfg->server_addrs > ST_MAX_PATHS)
        return UMPTCP_ERR_INVAL;
    if (cfg->server_addrs > 0)
        return st_net_build_switch(n);
    int rc = UMPTCP_OK;
    for (size_t i = 0; i < cfg->npaths && rc == UMPTCP_OK; i++)
        rc = st_net_build_path(n, i);
    return rc;
}
