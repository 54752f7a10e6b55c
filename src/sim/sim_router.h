/* A router node: forwards every packet it receives by its IP destination address, using a
 * static route table with longest-prefix match (IPv4 and IPv6). Like a real router it
 * decrements the TTL / hop limit (fixing the IPv4 header checksum) and discards packets
 * whose TTL runs out (no ICMP is sent). Packets addressed to one of its own addresses are
 * dropped: it runs no stack. Ties between routes of equal length go to the one added first. */
#ifndef UMPTCP_SIM_ROUTER_H
#define UMPTCP_SIM_ROUTER_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim_node.h"

struct sim_router_counters {
    uint64_t forwarded;
    uint64_t no_route;
    uint64_t ttl_expired;
    uint64_t malformed;
    uint64_t local; /* addressed to the router */
};

/* Creates a router named `name` (unique among nodes). Errors as sim_host_new. */
int sim_router_new(struct sim_node **out, struct sim_world *w, const char *name);
/* Routes prefix/prefix_len out of interface ifindex (which must exist). Host bits of the
 * prefix are ignored. 0, UMPTCP_ERR_INVAL, UMPTCP_ERR_NOTFOUND or UMPTCP_ERR_NOMEM. */
int sim_router_add_route(struct sim_node *router, const umptcp_addr *prefix, unsigned prefix_len,
                         int ifindex);
/* The same with a textual "10.0.1.0/24" or "fd00:1::/64" (no "/len": a host route). */
int sim_router_add_route_text(struct sim_node *router, const char *prefix, int ifindex);
/* The interface the router would forward dst to, or UMPTCP_ERR_NOTFOUND. */
int sim_router_lookup(const struct sim_node *router, const umptcp_addr *dst);

bool sim_node_is_router(const struct sim_node *n);
/* NULL when n is not a router. */
const struct sim_router_counters *sim_router_counters(const struct sim_node *n);

#endif
