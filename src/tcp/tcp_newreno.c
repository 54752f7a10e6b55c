/* Loss recovery for connections without SACK: fast retransmit on the third duplicate ACK
 * (RFC 5681 3.2), NewReno's partial ACKs (RFC 6582), limited transmit (RFC 3042), and PRR
 * (RFC 6937) fed with DeliveredData estimated from duplicate ACKs.
 *
 * The scoreboard (tcp_rtx) keeps the segments as with SACK: this file only marks the ones
 * NewReno deems lost, and tcp_in_congestion() enters recovery (RecoveryPoint = SND.NXT, the
 * same value as `recover`) and leaves it on the full ACK; NextSeg's rule (1) resends them.
 * Duplicate ACKs stand in for SACKed segments (dupack_credit, left out of pipe): the first two
 * let a new segment go each (RFC 3042), later ones feed PRR. RACK (RFC 8985) needs SACK and is
 * not used here: a cumulative ACK of a retransmission would make it deem the rest of the
 * window lost. */
#include "tcp/tcp_seq.h"
#include "tcp/tcp_sock.h"
#include "wire/tcp.h"

/* RFC 6582 4.1: duplicate ACKs after a cumulative ACK that advanced by more than this many
 * segments are taken for answers to unnecessary retransmissions. */
#define TCP_NEWRENO_HEURISTIC_SEGS 4u
/* RFC 3042: at most two segments beyond cwnd on the first two duplicate ACKs. */
#define TCP_NEWRENO_LIMITED_XMIT_SEGS 2u

void tcp_newreno_init(struct tcp_sock *sk)
{
    /* RFC 6582 3.2 1): recover = ISS (kept one past it, as RecoveryPoint). */
    sk->recover = sk->iss + 1;
    sk->highest_ack = sk->prev_highest_ack = sk->iss + 1;
    sk->dupack_credit = 0;
    /* RFC 6675 NextSeg rule (4) would only resend data the receiver most likely has. */
    sk->rtx.cfg.no_rescue = !sk->sack_ok;
}

static bool tcp_newreno_in_fast_recovery(const struct tcp_sock *sk)
{
    return tcp_rtx_in_recovery(&sk->rtx) && !sk->rtx.rto_recovery;
}

/* Outstanding bytes not deemed lost: the most duplicate ACKs can stand for. */
static uint32_t tcp_newreno_live_bytes(const struct tcp_sock *sk)
{
    return tcp_rtx_flight(&sk->rtx) - tcp_rtx_lost_bytes(&sk->rtx);
}

/* One duplicate ACK: one more SMSS left the network, up to cap in all. Returns the bytes. */
static uint32_t tcp_newreno_add_credit(struct tcp_sock *sk, uint32_t cap)
{
    uint32_t live = tcp_newreno_live_bytes(sk);
    if (cap > live)
        cap = live;
    uint32_t add = cap > sk->dupack_credit ? cap - sk->dupack_credit : 0;
    if (add > sk->mss)
        add = sk->mss;
    sk->dupack_credit += add;
    return add;
}

/* RFC 6582 3.2 2): fast retransmit only when the cumulative ACK covers more than recover
 * (ack - 1 > recover in the RFC's inclusive form), or, by the 4.1 ACK heuristic, when cwnd is
 * above one SMSS and the last cumulative ACK advanced by at most 4 * SMSS. */
static bool tcp_newreno_may_fast_retransmit(const struct tcp_sock *sk)
{
    if (tcp_seq_gt(tcp_rtx_snd_una(&sk->rtx), sk->recover))
        return true;
    return sk->cc.st.cwnd > sk->mss &&
           sk->highest_ack - sk->prev_highest_ack <= TCP_NEWRENO_HEURISTIC_SEGS * sk->mss;
}

static void tcp_newreno_dupack(struct tcp_sock *sk, struct tcp_rtx_ack_result *res)
{
    struct tcp_rtx *rtx = &sk->rtx;
    if (tcp_rtx_in_recovery(rtx)) {
        /* RFC 6937 3: in recovery without SACK, a duplicate ACK delivered one SMSS. After an
         * RTO, duplicates answer resent data the receiver had: nothing to learn. */
        if (!rtx->rto_recovery)
            res->delivered_bytes = tcp_newreno_add_credit(sk, UINT32_MAX);
        return;
    }
    if (sk->dupacks < TCP_RTX_DUPTHRESH) {
        /* RFC 3042: pipe shrinks by one SMSS, cwnd stays: one new segment may go. */
        tcp_newreno_add_credit(sk, TCP_NEWRENO_LIMITED_XMIT_SEGS * sk->mss);
        return;
    }
    if (!tcp_newreno_may_fast_retransmit(sk))
        return;
    /* RFC 5681 3.2 2-3 with RFC 6582 3.2 2): recover = highest sent; the segment at SND.UNA
     * is lost. tcp_in_congestion() starts the recovery (ssthresh, PRR). */
    if (tcp_rtx_mark_lost_at(rtx, tcp_rtx_snd_una(rtx)) == 0)
        return;
    sk->recover = tcp_rtx_snd_nxt(rtx);
    res->delivered_bytes = tcp_newreno_add_credit(sk, UINT32_MAX);
}

/* Was the ACK sent for a retransmission it acknowledges (RFC 8985 6.2 step 2's test)? With
 * timestamps: it echoes a TSval not older than the retransmission's (ms ticks: the same tick
 * counts as yes). Without: it came at least min_RTT after the retransmission. */
static bool tcp_newreno_answers_retransmission(const struct tcp_sock *sk,
                                               const struct wire_segment *seg,
                                               const struct tcp_rtx_ack_result *res, uint64_t now)
{
    if (!res->acked_retrans)
        return false;
    if (sk->ts_ok && (seg->opt.present & WIRE_OPT_TIMESTAMP))
        return tcp_seq_geq(seg->opt.ts_ecr, tcp_sock_tsval(sk, res->retrans_xmit_ts));
    return now - res->retrans_xmit_ts >= tcp_rtt_min_rtt(&sk->rtt);
}

/* SND.UNA advanced by res->acked_bytes. */
static void tcp_newreno_advanced(struct tcp_sock *sk, const struct wire_segment *seg,
                                 struct tcp_rtx_ack_result *res, uint64_t now)
{
    uint32_t una = tcp_rtx_snd_una(&sk->rtx), acked = res->acked_bytes;
    /* RFC 6582 4.1: the last two cumulative ACKs. */
    sk->prev_highest_ack = una - acked;
    sk->highest_ack = una;
    if (!tcp_newreno_in_fast_recovery(sk)) {
        sk->dupack_credit = 0; /* a full ACK, or no recovery: dupacks are history */
        return;
    }
    /* RFC 6937 3: a partial ACK delivered what it covers less what the duplicate ACKs before
     * it already counted; one SMSS of it is the retransmission that filled the hole. */
    uint32_t hole = acked < sk->mss ? acked : sk->mss;
    uint32_t eaten = acked - hole < sk->dupack_credit ? acked - hole : sk->dupack_credit;
    sk->dupack_credit -= eaten;
    res->delivered_bytes = acked - eaten;
    /* RFC 6582 3.2 3): a partial ACK: the first unacknowledged segment is lost too. Only when
     * the ACK answers our retransmission of the hole: one that came sooner than that could
     * (RFC 8985 6.2 step 2's test) answers the original, which was only reordered; the ACKs
     * after it answer originals too, and taking each for a partial ACK would resend the whole
     * window one segment at a time. */
    if (tcp_newreno_answers_retransmission(sk, seg, res, now))
        tcp_rtx_mark_lost_at(&sk->rtx, una);
    uint32_t live = tcp_newreno_live_bytes(sk);
    if (sk->dupack_credit > live)
        sk->dupack_credit = live;
}

void tcp_newreno_on_ack(struct tcp_sock *sk, const struct wire_segment *seg, bool is_dupack,
                        struct tcp_rtx_ack_result *res, uint64_t now)
{
    if (sk->sack_ok)
        return;
    if (res->acked_bytes > 0) {
        tcp_newreno_advanced(sk, seg, res, now);
        return;
    }
    /* RFC 5681 2: a duplicate ACK also has data outstanding and neither SYN nor FIN. */
    if (is_dupack && !(seg->tcp.flags & (WIRE_TCP_SYN | WIRE_TCP_FIN)) &&
        tcp_rtx_flight(&sk->rtx) > 0)
        tcp_newreno_dupack(sk, res);
}

void tcp_newreno_on_rto(struct tcp_sock *sk)
{
    if (sk->sack_ok)
        return;
    /* RFC 6582 3.2 4): recover = highest sent; duplicate ACKs so far are stale. */
    sk->recover = tcp_rtx_snd_nxt(&sk->rtx);
    sk->dupack_credit = 0;
}
