/* Nodes: interfaces and addresses, sending into links, delivery and the per-node timer. */
#include "sim/sim_internal.h"
#include "umptcp/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sim_node_timer_fire(struct sim_timer *t, uint64_t now)
{
    struct sim_node *n = SIM_CONTAINER_OF(t, struct sim_node, timer);
    n->ops->on_timeout(n, n->user, now);
    sim_node_refresh_timer(n);
}

static int sim_node_init(struct sim_node *n, struct sim_world *w, const char *name,
                         const struct sim_node_ops *ops, void *user)
{
    if (w == NULL || !sim_name_valid(name))
        return UMPTCP_ERR_INVAL;
    memset(n, 0, sizeof(*n));
    n->world = w;
    snprintf(n->name, sizeof(n->name), "%s", name);
    n->ops = ops;
    n->user = user;
    sim_timer_init(&n->timer, sim_node_timer_fire);
    char label[SIM_NAME_MAX + 8];
    snprintf(label, sizeof(label), "node/%s", name);
    sim_rng_seed_stream(&n->rng, sim_world_seed(w), label, 0);
    return sim_world_add_node(w, n);
}

int sim_host_new(struct sim_node **out, struct sim_world *w, const char *name,
                 const struct sim_node_ops *ops, void *user)
{
    if (out == NULL)
        return UMPTCP_ERR_INVAL;
    *out = NULL;
    struct sim_node *n = malloc(sizeof(*n));
    if (n == NULL)
        return UMPTCP_ERR_NOMEM;
    int rc = sim_node_init(n, w, name, ops, user);
    if (rc != UMPTCP_OK) {
        free(n);
        return rc;
    }
    *out = n;
    return UMPTCP_OK;
}

void sim_node_destroy(struct sim_node *n)
{
    if (n->ops != NULL && n->ops->destroy != NULL)
        n->ops->destroy(n, n->user);
    free(n->ifaces);
    free(n);
}

struct sim_iface *sim_node_iface(const struct sim_node *n, int ifindex)
{
    for (size_t i = 0; i < n->nifaces; i++)
        if (n->ifaces[i].ifindex == ifindex)
            return &n->ifaces[i];
    return NULL;
}

int sim_node_add_interface(struct sim_node *n, int ifindex)
{
    if (n == NULL || ifindex <= 0)
        return UMPTCP_ERR_INVAL;
    if (sim_node_iface(n, ifindex) != NULL)
        return UMPTCP_ERR_EXISTS;
    if (n->nifaces == n->cap_ifaces) {
        size_t cap = n->cap_ifaces ? n->cap_ifaces * 2 : 4;
        struct sim_iface *grown = realloc(n->ifaces, cap * sizeof(*grown));
        if (grown == NULL)
            return UMPTCP_ERR_NOMEM;
        n->ifaces = grown;
        n->cap_ifaces = cap;
    }
    struct sim_iface *ifc = &n->ifaces[n->nifaces++];
    memset(ifc, 0, sizeof(*ifc));
    ifc->ifindex = ifindex;
    return UMPTCP_OK;
}

int sim_node_add_address(struct sim_node *n, int ifindex, const umptcp_addr *addr)
{
    if (n == NULL || addr == NULL || umptcp_addr_len(addr) == 0)
        return UMPTCP_ERR_INVAL;
    struct sim_iface *ifc = sim_node_iface(n, ifindex);
    if (ifc == NULL) {
        int rc = sim_node_add_interface(n, ifindex);
        if (rc != UMPTCP_OK)
            return rc;
        ifc = sim_node_iface(n, ifindex);
    }
    if (ifc->naddrs == SIM_IFACE_MAX_ADDRS)
        return UMPTCP_ERR_NOSPACE;
    ifc->addrs[ifc->naddrs++] = *addr;
    return UMPTCP_OK;
}

size_t sim_node_interface_count(const struct sim_node *n)
{
    return n->nifaces;
}

int sim_node_interface_at(const struct sim_node *n, size_t i)
{
    return i < n->nifaces ? n->ifaces[i].ifindex : UMPTCP_ERR_NOTFOUND;
}

size_t sim_node_address_count(const struct sim_node *n, int ifindex)
{
    const struct sim_iface *ifc = sim_node_iface(n, ifindex);
    return ifc != NULL ? ifc->naddrs : 0;
}

const umptcp_addr *sim_node_address(const struct sim_node *n, int ifindex, size_t i)
{
    const struct sim_iface *ifc = sim_node_iface(n, ifindex);
    return ifc != NULL && i < ifc->naddrs ? &ifc->addrs[i] : NULL;
}

int sim_node_find_address(const struct sim_node *n, const umptcp_addr *addr)
{
    for (size_t i = 0; i < n->nifaces; i++)
        for (size_t j = 0; j < n->ifaces[i].naddrs; j++)
            if (umptcp_addr_equal(&n->ifaces[i].addrs[j], addr))
                return n->ifaces[i].ifindex;
    return UMPTCP_ERR_NOTFOUND;
}

struct sim_link *sim_node_link(const struct sim_node *n, int ifindex)
{
    const struct sim_iface *ifc = sim_node_iface(n, ifindex);
    return ifc != NULL ? ifc->out : NULL;
}

void sim_node_trace_drop(struct sim_node *n, int ifindex, enum sim_drop_reason why,
                         const uint8_t *pkt, size_t len)
{
    uint64_t now = sim_world_now(n->world);
    struct sim_trace ev = {.kind = SIM_TRACE_DROP,
                           .reason = why,
                           .now = now,
                           .node = n,
                           .ifindex = ifindex,
                           .sent_at = now,
                           .pkt = pkt,
                           .len = len};
    sim_world_emit(n->world, &ev);
}

int sim_node_send(struct sim_node *n, int ifindex, const uint8_t *pkt, size_t len)
{
    if (n == NULL || pkt == NULL || len == 0 || len > SIM_PACKET_MAX)
        return UMPTCP_ERR_INVAL;
    struct sim_iface *ifc = sim_node_iface(n, ifindex);
    if (ifc == NULL)
        return UMPTCP_ERR_NOTFOUND;
    struct sim_link *out = ifc->out;
    n->counters.tx_packets++;
    n->counters.tx_bytes += len;
    if (n->pcap != NULL)
        umptcp_pcap_write(n->pcap, sim_world_now(n->world), pkt, len);
    if (out == NULL) {
        n->counters.tx_no_link++;
        sim_node_trace_drop(n, ifindex, SIM_DROP_NO_LINK, pkt, len);
        return UMPTCP_OK;
    }
    return sim_link_transmit(out, pkt, len);
}

void sim_node_deliver(struct sim_node *n, int ifindex, const uint8_t *pkt, size_t len, uint64_t now)
{
    n->counters.rx_packets++;
    n->counters.rx_bytes += len;
    if (n->pcap != NULL)
        umptcp_pcap_write(n->pcap, now, pkt, len);
    if (n->ops != NULL && n->ops->receive != NULL) {
        n->ops->receive(n, n->user, ifindex, pkt, len, now);
        sim_node_refresh_timer(n);
    }
}

void sim_node_refresh_timer(struct sim_node *n)
{
    struct sim_queue *q = sim_world_queue(n->world);
    uint64_t when = SIM_TIME_NEVER;
    if (n->ops != NULL && n->ops->next_timeout != NULL && n->ops->on_timeout != NULL)
        when = n->ops->next_timeout(n, n->user);
    if (when == SIM_TIME_NEVER) {
        sim_queue_cancel(q, &n->timer);
        return;
    }
    if (when < q->now)
        when = q->now;
    if (sim_timer_pending(&n->timer) && n->timer.when == when)
        return; /* unchanged: keep its place among equal-time events */
    int rc = sim_queue_schedule(q, &n->timer, when);
    if (rc != UMPTCP_OK)
        sim_world_fail(n->world, rc);
}

struct sim_rng *sim_node_rng(struct sim_node *n)
{
    return &n->rng;
}
void sim_node_set_pcap(struct sim_node *n, umptcp_pcap *pcap)
{
    n->pcap = pcap;
}
const char *sim_node_name(const struct sim_node *n)
{
    return n->name;
}
void *sim_node_user(const struct sim_node *n)
{
    return n->user;
}
struct sim_world *sim_node_world(const struct sim_node *n)
{
    return n->world;
}
const struct sim_node_counters *sim_node_counters(const struct sim_node *n)
{
    return &n->counters;
}
