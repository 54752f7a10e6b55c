/* Congestion control framework: event wrappers with their defaults, the window helpers
 * every algorithm shares, and the per-stack registry of named algorithms. */
#include "cc/cc.h"
#include "util/ops_name.h"
#include "util/ops_registry.h"

#include <string.h>

/* ---- window helpers ------------------------------------------------------------------ */

uint32_t cc_clamp_cwnd(const struct cc_state *st, uint64_t cwnd)
{
    uint64_t floor = st->mss ? st->mss : 1;
    if (cwnd < floor)
        cwnd = floor;
    if (cwnd > CC_CWND_MAX)
        cwnd = CC_CWND_MAX;
    return (uint32_t)cwnd;
}

uint32_t cc_initial_window(uint32_t mss)
{
    /* RFC 6928 2: min(10*MSS, max(2*MSS, 14600)). */
    uint64_t two = 2 * (uint64_t)mss, ten = 10 * (uint64_t)mss;
    uint64_t iw = two > 14600 ? two : 14600;
    if (iw > ten)
        iw = ten;
    return iw > CC_CWND_MAX ? CC_CWND_MAX : (uint32_t)iw;
}

uint32_t cc_restart_window(const struct cc_state *st)
{
    /* RFC 5681 4.1: RW = min(IW, cwnd). */
    uint32_t iw = cc_initial_window(st->mss);
    return st->cwnd < iw ? st->cwnd : iw;
}

uint32_t cc_reno_ssthresh(uint32_t flight_size, uint32_t mss)
{
    /* RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS). */
    uint64_t half = flight_size / 2, floor = 2 * (uint64_t)mss;
    uint64_t v = half > floor ? half : floor;
    return v > CC_CWND_MAX ? CC_CWND_MAX : (uint32_t)v;
}

uint32_t cc_slow_start(struct cc_state *st, uint32_t acked)
{
    if (!cc_in_slow_start(st))
        return acked;
    /* RFC 3465 2.2: cwnd += min(N, L*SMSS) per ACK, L = 2. */
    uint64_t limit = (uint64_t)CC_ABC_L * st->mss;
    uint64_t inc = acked < limit ? acked : limit;
    uint64_t room = (uint64_t)st->ssthresh - st->cwnd;
    if (inc < room) {
        st->cwnd = cc_clamp_cwnd(st, st->cwnd + inc);
        return 0;
    }
    /* cwnd reaches ssthresh on this ACK: the rest counts toward congestion avoidance. */
    st->cwnd = cc_clamp_cwnd(st, st->ssthresh);
    return (uint32_t)(acked - room);
}

void cc_cong_avoid(struct cc_state *st, uint32_t *accum, uint32_t acked)
{
    /* RFC 3465 2.1 (and RFC 5681 3.1 byte counting): once bytes_acked >= cwnd, subtract
     * cwnd and add one SMSS. Bounded: cwnd grows by mss each step. */
    uint64_t acc = (uint64_t)*accum + acked;
    while (acc >= st->cwnd && st->cwnd < CC_CWND_MAX) {
        acc -= st->cwnd;
        st->cwnd = cc_clamp_cwnd(st, (uint64_t)st->cwnd + st->mss);
    }
    if (acc >= st->cwnd)
        acc = 0; /* window at its cap: nothing left to count toward */
    *accum = (uint32_t)acc;
}

void cc_undo_default(struct cc_state *st)
{
    if (st->cwnd < st->prior_cwnd)
        st->cwnd = st->prior_cwnd;
    if (st->ssthresh < st->prior_ssthresh)
        st->ssthresh = st->prior_ssthresh;
}

/* ---- entry points --------------------------------------------------------------------- */

int cc_sock_init(struct cc_sock *sk, const struct cc_ops *ops, struct cc_group *group, uint32_t mss,
                 uint64_t now)
{
    if (sk == NULL || cc_ops_validate(ops) != UMPTCP_OK || mss == 0 || mss > CC_CWND_MAX / 16)
        return UMPTCP_ERR_INVAL;
    memset(sk, 0, sizeof(*sk));
    sk->ops = ops;
    sk->group = group;
    sk->st.mss = mss;
    sk->st.cwnd = cc_initial_window(mss);
    sk->st.ssthresh = CC_SSTHRESH_INFINITE; /* RFC 5681 3.1: arbitrarily high */
    sk->st.prior_cwnd = sk->st.cwnd;
    sk->st.prior_ssthresh = sk->st.ssthresh;
    if (ops->init != NULL)
        ops->init(sk, now);
    return UMPTCP_OK;
}

void cc_sock_release(struct cc_sock *sk)
{
    if (sk == NULL || sk->ops == NULL)
        return;
    if (sk->ops->release != NULL)
        sk->ops->release(sk);
    sk->ops = NULL;
    sk->group = NULL;
}

void cc_on_ack(struct cc_sock *sk, const struct cc_ack_event *ev)
{
    if (sk == NULL || sk->ops == NULL || ev == NULL)
        return;
    if (ev->srtt_ns != 0)
        sk->srtt_ns = ev->srtt_ns;
    uint64_t min_rtt = ev->min_rtt_ns != 0 ? ev->min_rtt_ns : ev->rtt_ns;
    if (min_rtt != 0 && (sk->min_rtt_ns == 0 || min_rtt < sk->min_rtt_ns))
        sk->min_rtt_ns = min_rtt;
    sk->ops->on_ack(sk, ev);
}

void cc_on_loss(struct cc_sock *sk, const struct cc_loss_event *ev)
{
    if (sk == NULL || sk->ops == NULL || ev == NULL)
        return;
    /* A repeated timeout keeps what the first reduction saved. */
    if (!(ev->kind == CC_LOSS_RTO && ev->rto_repeat)) {
        sk->st.prior_cwnd = sk->st.cwnd;
        sk->st.prior_ssthresh = sk->st.ssthresh;
    }
    sk->st.loss_events++;
    sk->ops->on_loss(sk, ev);
}

void cc_on_recovery_exit(struct cc_sock *sk, const struct cc_exit_event *ev)
{
    if (sk == NULL || sk->ops == NULL || ev == NULL)
        return;
    if (sk->ops->on_recovery_exit != NULL) {
        sk->ops->on_recovery_exit(sk, ev);
        return;
    }
    /* RFC 6937 3 / RFC 6582 3.2 step 6: leave recovery at cwnd = ssthresh. */
    sk->st.cwnd = cc_clamp_cwnd(&sk->st, sk->st.ssthresh);
}

void cc_on_idle_restart(struct cc_sock *sk, const struct cc_idle_event *ev)
{
    if (sk == NULL || sk->ops == NULL || ev == NULL)
        return;
    if (sk->ops->on_idle_restart != NULL) {
        sk->ops->on_idle_restart(sk, ev);
        return;
    }
    /* RFC 5681 4.1: after an idle period longer than the RTO, restart from RW. */
    if (ev->idle_ns > ev->rto_ns)
        sk->st.cwnd = cc_restart_window(&sk->st);
}

void cc_undo(struct cc_sock *sk, const struct cc_undo_event *ev)
{
    if (sk == NULL || sk->ops == NULL || ev == NULL)
        return;
    if (sk->ops->undo != NULL)
        sk->ops->undo(sk, ev);
    else
        cc_undo_default(&sk->st);
}

void cc_set_mss(struct cc_sock *sk, uint32_t mss)
{
    if (sk == NULL || mss == 0 || mss > CC_CWND_MAX / 16)
        return;
    sk->st.mss = mss;
    sk->st.cwnd = cc_clamp_cwnd(&sk->st, sk->st.cwnd);
}

/* ---- registry ------------------------------------------------------------------------- */

int cc_ops_validate(const struct cc_ops *ops)
{
    if (ops == NULL || !ops_name_valid(ops->name, CC_NAME_MAX))
        return UMPTCP_ERR_INVAL;
    if (ops->on_ack == NULL || ops->on_loss == NULL)
        return UMPTCP_ERR_INVAL;
    if (ops->priv_size > CC_PRIV_MAX)
        return UMPTCP_ERR_INVAL;
    return UMPTCP_OK;
}

int cc_registry_init(struct cc_registry *reg)
{
    if (reg == NULL)
        return UMPTCP_ERR_INVAL;
    ops_registry_clear(&reg->r);
    int rc = cc_registry_add(reg, &cc_reno_ops);
    if (rc == UMPTCP_OK)
        rc = cc_registry_add(reg, &cc_cubic_ops);
    return rc;
}

int cc_registry_add(struct cc_registry *reg, const struct cc_ops *ops)
{
    if (reg == NULL)
        return UMPTCP_ERR_INVAL;
    int rc = cc_ops_validate(ops);
    return rc != UMPTCP_OK ? rc : ops_registry_add(&reg->r, ops, CC_NAME_MAX);
}

const struct cc_ops *cc_registry_find(const struct cc_registry *reg, const char *name)
{
    return reg == NULL ? NULL : ops_registry_find(&reg->r, name);
}

size_t cc_registry_count(const struct cc_registry *reg)
{
    return reg == NULL ? 0 : ops_registry_count(&reg->r);
}

const char *cc_registry_name_at(const struct cc_registry *reg, size_t i)
{
    return reg == NULL ? NULL : ops_registry_name_at(&reg->r, i);
}

int cc_registry_list(const struct cc_registry *reg, char *buf, size_t len)
{
    return reg == NULL ? UMPTCP_ERR_INVAL : ops_registry_list(&reg->r, buf, len);
}
