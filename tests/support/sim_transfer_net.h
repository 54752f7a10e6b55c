/* The network of the bulk-transfer harness (sim_transfer.h): builds the hosts' addresses, the
 * routers and the links of an st_config in a world (tests only, prefix st_net_). */
#ifndef UMPTCP_TESTS_SIM_TRANSFER_NET_H
#define UMPTCP_TESTS_SIM_TRANSFER_NET_H

#include "sim/sim.h"
#include "sim_transfer.h"

struct st_net {
    struct sim_world *w;
    const struct st_config *cfg;
    struct sim_node *client, *server;                       /* stack hosts, made by the caller */
    struct sim_link *fwd[ST_MAX_PATHS], *rev[ST_MAX_PATHS]; /* the paths' bottleneck links */
    umptcp_addr client_addr;                                /* the client's on connect_path */
    umptcp_addr server_addr;                                /* where the client connects */
};

/* Adds the paths of n->cfg between n->client and n->server (see the topologies in
 * sim_transfer.h). 0 or the first error. */
int st_net_build(struct st_net *n);
/* The client's address on path i, or the server's address number i. 0 or an error. */
int st_net_host_addr(const struct st_net *n, size_t i, bool server, umptcp_addr *out);

#endif
