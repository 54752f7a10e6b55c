/* Nodes of the simulated world: hosts and routers, each with numbered interfaces.
 *
 * A host is driven by a struct sim_node_ops, the same shape as a sans-IO stack: packets
 * arrive through receive(), the node sends with sim_node_send(), and the world keeps one
 * timer per node at next_timeout(), calling on_timeout() when it expires. After every
 * callback into the node the world asks next_timeout() again. A umptcp stack plugs in by
 * forwarding receive to umptcp_stack_input, its send callback to sim_node_send, and the
 * timer pair to umptcp_stack_next_timeout / umptcp_stack_on_timeout.
 *
 * An interface has an index (> 0) and up to SIM_IFACE_MAX_ADDRS addresses; at most one link
 * leaves it (sim_link_new), any number may arrive at it. */
#ifndef UMPTCP_SIM_NODE_H
#define UMPTCP_SIM_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim_rng.h"
#include "sim/sim_world.h"
#include "umptcp/addr.h"
#include "umptcp/pcap.h"

#define SIM_NAME_MAX 32       /* names are 1..31 bytes */
#define SIM_IFACE_MAX_ADDRS 4 /* addresses per interface */
#define SIM_PACKET_MAX 65535  /* largest packet a node may send (bytes) */

struct sim_node_ops {
    /* A packet arrived on interface ifindex; the bytes are valid only during the call. */
    void (*receive)(struct sim_node *node, void *user, int ifindex, const uint8_t *pkt, size_t len,
                    uint64_t now);
    /* Absolute time the node wants on_timeout, or SIM_TIME_NEVER. A time in the past
     * means "now". Optional. */
    uint64_t (*next_timeout)(struct sim_node *node, void *user);
    void (*on_timeout)(struct sim_node *node, void *user, uint64_t now); /* optional */
    /* Called when the world is freed, to release `user`. Optional. */
    void (*destroy)(struct sim_node *node, void *user);
};

struct sim_node_counters {
    uint64_t rx_packets, rx_bytes; /* delivered to the node */
    uint64_t tx_packets, tx_bytes; /* accepted by sim_node_send */
    uint64_t tx_no_link;           /* sent on an interface with no link attached */
};

/* Creates a host named `name` (unique among nodes) in w. ops may be NULL for a sink that
 * only counts what it receives; ops is not copied and must outlive the world.
 * Returns 0, UMPTCP_ERR_INVAL, UMPTCP_ERR_EXISTS (name taken) or UMPTCP_ERR_NOMEM. */
int sim_host_new(struct sim_node **out, struct sim_world *w, const char *name,
                 const struct sim_node_ops *ops, void *user);

/* Adds interface ifindex (> 0). UMPTCP_ERR_EXISTS when it exists already. */
int sim_node_add_interface(struct sim_node *n, int ifindex);
/* Adds an address to interface ifindex, creating the interface if needed.
 * UMPTCP_ERR_NOSPACE when the interface has SIM_IFACE_MAX_ADDRS already. */
int sim_node_add_address(struct sim_node *n, int ifindex, const umptcp_addr *addr);

size_t sim_node_interface_count(const struct sim_node *n);
/* ifindex of the i-th interface in creation order, or UMPTCP_ERR_NOTFOUND. */
int sim_node_interface_at(const struct sim_node *n, size_t i);
size_t sim_node_address_count(const struct sim_node *n, int ifindex);
const umptcp_addr *sim_node_address(const struct sim_node *n, int ifindex, size_t i);
/* The interface holding addr, or UMPTCP_ERR_NOTFOUND. */
int sim_node_find_address(const struct sim_node *n, const umptcp_addr *addr);
/* The link leaving interface ifindex, or NULL. */
struct sim_link *sim_node_link(const struct sim_node *n, int ifindex);

/* Sends a raw IPv4/IPv6 packet (1..SIM_PACKET_MAX bytes, copied) out of interface ifindex at
 * the current virtual time. Returns 0 also when the network drops it (that is counted, as in
 * a real network); UMPTCP_ERR_INVAL for a bad length, UMPTCP_ERR_NOTFOUND for an unknown
 * interface, UMPTCP_ERR_NOMEM. May be called from any callback and between runs. */
int sim_node_send(struct sim_node *n, int ifindex, const uint8_t *pkt, size_t len);

/* Asks next_timeout() again and moves the node's timer; call it after driving the node's
 * stack from outside a node callback (sim_world_at callbacks do it automatically). */
void sim_node_refresh_timer(struct sim_node *n);

/* The node's own random stream (seeded from the world seed and the node name), e.g. for a
 * stack's rand callback. */
struct sim_rng *sim_node_rng(struct sim_node *n);
/* Captures everything the node sends and receives (like tcpdump on the host). NULL: off. */
void sim_node_set_pcap(struct sim_node *n, umptcp_pcap *pcap);

const char *sim_node_name(const struct sim_node *n);
void *sim_node_user(const struct sim_node *n);
struct sim_world *sim_node_world(const struct sim_node *n);
const struct sim_node_counters *sim_node_counters(const struct sim_node *n);

#endif
