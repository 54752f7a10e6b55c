/* Helpers shared by tcp_rtx.c (queue, send, ACK processing) and tcp_rtx_loss.c (loss
 * detection, recovery, NextSeg, TLP). Not for use outside the tcp_rtx module. */
#ifndef UMPTCP_TCP_TCP_RTX_INTERNAL_H
#define UMPTCP_TCP_TCP_RTX_INTERNAL_H

#include "tcp/tcp_rtx.h"
#include "tcp/tcp_seq.h"

static inline struct tcp_rtx_seg *rtx_seg(struct tcp_rtx *rtx, size_t i)
{
    return &rtx->segs[rtx->head + i];
}

static inline const struct tcp_rtx_seg *rtx_cseg(const struct tcp_rtx *rtx, size_t i)
{
    return &rtx->segs[rtx->head + i];
}

static inline uint32_t rtx_seg_len(const struct tcp_rtx_seg *s)
{
    return s->end - s->seq;
}

/* A segment whose latest transmission may still be in the network: not SACKed, and either
 * never deemed lost or retransmitted since. */
static inline bool rtx_seg_in_flight(const struct tcp_rtx_seg *s)
{
    return !(s->flags & TCP_RTX_SACKED) &&
           (!(s->flags & TCP_RTX_LOST) || (s->flags & TCP_RTX_RETRANS));
}

/* RFC 8985 6.2 RACK_sent_after(t1, seq1, t2, seq2). */
static inline bool rtx_sent_after(uint64_t t1, uint32_t seq1, uint64_t t2, uint32_t seq2)
{
    return t1 > t2 || (t1 == t2 && tcp_seq_gt(seq1, seq2));
}

/* Removes (sign -1) or adds (+1) the entry's contribution to the byte counters. Every flag or
 * range change is bracketed by these so the counters stay exact. */
void tcp_rtx_account(struct tcp_rtx *rtx, const struct tcp_rtx_seg *s, int sign);
/* Index of the first entry whose end is after seq (the entry holding seq, or the next one);
 * count when none. */
size_t tcp_rtx_index_after(const struct tcp_rtx *rtx, uint32_t seq);
/* Marks an un-SACKed entry lost. RACK and RTO judge the latest transmission, so with
 * retransmission_too a retransmission in flight is deemed lost as well (RETRANS cleared);
 * RFC 6675 IsLost judges the original only. Returns the entry's length when something changed,
 * else 0. */
uint32_t tcp_rtx_mark_seg_lost(struct tcp_rtx *rtx, struct tcp_rtx_seg *s, bool retransmission_too);

#endif
