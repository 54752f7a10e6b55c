/* The MPTCP side of the stack's connections: the data level's events to the application, the
 * initial subflow, MP_JOIN subflows (opened by the path manager, or the peer's join SYNs), the
 * host services a path manager uses (local addresses, opening subflows), and local address
 * changes reaching every connection. RFC 8684 3.1, 3.2, 3.4. */
#include "stack/stack_internal.h"

#include "mptcp/mptcp_conn.h"
#include "mptcp/mptcp_join.h"
#include "stack/conn_opts.h"
#include "umptcp/error.h"
#include "umptcp/pm.h"
#include "wire/tcp.h"

/* ---- the data level's events --------------------------------------------------------------- */

static void conn_mp_established(struct mptcp_conn *mc, uint64_t now)
{
    umptcp_conn *c = mc->owner;
    if (!mc->fallback)
        mptcp_pm_established(&c->pm, now);
    conn_ev_established(c);
}

static void conn_mp_readable(struct mptcp_conn *mc, uint64_t now)
{
    (void)now;
    conn_ev_readable(mc->owner);
}

static void conn_mp_writable(struct mptcp_conn *mc, uint64_t now)
{
    (void)now;
    conn_ev_writable(mc->owner);
}

static void conn_mp_peer_closed(struct mptcp_conn *mc, uint64_t now)
{
    (void)now;
    conn_ev_peer_closed(mc->owner);
}

static void conn_mp_closed(struct mptcp_conn *mc, int reason, uint64_t now)
{
    (void)now;
    conn_ev_closed(mc->owner, reason);
}

static void conn_mp_join_ready(struct mptcp_conn *mc, uint64_t now)
{
    umptcp_conn *c = mc->owner;
    mptcp_pm_join_ready(&c->pm, now);
}

static void conn_mp_addr_announced(struct mptcp_conn *mc, uint8_t id, const umptcp_addr *addr,
                                   uint16_t port, uint64_t now)
{
    umptcp_conn *c = mc->owner;
    struct mptcp_remote_addr r = {.id = id, .addr = *addr, .port = port};
    mptcp_pm_addr_announced(&c->pm, &r, now);
}

static void conn_mp_addr_removed(struct mptcp_conn *mc, uint8_t id, uint64_t now)
{
    umptcp_conn *c = mc->owner;
    mptcp_pm_addr_removed(&c->pm, id, now);
}

static const struct mptcp_conn_ops conn_mptcp_ops = {
    .established = conn_mp_established,
    .readable = conn_mp_readable,
    .writable = conn_mp_writable,
    .peer_closed = conn_mp_peer_closed,
    .closed = conn_mp_closed,
    .join_ready = conn_mp_join_ready,
    .addr_announced = conn_mp_addr_announced,
    .addr_removed = conn_mp_addr_removed,
};

/* ---- address IDs --------------------------------------------------------------------------- */

/* The address ID a connection gives a local address (RFC 8684 3.2): 0 for its initial
 * subflow's, else the stable ID the stack gave the address. */
static uint8_t conn_local_addr_id(const umptcp_conn *c, const umptcp_addr *addr)
{
    if (umptcp_addr_equal(&c->sk->local.addr, addr))
        return 0;
    const umptcp_stack *s = c->stack;
    for (size_t i = 0; i < UMPTCP_MAX_INTERFACES; i++)
        for (size_t j = 0; j < s->ifaces[i].naddrs; j++)
            if (umptcp_addr_equal(&s->ifaces[i].addrs[j], addr))
                return s->ifaces[i].ids[j];
    return 0;
}

/* ---- the path manager's host services ------------------------------------------------------ */

static size_t conn_pm_local_addrs(void *ctx, struct pm_local_addr *out, size_t max)
{
    const umptcp_conn *c = ctx;
    const umptcp_stack *s = c->stack;
    size_t n = 0;
    for (size_t i = 0; i < UMPTCP_MAX_INTERFACES; i++) {
        for (size_t j = 0; j < s->ifaces[i].naddrs && n < max; j++, n++) {
            out[n].addr = s->ifaces[i].addrs[j];
            out[n].ifindex = s->ifaces[i].ifindex;
            out[n].id = conn_local_addr_id(c, &out[n].addr);
            out[n].backup = s->ifaces[i].backup[j];
        }
    }
    return n;
}

/* A socket for a new MP_JOIN subflow of c between local and remote. */
static struct tcp_sock *conn_join_sock(umptcp_conn *c, const umptcp_sockaddr *local,
                                       const umptcp_sockaddr *remote, int ifindex, bool backup,
                                       uint64_t now, struct mptcp_subflow **sf_out)
{
    umptcp_stack *s = c->stack;
    uint32_t nonce;
    s->cb.random(s->user, (uint8_t *)&nonce, sizeof(nonce));
    struct mptcp_subflow *sf =
        mptcp_conn_new_join_subflow(c->mp, conn_local_addr_id(c, &local->addr), nonce, backup);
    if (sf == NULL)
        return NULL;
    struct tcp_sock_params p = {
        .local = *local,
        .remote = *remote,
        .ifindex = ifindex,
        .cc = c->sk->cc.ops,
        .rcvbuf = s->cfg.rcvbuf_max,
        .nodelay = !c->sk->nagle,
        .isn_secret = s->isn_secret,
        .isn_secret_len = sizeof(s->isn_secret),
    };
    struct tcp_sock *sk = tcp_sock_new(&s->env, &p, &mptcp_subflow_tcp_ops, sf, now);
    if (sk == NULL) {
        sf->closed = true; /* stays in the array, never used */
        return NULL;
    }
    mptcp_conn_set_subflow_sock(sf, sk);
    if (c->app_closed) /* like the subflows umptcp_conn_close orphaned */
        tcp_sock_orphan(sk, now);
    *sf_out = sf;
    return sk;
}

static int conn_pm_open_subflow(void *ctx, const struct pm_local_addr *local,
                                const umptcp_sockaddr *remote, uint64_t now)
{
    umptcp_conn *c = ctx;
    umptcp_sockaddr from = {.addr = local->addr};
    int rc = conn_pick_port(c->stack, &from, remote);
    if (rc != UMPTCP_OK)
        return rc;
    struct mptcp_subflow *sf = NULL;
    struct tcp_sock *sk = conn_join_sock(c, &from, remote, local->ifindex, local->backup, now, &sf);
    if (sk == NULL)
        return UMPTCP_ERR_NOMEM;
    tcp_sock_connect(sk, now);
    return UMPTCP_OK;
}

static const struct mptcp_pm_host conn_pm_host = {
    .local_addrs = conn_pm_local_addrs,
    .open_subflow = conn_pm_open_subflow,
};

void conn_mptcp_reap_subflows(umptcp_conn *c)
{
    struct mptcp_conn *mc = c->mp;
    if (mc == NULL || mc->nsub < MPTCP_MAX_SUBFLOWS)
        return;
    for (unsigned i = mc->nsub; i-- > 1;) {
        if (!mptcp_conn_subflow_done(mc, i))
            continue;
        tcp_sock_free(mc->sub[i]->sk);
        mptcp_conn_drop_subflow(mc, i);
    }
}

/* ---- the initial subflow --------------------------------------------------------------------- */

struct tcp_sock *conn_mptcp_new(umptcp_stack *s, umptcp_conn *c, struct tcp_sock_params *p,
                                const umptcp_conn_opts *opts, bool passive, uint64_t now)
{
    const struct mptcp_pm_ops *pm = conn_pm_find(s, opts);
    if (pm == NULL)
        return NULL;
    c->mp = mptcp_conn_new(&s->cfg, &s->mib, &s->tokens, s->cb.random, s->user, !passive,
                           opts->mptcp_checksum, &conn_mptcp_ops, c);
    if (c->mp == NULL)
        return NULL;
    if (opts->max_subflows != 0 && opts->max_subflows < MPTCP_MAX_SUBFLOWS)
        c->mp->max_subflows = opts->max_subflows;
    stack_conn_sched_apply(s, c->mp, opts);
    struct mptcp_subflow *sf = mptcp_conn_new_subflow(c->mp, true);
    if (sf == NULL)
        return NULL;
    /* From a backup address (umptcp_stack_set_backup): marked locally, for our scheduler;
     * umptcp_conn_set_backup would tell the peer with MP_PRIO (RFC 8684 3.3.8). */
    sf->backup = stack_addr_is_backup(s, &p->local.addr);
    p->rcvbuf = s->cfg.rcvbuf_max;
    struct tcp_sock *sk = tcp_sock_new(&s->env, p, &mptcp_subflow_tcp_ops, sf, now);
    mptcp_conn_set_subflow_sock(sf, sk);
    if (sk != NULL)
        mptcp_pm_init(&c->pm, pm, &conn_pm_host, c, c->mp);
    return sk;
}

const struct mptcp_pm_ops *conn_pm_find(const umptcp_stack *s, const umptcp_conn_opts *opts)
{
    const char *name = opts != NULL && opts->pm != NULL ? opts->pm : MPTCP_PM_DEFAULT_NAME;
    return mptcp_pm_registry_find(&s->pm, name);
}

/* ---- the peer's joins --------------------------------------------------------------------------
 */

/* A join we cannot take: RFC 8684 3.6, a RST with MP_TCPRST "administratively prohibited"
 * (0x03) over the subflow limit, "lack of resources" (0x02) without memory; transient both
 * (the limit frees up when a subflow closes). */
static void conn_mptcp_reject_join(umptcp_stack *s, int ifindex, const struct wire_segment *seg,
                                   const struct mptcp_conn *mc)
{
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_TCPRST};
    bool limit = mptcp_conn_live_subflows(mc) >= mc->max_subflows;
    o.u.tcprst.reason = limit ? WIRE_TCPRST_PROHIBITED : WIRE_TCPRST_NO_RESOURCES;
    o.u.tcprst.flags = WIRE_TCPRST_FLAG_T;
    uint8_t buf[WIRE_MPTCP_MAX_LEN];
    int n = wire_mptcp_write(&o, buf, sizeof(buf));
    struct wire_tcp_options opt = {.mptcp_count = 1};
    opt.mptcp[0].data = buf;
    opt.mptcp[0].len = (uint8_t)n;
    if (limit)
        mib_inc(&s->mib, MIB_MPTCP_JOIN_REJECTED);
    mib_inc(&s->mib, MIB_MPTCP_RST_TX);
    stack_reply_rst(s, ifindex, seg, n > 0 ? &opt : NULL);
}

/* RFC 8684 3.2: an MP_JOIN SYN names its connection by token, whatever the port. Returns
 * false when the segment is not a join SYN; a join SYN for no connection is answered with a
 * RST by the caller (counted). */
bool conn_mptcp_join_input(umptcp_stack *s, int ifindex, const struct wire_segment *seg,
                           uint64_t now, bool *handled)
{
    uint32_t token;
    *handled = false;
    if ((seg->tcp.flags & (WIRE_TCP_SYN | WIRE_TCP_ACK | WIRE_TCP_RST)) != WIRE_TCP_SYN ||
        !mptcp_join_syn_token(seg, &token))
        return false;
    struct mptcp_conn *mc = mptcp_token_lookup(&s->tokens, token);
    umptcp_conn *c = mc != NULL ? mc->owner : NULL;
    if (c == NULL || c->dead || !mptcp_conn_join_ready_passive(mc)) {
        mib_inc(&s->mib, MIB_MPTCP_JOIN_NO_TOKEN);
        return true; /* not handled: the caller resets */
    }
    umptcp_sockaddr local = {.addr = seg->ip.dst, .port = seg->tcp.dport};
    umptcp_sockaddr remote = {.addr = seg->ip.src, .port = seg->tcp.sport};
    bool backup = stack_addr_is_backup(s, &local.addr);
    struct mptcp_subflow *sf = NULL;
    struct tcp_sock *sk = conn_join_sock(c, &local, &remote, ifindex, backup, now, &sf);
    *handled = true;
    if (sk == NULL)
        conn_mptcp_reject_join(s, ifindex, seg, mc);
    if (sk == NULL)
        return true;
    mptcp_join_accept_syn(sf, seg);
    tcp_sock_accept_syn(sk, seg, now);
    return true;
}

/* ---- local address changes ------------------------------------------------------------------ */

/* The MPTCP connections an address change concerns: open, not fallen back. */
static bool conn_mptcp_live(const umptcp_conn *c)
{
    return !c->dead && c->mp != NULL && !c->mp->fallback && !c->mp->closed;
}

void conn_mptcp_local_addr_added(umptcp_stack *s, const struct pm_local_addr *a)
{
    for (umptcp_conn *c = s->conns; c != NULL; c = c->next)
        if (conn_mptcp_live(c))
            mptcp_pm_local_addr_added(&c->pm, a, s->now);
}

void conn_mptcp_local_addr_removed(umptcp_stack *s, const struct pm_local_addr *a)
{
    for (umptcp_conn *c = s->conns; c != NULL; c = c->next) {
        if (!conn_mptcp_live(c))
            continue;
        struct pm_local_addr mine = *a;
        mine.id = conn_local_addr_id(c, &a->addr);
        mptcp_conn_remove_local(c->mp, &a->addr, mine.id, s->now);
        mptcp_pm_local_addr_removed(&c->pm, &mine, s->now);
    }
}

/* ---- backup priority and reset reasons (include/umptcp/pm.h) -------------------------------- */

int umptcp_conn_set_backup(umptcp_conn *c, const umptcp_addr *local, bool backup, uint64_t now)
{
    if (c == NULL)
        return UMPTCP_ERR_INVAL;
    if (c->mp == NULL || c->mp->fallback)
        return UMPTCP_ERR_STATE;
    stack_enter(c->stack);
    stack_clock(c->stack, now);
    int n = (int)mptcp_conn_set_backup(c->mp, local, backup, now);
    stack_leave(c->stack);
    return n;
}

int umptcp_stack_set_backup(umptcp_stack *s, const umptcp_addr *addr, bool backup)
{
    if (s == NULL || addr == NULL)
        return UMPTCP_ERR_INVAL;
    bool found = false;
    for (size_t i = 0; i < UMPTCP_MAX_INTERFACES; i++)
        for (size_t j = 0; j < s->ifaces[i].naddrs; j++)
            if (umptcp_addr_equal(&s->ifaces[i].addrs[j], addr)) {
                s->ifaces[i].backup[j] = backup;
                found = true;
            }
    if (!found)
        return UMPTCP_ERR_NOTFOUND;
    stack_enter(s);
    for (umptcp_conn *c = s->conns; c != NULL; c = c->next)
        if (conn_mptcp_live(c))
            mptcp_conn_set_backup(c->mp, addr, backup, s->now);
    stack_leave(s);
    return UMPTCP_OK;
}

int umptcp_conn_subflow_rst(const umptcp_conn *c, unsigned index, umptcp_subflow_rst *out)
{
    if (c == NULL || out == NULL)
        return UMPTCP_ERR_INVAL;
    if (c->mp == NULL || index >= c->mp->nsub)
        return UMPTCP_ERR_NOTFOUND;
    const struct mptcp_subflow *sf = c->mp->sub[index];
    out->sent = sf->rst_sent;
    out->sent_reason = sf->rst_reason;
    out->received = sf->peer_rst;
    out->reason = sf->peer_rst_reason;
    out->transient = (sf->peer_rst_flags & WIRE_TCPRST_FLAG_T) != 0;
    return UMPTCP_OK;
}
