/* The simulated world: a virtual clock, an event queue, and the nodes and links it owns.
 *
 * A world is seeded once; every random decision inside it comes from streams derived from
 * that seed (sim_rng.h), so the same seed and the same sequence of API calls give the same
 * events, byte for byte. Nothing here reads the wall clock.
 *
 * Typical use:
 *     sim_world_new(&w, seed);
 *     sim_host_new(&a, w, "a", &ops, user);  sim_router_new(&r, w, "r");
 *     sim_node_add_address(a, 1, &addr);  ...
 *     sim_link_new(&l, w, "a-r", a, 1, r, 1, &cfg);  ...
 *     sim_world_run(w, 10 * SIM_NS_PER_SEC);
 *     sim_world_free(w);
 */
#ifndef UMPTCP_SIM_WORLD_H
#define UMPTCP_SIM_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim_event.h"
#include "umptcp/pcap.h"

struct sim_world;
struct sim_node;
struct sim_link;

/* Why sim_world_run returned (errors are negative UMPTCP_ERR_* instead). */
enum sim_run_result {
    SIM_RUN_IDLE = 0,        /* no event left; the clock stays at the last event */
    SIM_RUN_TIME_LIMIT = 1,  /* the next event is after the limit; the clock is at the limit */
    SIM_RUN_STOPPED = 2,     /* sim_world_stop was called by a callback */
    SIM_RUN_EVENT_LIMIT = 3, /* the per-run event budget (sim_world_set_event_limit) ran out */
};

enum sim_drop_reason {
    SIM_DROP_NONE = 0,
    SIM_DROP_QUEUE,     /* link: the drop-tail queue was full */
    SIM_DROP_LOSS,      /* link: random loss */
    SIM_DROP_DOWN,      /* link: down when sent, or queued/in flight when it went down */
    SIM_DROP_MIDDLEBOX, /* link: the middlebox hook said DROP (or returned a bad length) */
    SIM_DROP_NO_LINK,   /* node: nothing attached to the interface it was sent on */
    SIM_DROP_NO_ROUTE,  /* router: no route to the destination */
    SIM_DROP_TTL,       /* router: TTL / hop limit exhausted */
    SIM_DROP_MALFORMED, /* router: not a readable IPv4/IPv6 header */
    SIM_DROP_LOCAL,     /* router: addressed to the router itself (it runs no stack) */
};
/* Short name of a reason, e.g. "queue"; never NULL. */
const char *sim_drop_reason_name(enum sim_drop_reason r);

enum sim_trace_kind {
    SIM_TRACE_SEND,    /* a packet entered a link */
    SIM_TRACE_DELIVER, /* a packet left a link and is handed to the receiving node */
    SIM_TRACE_DROP,    /* a packet was dropped (reason says where) */
};

/* What a trace callback sees. The packet bytes are only valid during the call. */
struct sim_trace {
    enum sim_trace_kind kind;
    enum sim_drop_reason reason; /* SIM_DROP_NONE unless kind is SIM_TRACE_DROP */
    uint64_t now;
    const struct sim_link *link; /* NULL for drops inside a node */
    const struct sim_node *node; /* the sender (SEND), receiver (DELIVER), or dropping node */
    int ifindex;                 /* the node's interface */
    uint64_t sent_at;            /* when the packet entered the link (link events) */
    const uint8_t *pkt;
    size_t len;
};
typedef void (*sim_trace_fn)(void *user, const struct sim_trace *ev);

/* A one-shot callback scheduled with sim_world_at. */
typedef void (*sim_world_fn)(struct sim_world *w, void *arg, uint64_t now);

/* Creates an empty world at time 0. Returns 0 or UMPTCP_ERR_INVAL / UMPTCP_ERR_NOMEM. */
int sim_world_new(struct sim_world **out, uint64_t seed);
/* Frees the world with every node (calling their ops' destroy), link, packet and pending
 * event. NULL is allowed. Captures set with sim_*_set_pcap are not closed. */
void sim_world_free(struct sim_world *w);

uint64_t sim_world_now(const struct sim_world *w);
uint64_t sim_world_seed(const struct sim_world *w);

/* Runs events in time order until none is left at or before time_limit (absolute ns), until
 * a callback calls sim_world_stop, or until the event budget is spent. Returns an
 * enum sim_run_result, or a negative UMPTCP_ERR_* when the simulator itself failed (e.g.
 * out of memory while scheduling), which also ends the run; UMPTCP_ERR_STATE when called
 * from inside a callback of the same world. May be called again to go on. */
int sim_world_run(struct sim_world *w, uint64_t time_limit);
/* Asks the current run to return SIM_RUN_STOPPED after the event being processed. */
void sim_world_stop(struct sim_world *w);
/* At most max_events events per sim_world_run (0: no budget). A guard against a node that
 * keeps asking for a timer at the current time. */
void sim_world_set_event_limit(struct sim_world *w, uint64_t max_events);
/* Events processed since the world was created. */
uint64_t sim_world_event_count(const struct sim_world *w);

/* Calls fn(w, arg, when) once at time `when` (>= now). Afterwards every node's timer is
 * refreshed, because fn may have driven a node's stack directly. Returns 0 or an error. */
int sim_world_at(struct sim_world *w, uint64_t when, sim_world_fn fn, void *arg);

/* Captures every packet as it enters any link (so a routed packet appears once per hop),
 * with the virtual time as timestamp. NULL turns capture off. The world does not close it. */
void sim_world_set_pcap(struct sim_world *w, umptcp_pcap *pcap);
/* Reports every send, delivery and drop to fn. NULL turns tracing off. */
void sim_world_set_trace(struct sim_world *w, sim_trace_fn fn, void *user);

size_t sim_world_node_count(const struct sim_world *w);
struct sim_node *sim_world_node(const struct sim_world *w, size_t i); /* creation order */
struct sim_node *sim_world_find_node(const struct sim_world *w, const char *name);
size_t sim_world_link_count(const struct sim_world *w);
struct sim_link *sim_world_link(const struct sim_world *w, size_t i); /* creation order */
struct sim_link *sim_world_find_link(const struct sim_world *w, const char *name);

#endif
