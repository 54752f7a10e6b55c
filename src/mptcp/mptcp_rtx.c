/* Data-level retransmission (RFC 8684 3.3.6). A peer may acknowledge bytes on a subflow and
 * still drop them before they reach its data level (Linux prunes what does not fit its
 * connection-level receive queue, and discards a failing subflow's unread data), so DATA_ACK
 * can stop with every subflow fully acknowledged and nothing left for TCP to repair. 3.3.6
 * suggests a connection-level timer for "when the head of the connection level is ACKed at
 * the subflow level but is not DATA_ACKed at the data level", and: "The sender MUST keep data
 * in its send buffer as long as the data has not been acknowledged both (1) at the connection
 * level and (2) on all subflows on which it has been sent." When DATA_ACK has not moved for a
 * data-level RTO (twice the largest RTO of the working subflows without their backoff, at
 * least MPTCP_RTX_MIN_NS, doubled per try), the oldest unacknowledged chunk goes again through
 * the reinjection queue, on another subflow than the one that carried it when one works;
 * unless that subflow has not acknowledged it yet (its own TCP retransmission is under way).
 * Linux's MPTCP has such a timer too (counted as MPTCPRetrans).
 * Subflows keep from sending their FIN until every byte is DATA_ACKed (mptcp_conn_push_fin),
 * so one is there to carry the retransmission. */
#include "mptcp/mptcp_conn.h"

#include "mptcp/mptcp_dsn.h"
#include "tcp/tcp_seq.h"

#define MPTCP_RTX_MIN_NS (200ull * 1000000ull)
#define MPTCP_RTX_MAX_BACKOFF 6

/* Data mapped and not DATA_ACKed (the DATA_FIN counts while unacknowledged). */
static bool mptcp_rtx_outstanding(const struct mptcp_conn *mc)
{
    return mc->snd_nxt != mc->snd_una || (mc->fin_mapped && !mc->fin_acked);
}

static uint64_t mptcp_rtx_rto(const struct mptcp_conn *mc)
{
    uint64_t rto = 0;
    for (unsigned i = 0; i < mc->nsub; i++) {
        const struct mptcp_subflow *sf = mc->sub[i];
        if (sf->sk == NULL || sf->closed || sf->stalled)
            continue;
        /* Without the subflow's own backoff: a path that times out must not hold the data
         * level back (that is what the other paths are for). */
        uint64_t r = sf->sk->rtt.rto_base;
        if (r > rto)
            rto = r;
    }
    rto *= 2;
    if (rto < MPTCP_RTX_MIN_NS)
        rto = MPTCP_RTX_MIN_NS;
    return rto << (mc->rtx_backoff < MPTCP_RTX_MAX_BACKOFF ? mc->rtx_backoff
                                                           : MPTCP_RTX_MAX_BACKOFF);
}

/* The data-level retransmission timer's expiry, or UINT64_MAX. */
static uint64_t mptcp_rtx_due(const struct mptcp_conn *mc)
{
    if (mc->fallback || mc->closed || !mc->rcv_ready || !mptcp_rtx_outstanding(mc))
        return UINT64_MAX;
    return mc->rtx_stamp + mptcp_rtx_rto(mc);
}

uint64_t mptcp_conn_next_timeout(const struct mptcp_conn *mc)
{
    if (mc == NULL || mc->closed)
        return UINT64_MAX;
    uint64_t rtx = mptcp_rtx_due(mc), fail = mptcp_fail_deadline(mc);
    return rtx < fail ? rtx : fail;
}

/* The open subflow that carried the data-level byte dsn (its mapping is kept until DATA_ACKed),
 * or NULL; *unacked tells whether that subflow has not acknowledged it yet. */
static const struct mptcp_subflow *mptcp_rtx_carrier(const struct mptcp_conn *mc, uint64_t dsn,
                                                     bool *unacked)
{
    for (unsigned i = 0; i < mc->nsub; i++) {
        const struct mptcp_subflow *sf = mc->sub[i];
        if (sf->sk == NULL || sf->closed)
            continue;
        uint32_t sub_una = sf->sk->snd_una - sf->sk->iss;
        for (size_t k = 0; k < mptcp_smap_count(&sf->smap); k++) {
            const struct mptcp_smap_entry *e = mptcp_smap_at(&sf->smap, k);
            if (mptcp_dsn_geq(dsn, e->dsn) && mptcp_dsn_lt(dsn, e->dsn + e->len)) {
                *unacked =
                    !sf->stalled && tcp_seq_lt(sub_una, e->ssn + (uint32_t)(dsn - e->dsn) + 1);
                return sf;
            }
        }
    }
    *unacked = false;
    return NULL;
}

void mptcp_conn_on_timeout(struct mptcp_conn *mc, uint64_t now)
{
    if (mc == NULL || mc->closed || mptcp_fail_check_timeout(mc, now))
        return;
    uint64_t due = mptcp_rtx_due(mc);
    if (due == UINT64_MAX || now < due)
        return;
    mc->rtx_stamp = now;
    if (mc->rtx_backoff < MPTCP_RTX_MAX_BACKOFF)
        mc->rtx_backoff++;
    bool unacked = false;
    const struct mptcp_subflow *carrier = NULL;
    if (mc->snd_nxt != mc->snd_una)
        carrier = mptcp_rtx_carrier(mc, mc->snd_una, &unacked);
    if (mc->snd_nxt == mc->snd_una || unacked)
        return; /* only the DATA_FIN is out (TCP retransmits its FIN), or TCP is on it */
    uint64_t len = mc->snd_nxt - mc->snd_una;
    if (len > MPTCP_MAX_CHUNK)
        len = MPTCP_MAX_CHUNK;
    /* Another subflow than the one whose peer acknowledged and lost it, if any works. */
    if (mptcp_conn_resend(mc, mc->snd_una, (size_t)len, carrier, now) > 0)
        mib_inc(mc->mib, MIB_MPTCP_RETRANS);
}
