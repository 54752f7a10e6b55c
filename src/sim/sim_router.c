/* A static router: longest-prefix-match forwarding of raw IPv4/IPv6 packets. */
#include "sim/sim_internal.h"
#include "umptcp/error.h"

#include <stdlib.h>
#include <string.h>

struct sim_route {
    umptcp_addr prefix; /* host bits cleared */
    unsigned prefix_len;
    int ifindex;
};

struct sim_router {
    struct sim_route *routes;
    size_t nroutes, cap_routes;
    struct sim_router_counters c;
    uint8_t buf[SIM_PACKET_MAX]; /* the forwarded copy, whose TTL is decremented */
};

static void sim_router_receive(struct sim_node *node, void *user, int ifindex, const uint8_t *pkt,
                               size_t len, uint64_t now);
static void sim_router_destroy(struct sim_node *node, void *user);

static const struct sim_node_ops sim_router_ops = {
    .receive = sim_router_receive,
    .destroy = sim_router_destroy,
};

bool sim_node_is_router(const struct sim_node *n)
{
    return n != NULL && n->ops == &sim_router_ops;
}

static struct sim_router *sim_router_of(const struct sim_node *n)
{
    return sim_node_is_router(n) ? n->user : NULL;
}

int sim_router_new(struct sim_node **out, struct sim_world *w, const char *name)
{
    if (out == NULL)
        return UMPTCP_ERR_INVAL;
    *out = NULL;
    struct sim_router *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return UMPTCP_ERR_NOMEM;
    int rc = sim_host_new(out, w, name, &sim_router_ops, r);
    if (rc != UMPTCP_OK)
        free(r);
    return rc;
}

static void sim_router_destroy(struct sim_node *node, void *user)
{
    struct sim_router *r = user;
    free(r->routes);
    free(r);
}

static void sim_router_mask(umptcp_addr *a, unsigned prefix_len)
{
    size_t n = umptcp_addr_len(a);
    for (size_t i = 0; i < n; i++) {
        unsigned keep = prefix_len > 8 * i ? prefix_len - 8 * (unsigned)i : 0;
        if (keep < 8)
            a->bytes[i] &= (uint8_t)(0xff00u >> keep);
    }
}

int sim_router_add_route(struct sim_node *router, const umptcp_addr *prefix, unsigned prefix_len,
                         int ifindex)
{
    struct sim_router *r = sim_router_of(router);
    if (r == NULL || prefix == NULL || umptcp_addr_len(prefix) == 0 ||
        prefix_len > 8 * umptcp_addr_len(prefix))
        return UMPTCP_ERR_INVAL;
    if (sim_node_iface(router, ifindex) == NULL)
        return UMPTCP_ERR_NOTFOUND;
    if (r->nroutes == r->cap_routes) {
        size_t cap = r->cap_routes ? r->cap_routes * 2 : 8;
        struct sim_route *grown = realloc(r->routes, cap * sizeof(*grown));
        if (grown == NULL)
            return UMPTCP_ERR_NOMEM;
        r->routes = grown;
        r->cap_routes = cap;
    }
    struct sim_route *rt = &r->routes[r->nroutes++];
    rt->prefix = *prefix;
    sim_router_mask(&rt->prefix, prefix_len);
    rt->prefix_len = prefix_len;
    rt->ifindex = ifindex;
    return UMPTCP_OK;
}

int sim_router_add_route_text(struct sim_node *router, const char *prefix, int ifindex)
{
    char text[UMPTCP_ADDR_STRLEN + 8];
    if (prefix == NULL || strlen(prefix) >= sizeof(text))
        return UMPTCP_ERR_INVAL;
    strcpy(text, prefix);
    umptcp_addr a;
    char *slash = strchr(text, '/');
    long len = -1;
    if (slash != NULL) {
        *slash = '\0';
        const char *digits = slash + 1;
        size_t n = strlen(digits);
        if (n == 0 || n > 3 || strspn(digits, "0123456789") != n)
            return UMPTCP_ERR_INVAL;
        len = strtol(digits, NULL, 10);
    }
    if (umptcp_addr_parse(&a, text) != UMPTCP_OK)
        return UMPTCP_ERR_INVAL;
    if (len < 0)
        len = (long)(8 * umptcp_addr_len(&a));
    return sim_router_add_route(router, &a, (unsigned)len, ifindex);
}

int sim_router_lookup(const struct sim_node *router, const umptcp_addr *dst)
{
    const struct sim_router *r = sim_router_of(router);
    if (r == NULL || dst == NULL)
        return UMPTCP_ERR_NOTFOUND;
    const struct sim_route *best = NULL;
    for (size_t i = 0; i < r->nroutes; i++) {
        const struct sim_route *rt = &r->routes[i];
        if ((best == NULL || rt->prefix_len > best->prefix_len) &&
            sim_ip_prefix_match(dst, &rt->prefix, rt->prefix_len))
            best = rt;
    }
    return best != NULL ? best->ifindex : UMPTCP_ERR_NOTFOUND;
}

const struct sim_router_counters *sim_router_counters(const struct sim_node *n)
{
    const struct sim_router *r = sim_router_of(n);
    return r != NULL ? &r->c : NULL;
}

static void sim_router_receive(struct sim_node *node, void *user, int ifindex, const uint8_t *pkt,
                               size_t len, uint64_t now)
{
    struct sim_router *r = user;
    umptcp_addr dst;
    if (len > sizeof(r->buf) || sim_ip_addresses(pkt, len, NULL, &dst) != UMPTCP_OK) {
        r->c.malformed++;
        sim_node_trace_drop(node, ifindex, SIM_DROP_MALFORMED, pkt, len);
        return;
    }
    if (sim_node_find_address(node, &dst) >= 0) {
        r->c.local++;
        sim_node_trace_drop(node, ifindex, SIM_DROP_LOCAL, pkt, len);
        return;
    }
    int out = sim_router_lookup(node, &dst);
    if (out < 0) {
        r->c.no_route++;
        sim_node_trace_drop(node, ifindex, SIM_DROP_NO_ROUTE, pkt, len);
        return;
    }
    memcpy(r->buf, pkt, len);
    /* RFC 1812 5.3.1: a router decrements the TTL and discards the packet at zero. */
    if (sim_ip_decrement_ttl(r->buf, len) <= 0) {
        r->c.ttl_expired++;
        sim_node_trace_drop(node, ifindex, SIM_DROP_TTL, pkt, len);
        return;
    }
    r->c.forwarded++;
    int rc = sim_node_send(node, out, r->buf, len);
    if (rc != UMPTCP_OK)
        sim_world_fail(sim_node_world(node), rc);
}
