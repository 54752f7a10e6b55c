/* Structures and cross-file functions private to src/sim. */
#ifndef UMPTCP_SIM_INTERNAL_H
#define UMPTCP_SIM_INTERNAL_H

#include "sim/sim.h"

/* A packet owned by a link: queued, being serialised, or in flight. */
struct sim_packet {
    struct sim_timer timer;  /* arrival at the far end (in flight only) */
    struct sim_packet *prev; /* in-flight list (doubly linked) or queue (next only) */
    struct sim_packet *next;
    struct sim_link *link;
    uint64_t sent_at; /* when it entered the link */
    bool hooked;      /* the middlebox has seen it */
    size_t len, cap;
    uint8_t data[];
};

struct sim_iface {
    int ifindex;
    umptcp_addr addrs[SIM_IFACE_MAX_ADDRS];
    size_t naddrs;
    struct sim_link *out; /* the link leaving this interface */
};

struct sim_node {
    struct sim_world *world;
    char name[SIM_NAME_MAX];
    const struct sim_node_ops *ops;
    void *user;
    struct sim_iface *ifaces;
    size_t nifaces, cap_ifaces;
    struct sim_timer timer; /* fires ops->on_timeout */
    struct sim_rng rng;
    umptcp_pcap *pcap;
    struct sim_node_counters counters;
};

/* Indices of a link's random streams (sim_rng_seed_stream). */
enum sim_link_stream { SIM_STREAM_LOSS, SIM_STREAM_DUP, SIM_STREAM_REORDER, SIM_STREAM_MB };

struct sim_link {
    struct sim_world *world;
    char name[SIM_NAME_MAX];
    struct sim_node *from, *to;
    int from_if, to_if;
    struct sim_link_config cfg;
    bool up;
    /* transmitter */
    struct sim_timer tx_timer;
    struct sim_packet *tx_pkt;
    /* drop-tail FIFO of waiting packets */
    struct sim_packet *q_head, *q_tail;
    size_t q_bytes, q_packets;
    /* on the wire */
    struct sim_packet *flight;
    size_t flight_packets;
    struct sim_rng rng[4]; /* enum sim_link_stream */
    sim_middlebox_fn mb;
    void *mb_user;
    struct sim_link_counters c;
};

/* world */
struct sim_queue *sim_world_queue(struct sim_world *w);
int sim_world_add_node(struct sim_world *w, struct sim_node *n);
int sim_world_add_link(struct sim_world *w, struct sim_link *l);
/* Records the first internal failure and stops the run (sim_world_run returns it). */
void sim_world_fail(struct sim_world *w, int err);
void sim_world_emit(struct sim_world *w, const struct sim_trace *ev);
umptcp_pcap *sim_world_pcap(const struct sim_world *w);
/* True when name is 1..SIM_NAME_MAX-1 bytes. */
bool sim_name_valid(const char *name);

/* node */
struct sim_iface *sim_node_iface(const struct sim_node *n, int ifindex);
void sim_node_deliver(struct sim_node *n, int ifindex, const uint8_t *pkt, size_t len,
                      uint64_t now);
/* Reports a drop inside a node to the trace callback. */
void sim_node_trace_drop(struct sim_node *n, int ifindex, enum sim_drop_reason why,
                         const uint8_t *pkt, size_t len);
void sim_node_destroy(struct sim_node *n);

/* link */
/* Takes a copy of the packet into the link; 0 or UMPTCP_ERR_NOMEM. */
int sim_link_transmit(struct sim_link *l, const uint8_t *pkt, size_t len);
void sim_link_destroy(struct sim_link *l);

#endif
