/* One-way links: drop-tail queue, transmitter, impairments on the wire, middlebox hook.
 * The model is described in sim_link.h. */
#include "sim/sim_internal.h"
#include "umptcp/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t sim_time_add(uint64_t a, uint64_t b)
{
    return a > SIM_TIME_NEVER - 1 - b ? SIM_TIME_NEVER - 1 : a + b;
}

/* ceil(bytes * 8 s / rate) in ns: a deterministic integer, never rounded down to 0 bits. */
static uint64_t sim_link_serialisation_ns(uint64_t bytes, uint64_t rate_bps)
{
    uint64_t bit_ns = bytes * 8u * SIM_NS_PER_SEC; /* < 2^50 for bytes <= 64 KiB */
    return bit_ns / rate_bps + (bit_ns % rate_bps != 0);
}

static bool sim_probability_ok(double p)
{
    return p >= 0.0 && p <= 1.0;
} /* false for NaN */

void sim_link_config_init(struct sim_link_config *c)
{
    memset(c, 0, sizeof(*c));
    c->queue_limit_bytes = SIM_LINK_DEFAULT_QUEUE_BYTES;
}

int sim_link_config_check(const struct sim_link_config *c)
{
    if (c == NULL || !sim_probability_ok(c->loss) || !sim_probability_ok(c->duplicate) ||
        !sim_probability_ok(c->reorder))
        return UMPTCP_ERR_INVAL;
    if (c->delay_ns > SIM_LINK_MAX_DELAY_NS || c->reorder_delay_ns > SIM_LINK_MAX_DELAY_NS)
        return UMPTCP_ERR_INVAL;
    if (c->reorder > 0.0 && c->reorder_delay_ns == 0)
        return UMPTCP_ERR_INVAL;
    return UMPTCP_OK;
}

/* ---- packets -------------------------------------------------------------------------- */

static void sim_link_arrive(struct sim_timer *t, uint64_t now);

static struct sim_packet *sim_packet_new(struct sim_link *l, const uint8_t *data, size_t len,
                                         uint64_t sent_at)
{
    size_t cap = len + SIM_MIDDLEBOX_SLACK;
    struct sim_packet *p = malloc(sizeof(*p) + cap);
    if (p == NULL)
        return NULL;
    sim_timer_init(&p->timer, sim_link_arrive);
    p->prev = p->next = NULL;
    p->link = l;
    p->sent_at = sent_at;
    p->hooked = false;
    p->len = len;
    p->cap = cap;
    memcpy(p->data, data, len);
    return p;
}

static void sim_link_emit(struct sim_link *l, enum sim_trace_kind kind, enum sim_drop_reason why,
                          const uint8_t *pkt, size_t len, uint64_t sent_at)
{
    bool at_far_end = kind == SIM_TRACE_DELIVER;
    struct sim_trace ev = {.kind = kind,
                           .reason = why,
                           .now = sim_world_now(l->world),
                           .link = l,
                           .node = at_far_end ? l->to : l->from,
                           .ifindex = at_far_end ? l->to_if : l->from_if,
                           .sent_at = sent_at,
                           .pkt = pkt,
                           .len = len};
    sim_world_emit(l->world, &ev);
}

static void sim_link_count_drop(struct sim_link *l, enum sim_drop_reason why, const uint8_t *pkt,
                                size_t len, uint64_t sent_at)
{
    struct sim_link_counters *c = &l->c;
    uint64_t *packets = &c->drop_middlebox_packets, *bytes = &c->drop_middlebox_bytes;
    if (why == SIM_DROP_QUEUE)
        packets = &c->drop_queue_packets, bytes = &c->drop_queue_bytes;
    else if (why == SIM_DROP_LOSS)
        packets = &c->drop_loss_packets, bytes = &c->drop_loss_bytes;
    else if (why == SIM_DROP_DOWN)
        packets = &c->drop_down_packets, bytes = &c->drop_down_bytes;
    (*packets)++;
    *bytes += len;
    sim_link_emit(l, SIM_TRACE_DROP, why, pkt, len, sent_at);
}

static void sim_link_drop(struct sim_link *l, struct sim_packet *p, enum sim_drop_reason why)
{
    sim_link_count_drop(l, why, p->data, p->len, p->sent_at);
    free(p);
}

/* ---- the wire ------------------------------------------------------------------------- */

static void sim_flight_remove(struct sim_link *l, struct sim_packet *p)
{
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        l->flight = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
    l->flight_packets--;
}

/* Puts p on the wire until `arrival`; on failure the run is aborted and p freed. */
static void sim_link_fly(struct sim_link *l, struct sim_packet *p, uint64_t arrival)
{
    int rc = sim_queue_schedule(sim_world_queue(l->world), &p->timer, arrival);
    if (rc != UMPTCP_OK) {
        sim_world_fail(l->world, rc);
        free(p);
        return;
    }
    p->prev = NULL;
    p->next = l->flight;
    if (l->flight != NULL)
        l->flight->prev = p;
    l->flight = p;
    l->flight_packets++;
}

/* Serialisation is over: loss, duplication and reordering decide what reaches the far end. */
static void sim_link_launch(struct sim_link *l, struct sim_packet *p, uint64_t now)
{
    /* Always three draws, one per stream, whatever the probabilities (see sim_link.h). */
    bool lost = sim_rng_chance(&l->rng[SIM_STREAM_LOSS], l->cfg.loss);
    bool duplicate = sim_rng_chance(&l->rng[SIM_STREAM_DUP], l->cfg.duplicate);
    bool held = sim_rng_chance(&l->rng[SIM_STREAM_REORDER], l->cfg.reorder);
    if (lost) {
        sim_link_drop(l, p, SIM_DROP_LOSS);
        return;
    }
    uint64_t arrival = sim_time_add(now, l->cfg.delay_ns);
    if (held) {
        arrival = sim_time_add(arrival, l->cfg.reorder_delay_ns);
        l->c.reordered_packets++;
    }
    struct sim_packet *copy = NULL;
    if (duplicate) {
        copy = sim_packet_new(l, p->data, p->len, p->sent_at);
        if (copy != NULL)
            l->c.duplicated_packets++;
    }
    sim_link_fly(l, p, arrival);
    if (copy != NULL)
        sim_link_fly(l, copy, arrival); /* scheduled later: delivered right after */
}

/* Runs the middlebox; returns true when the packet should be delivered now (false: it was
 * dropped or put back on the wire). */
static bool sim_link_middlebox(struct sim_link *l, struct sim_packet *p, uint64_t now)
{
    p->hooked = true;
    /* Delivered packets never exceed SIM_PACKET_MAX, so a router can always forward them. */
    size_t cap = p->cap < SIM_PACKET_MAX ? p->cap : SIM_PACKET_MAX;
    struct sim_mb_packet mp = {.data = p->data,
                               .len = p->len,
                               .cap = cap,
                               .now = now,
                               .sent_at = p->sent_at,
                               .link = l,
                               .rng = &l->rng[SIM_STREAM_MB]};
    struct sim_verdict v = l->mb(l->mb_user, &mp);
    if (mp.len == 0 || mp.len > cap)
        v = sim_verdict_drop(); /* a hook that breaks the length bound loses the packet */
    else
        p->len = mp.len;
    if (!l->up)
        v = sim_verdict_drop(); /* the hook took its own link down */
    switch (v.kind) {
    case SIM_VERDICT_PASS:
        return true;
    case SIM_VERDICT_DELAY: {
        if (v.delay_ns == 0)
            return true;
        l->c.middlebox_delayed_packets++;
        uint64_t extra = v.delay_ns < SIM_LINK_MAX_DELAY_NS ? v.delay_ns : SIM_LINK_MAX_DELAY_NS;
        sim_link_fly(l, p, sim_time_add(now, extra));
        return false;
    }
    case SIM_VERDICT_DROP:
    default:
        sim_link_drop(l, p, l->up ? SIM_DROP_MIDDLEBOX : SIM_DROP_DOWN);
        return false;
    }
}

static void sim_link_arrive(struct sim_timer *t, uint64_t now)
{
    struct sim_packet *p = SIM_CONTAINER_OF(t, struct sim_packet, timer);
    struct sim_link *l = p->link;
    sim_flight_remove(l, p);
    if (l->mb != NULL && !p->hooked && !sim_link_middlebox(l, p, now))
        return;
    l->c.delivered_packets++;
    l->c.delivered_bytes += p->len;
    l->c.delay_sum_ns += now - p->sent_at;
    sim_link_emit(l, SIM_TRACE_DELIVER, SIM_DROP_NONE, p->data, p->len, p->sent_at);
    sim_node_deliver(l->to, l->to_if, p->data, p->len, now);
    free(p);
}

/* ---- transmitter and queue ------------------------------------------------------------ */

static void sim_link_start_tx(struct sim_link *l, struct sim_packet *p, uint64_t now)
{
    uint64_t done = sim_time_add(now, sim_link_serialisation_ns(p->len, l->cfg.rate_bps));
    int rc = sim_queue_schedule(sim_world_queue(l->world), &l->tx_timer, done);
    if (rc != UMPTCP_OK) {
        sim_world_fail(l->world, rc);
        free(p);
        return;
    }
    l->tx_pkt = p;
}

static struct sim_packet *sim_link_dequeue(struct sim_link *l)
{
    struct sim_packet *p = l->q_head;
    if (p == NULL)
        return NULL;
    l->q_head = p->next;
    if (l->q_head == NULL)
        l->q_tail = NULL;
    p->next = NULL;
    l->q_bytes -= p->len;
    l->q_packets--;
    return p;
}

/* Moves waiting packets to the transmitter (or straight to the wire at unlimited rate). */
static void sim_link_pull_queue(struct sim_link *l, uint64_t now)
{
    while (l->tx_pkt == NULL && l->q_head != NULL) {
        struct sim_packet *p = sim_link_dequeue(l);
        if (l->cfg.rate_bps == 0)
            sim_link_launch(l, p, now);
        else
            sim_link_start_tx(l, p, now);
    }
}

static void sim_link_tx_done(struct sim_timer *t, uint64_t now)
{
    struct sim_link *l = SIM_CONTAINER_OF(t, struct sim_link, tx_timer);
    struct sim_packet *p = l->tx_pkt;
    l->tx_pkt = NULL;
    sim_link_launch(l, p, now);
    sim_link_pull_queue(l, now);
}

static void sim_link_enqueue(struct sim_link *l, struct sim_packet *p)
{
    if (l->q_bytes + p->len > l->cfg.queue_limit_bytes) {
        sim_link_drop(l, p, SIM_DROP_QUEUE); /* drop-tail */
        return;
    }
    if (l->q_tail != NULL)
        l->q_tail->next = p;
    else
        l->q_head = p;
    l->q_tail = p;
    l->q_bytes += p->len;
    l->q_packets++;
    if (l->q_bytes > l->c.queue_high_water_bytes)
        l->c.queue_high_water_bytes = l->q_bytes;
    if (l->q_packets > l->c.queue_high_water_packets)
        l->c.queue_high_water_packets = l->q_packets;
}

int sim_link_transmit(struct sim_link *l, const uint8_t *pkt, size_t len)
{
    uint64_t now = sim_world_now(l->world);
    struct sim_packet *p = NULL;
    if (l->up) {
        p = sim_packet_new(l, pkt, len, now);
        if (p == NULL)
            return UMPTCP_ERR_NOMEM;
    }
    l->c.sent_packets++;
    l->c.sent_bytes += len;
    sim_link_emit(l, SIM_TRACE_SEND, SIM_DROP_NONE, pkt, len, now);
    if (sim_world_pcap(l->world) != NULL)
        umptcp_pcap_write(sim_world_pcap(l->world), now, pkt, len);
    if (p == NULL) {
        sim_link_count_drop(l, SIM_DROP_DOWN, pkt, len, now);
        return UMPTCP_OK;
    }
    if (l->tx_pkt == NULL && l->q_head == NULL) {
        if (l->cfg.rate_bps == 0)
            sim_link_launch(l, p, now);
        else
            sim_link_start_tx(l, p, now);
    } else {
        sim_link_enqueue(l, p);
    }
    return UMPTCP_OK;
}

/* ---- life cycle and control ----------------------------------------------------------- */

int sim_link_new(struct sim_link **out, struct sim_world *w, const char *name,
                 struct sim_node *from, int from_if, struct sim_node *to, int to_if,
                 const struct sim_link_config *cfg)
{
    if (out == NULL)
        return UMPTCP_ERR_INVAL;
    *out = NULL;
    struct sim_link_config defaults;
    sim_link_config_init(&defaults);
    if (cfg == NULL)
        cfg = &defaults;
    if (w == NULL || from == NULL || to == NULL || from->world != w || to->world != w ||
        !sim_name_valid(name) || sim_link_config_check(cfg) != UMPTCP_OK)
        return UMPTCP_ERR_INVAL;
    struct sim_iface *src = sim_node_iface(from, from_if);
    if (src == NULL || sim_node_iface(to, to_if) == NULL)
        return UMPTCP_ERR_NOTFOUND;
    if (src->out != NULL)
        return UMPTCP_ERR_EXISTS;
    struct sim_link *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return UMPTCP_ERR_NOMEM;
    l->world = w;
    snprintf(l->name, sizeof(l->name), "%s", name);
    l->from = from, l->from_if = from_if;
    l->to = to, l->to_if = to_if;
    l->cfg = *cfg;
    l->up = true;
    sim_timer_init(&l->tx_timer, sim_link_tx_done);
    char label[SIM_NAME_MAX + 8];
    snprintf(label, sizeof(label), "link/%s", name);
    for (int i = 0; i < 4; i++)
        sim_rng_seed_stream(&l->rng[i], sim_world_seed(w), label, (uint64_t)i);
    int rc = sim_world_add_link(w, l);
    if (rc != UMPTCP_OK) {
        free(l);
        return rc;
    }
    src->out = l;
    *out = l;
    return UMPTCP_OK;
}

static void sim_packet_free_list(struct sim_packet *p)
{
    while (p != NULL) {
        struct sim_packet *next = p->next;
        free(p);
        p = next;
    }
}

void sim_link_destroy(struct sim_link *l)
{
    free(l->tx_pkt);
    sim_packet_free_list(l->q_head);
    sim_packet_free_list(l->flight);
    free(l);
}

void sim_link_set_up(struct sim_link *l, bool up)
{
    if (up) {
        l->up = true;
        return;
    }
    if (!l->up)
        return;
    l->up = false;
    struct sim_queue *q = sim_world_queue(l->world);
    if (l->tx_pkt != NULL) {
        sim_queue_cancel(q, &l->tx_timer);
        sim_link_drop(l, l->tx_pkt, SIM_DROP_DOWN);
        l->tx_pkt = NULL;
    }
    struct sim_packet *p;
    while ((p = sim_link_dequeue(l)) != NULL)
        sim_link_drop(l, p, SIM_DROP_DOWN);
    while ((p = l->flight) != NULL) {
        sim_flight_remove(l, p);
        sim_queue_cancel(q, &p->timer);
        sim_link_drop(l, p, SIM_DROP_DOWN);
    }
}

int sim_link_configure(struct sim_link *l, const struct sim_link_config *cfg)
{
    int rc = sim_link_config_check(cfg);
    if (rc == UMPTCP_OK)
        l->cfg = *cfg;
    return rc;
}

int sim_link_set_rate(struct sim_link *l, uint64_t rate_bps)
{
    struct sim_link_config c = l->cfg;
    c.rate_bps = rate_bps;
    return sim_link_configure(l, &c);
}

int sim_link_set_delay(struct sim_link *l, uint64_t delay_ns)
{
    struct sim_link_config c = l->cfg;
    c.delay_ns = delay_ns;
    return sim_link_configure(l, &c);
}

int sim_link_set_loss(struct sim_link *l, double loss)
{
    struct sim_link_config c = l->cfg;
    c.loss = loss;
    return sim_link_configure(l, &c);
}

void sim_link_set_middlebox(struct sim_link *l, sim_middlebox_fn fn, void *user)
{
    l->mb = fn;
    l->mb_user = user;
}

const struct sim_link_config *sim_link_config(const struct sim_link *l)
{
    return &l->cfg;
}
bool sim_link_is_up(const struct sim_link *l)
{
    return l->up;
}
const struct sim_link_counters *sim_link_counters(const struct sim_link *l)
{
    return &l->c;
}
size_t sim_link_queue_bytes(const struct sim_link *l)
{
    return l->q_bytes;
}
size_t sim_link_queue_packets(const struct sim_link *l)
{
    return l->q_packets;
}
size_t sim_link_packets_inside(const struct sim_link *l)
{
    return (l->tx_pkt != NULL) + l->q_packets + l->flight_packets;
}
const char *sim_link_name(const struct sim_link *l)
{
    return l->name;
}
struct sim_node *sim_link_from(const struct sim_link *l)
{
    return l->from;
}
int sim_link_from_ifindex(const struct sim_link *l)
{
    return l->from_if;
}
struct sim_node *sim_link_to(const struct sim_link *l)
{
    return l->to;
}
int sim_link_to_ifindex(const struct sim_link *l)
{
    return l->to_if;
}
