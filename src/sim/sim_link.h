/* One-way links between two node interfaces.
 *
 * Model, in the order a packet meets it:
 *  1. Entry. sim_node_send hands the packet to the link leaving the interface. A link that
 *     is down drops it (SIM_DROP_DOWN).
 *  2. Transmitter and drop-tail queue. The transmitter serialises one packet at a time,
 *     taking ceil(bytes * 8 * 1e9 / rate_bps) ns. A packet arriving while it is busy waits
 *     in a FIFO queue; the queue holds at most queue_limit_bytes of WAITING packets (the one
 *     being serialised is not counted), and a packet that does not fit is dropped
 *     (SIM_DROP_QUEUE). The serialisation time is computed when a packet starts, so a rate
 *     change applies from the next packet on. rate_bps 0 means unlimited: no serialisation
 *     time and no queueing.
 *  3. Wire. When serialisation ends the packet is launched with three draws, each from its
 *     own stream of the link (sim_rng.h), always all three so the patterns stay independent:
 *       loss:      with probability `loss` the packet is lost (SIM_DROP_LOSS);
 *       duplicate: with probability `duplicate` a copy is made, arriving with the original
 *                  and delivered right after it;
 *       reorder:   with probability `reorder` the packet is held back by an extra
 *                  reorder_delay_ns on top of delay_ns, so packets launched within that
 *                  window overtake it. Held packets are counted as reordered.
 *     Arrival time = launch time + delay_ns (+ reorder_delay_ns). A delay change applies to
 *     packets launched afterwards (a shorter delay can itself reorder, as on a real path).
 *  4. Exit. At arrival the middlebox hook, if any, sees a mutable copy of the packet and
 *     returns PASS, DROP (SIM_DROP_MIDDLEBOX) or DELAY (held extra ns, then delivered
 *     without consulting the hook again). Then the packet is delivered to the far node.
 *  Down: taking a link down drops the packet being serialised, the queue and everything in
 *  flight (SIM_DROP_DOWN); packets sent while down are dropped too. Up resumes delivery. */
#ifndef UMPTCP_SIM_LINK_H
#define UMPTCP_SIM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim_rng.h"
#include "sim/sim_world.h"

#define SIM_LINK_DEFAULT_QUEUE_BYTES (256u * 1024u)
/* How many bytes a middlebox may add to a packet. */
#define SIM_MIDDLEBOX_SLACK 256u
/* Upper bound for delay_ns, reorder_delay_ns and a middlebox delay (one hour). */
#define SIM_LINK_MAX_DELAY_NS (3600ull * SIM_NS_PER_SEC)

struct sim_link_config {
    uint64_t rate_bps;          /* bits per second; 0 = unlimited */
    uint64_t delay_ns;          /* propagation delay */
    uint64_t queue_limit_bytes; /* bytes that may wait behind the transmitter */
    double loss;                /* probabilities in [0, 1] */
    double duplicate;
    double reorder;
    uint64_t reorder_delay_ns; /* extra delay of a reordered packet (> 0 if reorder > 0) */
};

struct sim_link_counters {
    uint64_t sent_packets, sent_bytes;           /* handed to the link */
    uint64_t delivered_packets, delivered_bytes; /* handed to the far node (copies included) */
    uint64_t drop_queue_packets, drop_queue_bytes;
    uint64_t drop_loss_packets, drop_loss_bytes;
    uint64_t drop_down_packets, drop_down_bytes;
    uint64_t drop_middlebox_packets, drop_middlebox_bytes;
    uint64_t duplicated_packets; /* extra copies made */
    uint64_t reordered_packets;  /* packets held back by reorder_delay_ns */
    uint64_t middlebox_delayed_packets;
    uint64_t queue_high_water_bytes;   /* most bytes ever waiting in the queue */
    uint64_t queue_high_water_packets; /* most packets ever waiting in the queue */
    uint64_t delay_sum_ns;             /* sum over delivered packets of (delivery - entry) */
};

/* Middlebox hook. The packet may be changed in place and resized up to cap bytes (at least
 * SIM_MIDDLEBOX_SLACK more than its length on entry); a length of 0 or above cap drops it. */
struct sim_mb_packet {
    uint8_t *data;
    size_t len;
    size_t cap;
    uint64_t now;
    uint64_t sent_at; /* when it entered the link */
    struct sim_link *link;
    struct sim_rng *rng; /* a stream of the link reserved for the middlebox */
};

enum sim_verdict_kind { SIM_VERDICT_PASS, SIM_VERDICT_DROP, SIM_VERDICT_DELAY };

struct sim_verdict {
    enum sim_verdict_kind kind;
    uint64_t delay_ns; /* for SIM_VERDICT_DELAY, at most SIM_LINK_MAX_DELAY_NS */
};

static inline struct sim_verdict sim_verdict_pass(void)
{
    return (struct sim_verdict){SIM_VERDICT_PASS, 0};
}
static inline struct sim_verdict sim_verdict_drop(void)
{
    return (struct sim_verdict){SIM_VERDICT_DROP, 0};
}
static inline struct sim_verdict sim_verdict_delay(uint64_t ns)
{
    return (struct sim_verdict){SIM_VERDICT_DELAY, ns};
}

typedef struct sim_verdict (*sim_middlebox_fn)(void *user, struct sim_mb_packet *p);

/* Defaults: unlimited rate, no delay, SIM_LINK_DEFAULT_QUEUE_BYTES, no impairment. */
void sim_link_config_init(struct sim_link_config *c);
/* 0 when the configuration is usable, else UMPTCP_ERR_INVAL. */
int sim_link_config_check(const struct sim_link_config *c);

/* Creates the one-way link `name` (unique among links; it also names the link's random
 * streams) from interface from_if of `from` to interface to_if of `to`, both in w. cfg NULL
 * means defaults. Returns 0, UMPTCP_ERR_INVAL, UMPTCP_ERR_NOTFOUND (no such interface),
 * UMPTCP_ERR_EXISTS (name taken or from_if already has a link) or UMPTCP_ERR_NOMEM. */
int sim_link_new(struct sim_link **out, struct sim_world *w, const char *name,
                 struct sim_node *from, int from_if, struct sim_node *to, int to_if,
                 const struct sim_link_config *cfg);

/* Changes the whole configuration at run time (see the model above for when each field
 * takes effect). 0 or UMPTCP_ERR_INVAL (nothing changed). */
int sim_link_configure(struct sim_link *l, const struct sim_link_config *cfg);
const struct sim_link_config *sim_link_config(const struct sim_link *l);
int sim_link_set_rate(struct sim_link *l, uint64_t rate_bps);
int sim_link_set_delay(struct sim_link *l, uint64_t delay_ns);
int sim_link_set_loss(struct sim_link *l, double loss);

void sim_link_set_up(struct sim_link *l, bool up);
bool sim_link_is_up(const struct sim_link *l);
/* Installs (or with fn NULL removes) the middlebox hook. */
void sim_link_set_middlebox(struct sim_link *l, sim_middlebox_fn fn, void *user);

const struct sim_link_counters *sim_link_counters(const struct sim_link *l);
size_t sim_link_queue_bytes(const struct sim_link *l);
size_t sim_link_queue_packets(const struct sim_link *l);
/* Packets inside the link: being serialised, queued or on the wire. */
size_t sim_link_packets_inside(const struct sim_link *l);

const char *sim_link_name(const struct sim_link *l);
struct sim_node *sim_link_from(const struct sim_link *l);
int sim_link_from_ifindex(const struct sim_link *l);
struct sim_node *sim_link_to(const struct sim_link *l);
int sim_link_to_ifindex(const struct sim_link *l);

#endif
