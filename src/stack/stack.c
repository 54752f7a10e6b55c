/* The stack object: configuration, callbacks, local addresses, counters, and the input path
 * from raw IP packets to the TCP layer. */
#include "stack/stack_internal.h"

#include "umptcp/error.h"
#include "wire/tcp.h"

#include <stdlib.h>
#include <string.h>

#define NS_PER_MS 1000000ull

void umptcp_config_init(umptcp_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->sndbuf = 4u << 20;
    cfg->rcvbuf = 128u << 10;
    cfg->rcvbuf_max = 16u << 20;
    cfg->max_ooo_ranges = 256;
    cfg->max_conns = 1024;
    cfg->backlog = 64;
    cfg->mtu = 1500;
    cfg->time_wait_ns = 60000 * NS_PER_MS;
    cfg->rto_min_ns = 200 * NS_PER_MS;
    cfg->rto_max_ns = 60000 * NS_PER_MS;
    cfg->rto_initial_ns = 1000 * NS_PER_MS;
    cfg->delack_ns = 40 * NS_PER_MS;
    cfg->syn_retries = 6;
    cfg->data_retries = 15;
    cfg->nagle = true;
    cfg->sack = true;
    cfg->timestamps = true;
    cfg->window_scaling = true;
    cfg->cc = "cubic";
    cfg->hystart = true;
}

static int stack_env_output(void *ctx, int ifindex, const struct wire_segment_spec *spec);

int umptcp_stack_new(umptcp_stack **out, const umptcp_config *cfg, const umptcp_callbacks *cb,
                     void *user)
{
    if (out == NULL)
        return UMPTCP_ERR_INVAL;
    *out = NULL;
    if (cb == NULL || cb->send == NULL || cb->random == NULL)
        return UMPTCP_ERR_INVAL;
    umptcp_stack *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return UMPTCP_ERR_NOMEM;
    if (cfg != NULL)
        s->cfg = *cfg;
    else
        umptcp_config_init(&s->cfg);
    s->cb = *cb;
    s->user = user;
    cc_registry_init(&s->cc);
    mptcp_pm_registry_init(&s->pm);
    mptcp_sched_registry_init(&s->sched);
    mptcp_token_init(&s->tokens, s->cfg.max_conns, 16);
    if (s->cfg.cc == NULL || cc_registry_find(&s->cc, s->cfg.cc) == NULL) {
        free(s);
        return UMPTCP_ERR_INVAL;
    }
    s->env.output = stack_env_output;
    s->env.ctx = s;
    s->env.cfg = &s->cfg;
    s->env.mib = &s->mib;
    s->env.scratch = s->scratch;
    /* RFC 6528: the ISN secret, from the caller's randomness (reproducible when seeded). */
    s->cb.random(s->user, s->isn_secret, sizeof(s->isn_secret));
    *out = s;
    return UMPTCP_OK;
}

void umptcp_stack_free(umptcp_stack *s)
{
    if (s == NULL)
        return;
    stack_conn_free_all(s);
    mptcp_token_destroy(&s->tokens);
    free(s);
}

/* ---- local addresses ------------------------------------------------------------------ */

static struct stack_iface *stack_iface_find(umptcp_stack *s, int ifindex)
{
    for (size_t i = 0; i < UMPTCP_MAX_INTERFACES; i++)
        if (s->ifaces[i].ifindex == ifindex)
            return &s->ifaces[i];
    return NULL;
}

int stack_addr_ifindex(const umptcp_stack *s, const umptcp_addr *addr)
{
    for (size_t i = 0; i < UMPTCP_MAX_INTERFACES; i++)
        for (size_t j = 0; j < s->ifaces[i].naddrs; j++)
            if (umptcp_addr_equal(&s->ifaces[i].addrs[j], addr))
                return s->ifaces[i].ifindex;
    return 0;
}

bool stack_addr_is_local(const umptcp_stack *s, const umptcp_addr *addr)
{
    return stack_addr_ifindex(s, addr) != 0;
}

static bool stack_addr_id_used(const umptcp_stack *s, uint8_t id)
{
    for (size_t i = 0; i < UMPTCP_MAX_INTERFACES; i++)
        for (size_t j = 0; j < s->ifaces[i].naddrs; j++)
            if (s->ifaces[i].ids[j] == id)
                return true;
    return false;
}

/* RFC 8684 3.4.1: an address ID names one address for a connection's lifetime, so IDs are
 * not reused while others are free: 1..255 in turn (0 is the initial subflow's), skipping the
 * ones in use (at most 128 addresses exist, so one turn finds a free ID). */
static uint8_t stack_addr_new_id(umptcp_stack *s)
{
    for (unsigned i = 0; i < 255; i++) {
        s->next_addr_id = (uint8_t)(s->next_addr_id % 255 + 1);
        if (!stack_addr_id_used(s, s->next_addr_id))
            break;
    }
    return s->next_addr_id;
}

int umptcp_stack_add_address(umptcp_stack *s, int ifindex, const umptcp_addr *addr)
{
    if (s == NULL || addr == NULL || ifindex <= 0 || umptcp_addr_len(addr) == 0)
        return UMPTCP_ERR_INVAL;
    if (stack_addr_is_local(s, addr))
        return UMPTCP_ERR_EXISTS;
    struct stack_iface *ifc = stack_iface_find(s, ifindex);
    if (ifc == NULL) {
        ifc = stack_iface_find(s, 0);
        if (ifc == NULL)
            return UMPTCP_ERR_NOMEM;
        ifc->ifindex = ifindex;
    }
    if (ifc->naddrs == UMPTCP_MAX_IFACE_ADDRS)
        return UMPTCP_ERR_NOMEM;
    struct pm_local_addr a = {.addr = *addr, .ifindex = ifindex, .id = stack_addr_new_id(s)};
    ifc->ids[ifc->naddrs] = a.id;
    ifc->backup[ifc->naddrs] = false;
    ifc->addrs[ifc->naddrs++] = *addr;
    stack_enter(s);
    conn_mptcp_local_addr_added(s, &a);
    stack_leave(s);
    return UMPTCP_OK;
}

bool stack_addr_is_backup(const umptcp_stack *s, const umptcp_addr *addr)
{
    for (size_t i = 0; i < UMPTCP_MAX_INTERFACES; i++)
        for (size_t j = 0; j < s->ifaces[i].naddrs; j++)
            if (umptcp_addr_equal(&s->ifaces[i].addrs[j], addr))
                return s->ifaces[i].backup[j];
    return false;
}

int umptcp_stack_remove_address(umptcp_stack *s, const umptcp_addr *addr)
{
    if (s == NULL || addr == NULL)
        return UMPTCP_ERR_INVAL;
    for (size_t i = 0; i < UMPTCP_MAX_INTERFACES; i++) {
        struct stack_iface *ifc = &s->ifaces[i];
        for (size_t j = 0; j < ifc->naddrs; j++) {
            if (!umptcp_addr_equal(&ifc->addrs[j], addr))
                continue;
            struct pm_local_addr a = {.addr = *addr, .ifindex = ifc->ifindex, .id = ifc->ids[j]};
            stack_enter(s);
            conn_mptcp_local_addr_removed(s, &a);
            stack_leave(s);
            --ifc->naddrs;
            ifc->addrs[j] = ifc->addrs[ifc->naddrs];
            ifc->ids[j] = ifc->ids[ifc->naddrs];
            ifc->backup[j] = ifc->backup[ifc->naddrs];
            if (ifc->naddrs == 0)
                ifc->ifindex = 0;
            return UMPTCP_OK;
        }
    }
    return UMPTCP_ERR_NOTFOUND;
}

/* ---- input ------------------------------------------------------------------------------ */

/* Which counter a parse failure goes to. */
static enum mib_counter stack_parse_error_counter(int err, bool ip_ok)
{
    switch (err) {
    case UMPTCP_ERR_PROTO:
        return MIB_IP_IN_UNKNOWN_PROTOS;
    case UMPTCP_ERR_UNSUPPORTED:
        return MIB_IP_IN_UNSUPPORTED;
    case UMPTCP_ERR_BAD_CHECKSUM:
        return ip_ok ? MIB_TCP_IN_CSUM_ERRORS : MIB_IP_IN_HDR_ERRORS;
    default:
        return ip_ok ? MIB_TCP_IN_ERRS : MIB_IP_IN_HDR_ERRORS;
    }
}

void stack_clock(umptcp_stack *s, uint64_t now)
{
    if (now > s->now)
        s->now = now;
}

int umptcp_stack_input(umptcp_stack *s, int ifindex, const uint8_t *pkt, size_t len, uint64_t now)
{
    if (s == NULL || (pkt == NULL && len > 0))
        return UMPTCP_ERR_INVAL;
    stack_clock(s, now);
    mib_inc(&s->mib, MIB_IP_IN_RECEIVES);
    struct wire_segment seg;
    int rc = wire_segment_parse(pkt, len, &seg);
    if (rc != UMPTCP_OK) {
        struct wire_ip_hdr ip;
        mib_inc(&s->mib, stack_parse_error_counter(rc, wire_ip_parse(pkt, len, &ip) == 0));
        return rc;
    }
    if (!stack_addr_is_local(s, &seg.ip.dst)) {
        mib_inc(&s->mib, MIB_IP_IN_ADDR_ERRORS);
        return UMPTCP_ERR_NOTFOUND;
    }
    mib_inc(&s->mib, MIB_TCP_IN_SEGS);
    stack_enter(s);
    if (!stack_conn_input(s, ifindex, &seg, now)) {
        mib_inc(&s->mib, MIB_TCP_IN_NO_SOCKET);
        stack_reply_no_socket(s, ifindex, &seg);
    }
    stack_leave(s);
    return UMPTCP_OK;
}

uint64_t umptcp_stack_next_timeout(const umptcp_stack *s)
{
    return s == NULL ? UMPTCP_TIME_NEVER : stack_conn_next_timeout(s);
}

void umptcp_stack_on_timeout(umptcp_stack *s, uint64_t now)
{
    if (s == NULL)
        return;
    stack_clock(s, now);
    stack_enter(s);
    stack_conn_on_timeout(s, now);
    stack_leave(s);
}

/* ---- output ----------------------------------------------------------------------------- */

static int stack_env_output(void *ctx, int ifindex, const struct wire_segment_spec *spec)
{
    return stack_emit(ctx, ifindex, spec);
}

int stack_emit(umptcp_stack *s, int ifindex, const struct wire_segment_spec *spec)
{
    size_t len = 0;
    int rc = wire_segment_build(spec, s->txbuf, sizeof(s->txbuf), &len);
    if (rc == UMPTCP_OK)
        rc = s->cb.send(s->user, ifindex, s->txbuf, len);
    if (rc != UMPTCP_OK) {
        mib_inc(&s->mib, MIB_IP_OUT_DISCARDS);
        return rc;
    }
    mib_inc(&s->mib, MIB_TCP_OUT_SEGS);
    if (spec->flags & WIRE_TCP_RST)
        mib_inc(&s->mib, MIB_TCP_OUT_RSTS);
    return UMPTCP_OK;
}

/* RFC 9293 3.10.7.1 (CLOSED): an incoming RST is discarded. Otherwise, if the ACK bit is off,
 * answer <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (SYN and FIN count in SEG.LEN); if it is
 * on, answer <SEQ=SEG.ACK><CTL=RST>. */
void stack_reply_no_socket(umptcp_stack *s, int ifindex, const struct wire_segment *seg)
{
    stack_reply_rst(s, ifindex, seg, NULL);
}

void stack_reply_rst(umptcp_stack *s, int ifindex, const struct wire_segment *seg,
                     const struct wire_tcp_options *opt)
{
    const struct wire_tcp_hdr *th = &seg->tcp;
    if (th->flags & WIRE_TCP_RST) {
        mib_inc(&s->mib, MIB_TCP_IN_NO_SOCKET_RST);
        return;
    }
    struct wire_segment_spec rst = {
        .src = {.addr = seg->ip.dst, .port = th->dport},
        .dst = {.addr = seg->ip.src, .port = th->sport},
        .opt = opt,
    };
    if (th->flags & WIRE_TCP_ACK) {
        rst.seq = th->ack;
        rst.flags = WIRE_TCP_RST;
    } else {
        uint32_t seg_len = (uint32_t)th->payload_len + ((th->flags & WIRE_TCP_SYN) ? 1u : 0u) +
                           ((th->flags & WIRE_TCP_FIN) ? 1u : 0u);
        rst.ack = th->seq + seg_len;
        rst.flags = WIRE_TCP_RST | WIRE_TCP_ACK;
    }
    stack_emit(s, ifindex, &rst);
}

/* ---- counters ---------------------------------------------------------------------------- */

size_t umptcp_stack_counters(const umptcp_stack *s, umptcp_counter *out, size_t max)
{
    for (size_t i = 0; i < MIB_COUNT && i < max && out != NULL; i++) {
        out[i].name = mib_name((enum mib_counter)i);
        out[i].value = s->mib.v[i];
    }
    return MIB_COUNT;
}

int umptcp_stack_counter(const umptcp_stack *s, const char *name, uint64_t *value)
{
    if (s == NULL || name == NULL || value == NULL)
        return UMPTCP_ERR_INVAL;
    for (size_t i = 0; i < MIB_COUNT; i++) {
        if (strcmp(mib_name((enum mib_counter)i), name) == 0) {
            *value = s->mib.v[i];
            return UMPTCP_OK;
        }
    }
    return UMPTCP_ERR_NOTFOUND;
}
