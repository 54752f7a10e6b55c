/* Scoreboard loss logic: RACK loss detection and the reordering window (RFC 8985 6.2 steps
 * 4-5, 6.3), RFC 6675 IsLost / NextSeg / recovery entry, and TLP scheduling (RFC 8985 7).
 * Entries are visited in sequence order; see tcp_rtx.h for the flag semantics. */
#include "tcp/tcp_rtx.h"

#include "tcp/tcp_rtx_internal.h"

#include <string.h>

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* RFC 8985 6.2 step 4, RACK_update_reo_wnd() return value. */
static uint64_t reo_wnd_value(const struct tcp_rtx *rtx, uint64_t srtt)
{
    if (!rtx->rack_reordering_seen) {
        if (rtx->in_recovery)
            return 0;
        if (rtx->sacked_segs >= TCP_RTX_DUPTHRESH)
            return 0;
    }
    uint64_t w = rtx->rack_reo_wnd_mult * rtx->rack_min_rtt / 4;
    if (srtt > 0 && w > srtt)
        w = srtt;
    return w;
}

/* RFC 8985 6.2 step 5, RACK_detect_loss(). Originals go out in sequence order and a
 * retransmission is later than its original, so every entry after an in-flight original that
 * was not sent before RACK.segment was not either (time only moves forward): the scan stops
 * there instead of walking the whole queue (the optimisation the RFC suggests). */
static void rack_detect_loss(struct tcp_rtx *rtx, uint64_t now, struct tcp_rtx_loss_result *res)
{
    if (!rtx->rack_valid)
        return;
    uint64_t timeout = 0;
    for (size_t i = 0; i < rtx->count; i++) {
        struct tcp_rtx_seg *s = rtx_seg(rtx, i);
        if (!rtx_seg_in_flight(s))
            continue;
        if (!rtx_sent_after(rtx->rack_xmit_ts, rtx->rack_end_seq, s->xmit_ts, s->end)) {
            if (!(s->flags & TCP_RTX_EVER_RETRANS))
                break;
            continue;
        }
        uint64_t deadline = s->xmit_ts + rtx->rack_rtt + rtx->rack_reo_wnd;
        if (deadline <= now) {
            uint32_t n = tcp_rtx_mark_seg_lost(rtx, s, true);
            res->lost_bytes += n;
            res->lost_segs += n > 0;
        } else if (deadline - now > timeout) {
            timeout = deadline - now;
        }
    }
    /* RACK reordering timer: when the last segment within the window would be deemed lost. */
    res->reo_timeout = timeout ? now + timeout : 0;
}

bool tcp_rtx_is_lost(const struct tcp_rtx *rtx, uint32_t seq)
{
    if (rtx->sacked_segs == 0 || !rtx->has_high_sacked || tcp_seq_geq(seq, rtx->high_sacked))
        return false;
    uint64_t limit = (uint64_t)(TCP_RTX_DUPTHRESH - 1) * rtx->cfg.smss;
    uint32_t segs = 0;
    uint64_t bytes = 0;
    /* Walk down from the entry holding the highest SACKed byte to the one holding seq. */
    for (size_t i = tcp_rtx_index_after(rtx, rtx->high_sacked - 1) + 1; i-- > 0;) {
        const struct tcp_rtx_seg *s = rtx_cseg(rtx, i);
        if (tcp_seq_leq(s->end, seq + 1))
            break; /* no byte of it lies above seq */
        if (s->flags & TCP_RTX_SACKED) {
            if (tcp_seq_gt(s->seq, seq)) {
                segs++;
                bytes += rtx_seg_len(s);
            } else {
                bytes += s->end - (seq + 1); /* the SACKed bytes above seq inside it */
            }
        }
        if (segs >= TCP_RTX_DUPTHRESH || bytes > limit)
            return true;
    }
    /* RFC 6675 IsLost: DupThresh SACKed segments above, or more than (DupThresh-1)*SMSS. */
    return segs >= TCP_RTX_DUPTHRESH || bytes > limit;
}

/* Marks every un-SACKed entry for which IsLost holds (RFC 6675), returning bytes and entries.
 * IsLost is monotonic (more SACKed data lies above a lower sequence number), so the walk finds
 * the highest lost entry, then marks downwards until lost_hint, below which everything is
 * already SACKed or lost. */
static uint32_t mark_lost_rfc6675(struct tcp_rtx *rtx, uint32_t *nsegs)
{
    if (rtx->sacked_segs == 0 || !rtx->has_high_sacked)
        return 0;
    uint64_t limit = (uint64_t)(TCP_RTX_DUPTHRESH - 1) * rtx->cfg.smss;
    uint32_t segs = 0;
    uint64_t bytes = 0;
    size_t i = tcp_rtx_index_after(rtx, rtx->high_sacked - 1);
    for (;; i--) {
        const struct tcp_rtx_seg *s = rtx_cseg(rtx, i);
        if (s->flags & TCP_RTX_SACKED) {
            segs++;
            bytes += rtx_seg_len(s);
        } else if (segs >= TCP_RTX_DUPTHRESH || bytes > limit) {
            break; /* IsLost(s->seq) holds: s and every un-SACKed entry below are lost */
        }
        if (i == 0)
            return 0;
    }
    uint32_t marked = 0;
    uint32_t top_end = rtx_seg(rtx, i)->end;
    for (size_t k = i + 1; k-- > 0;) {
        struct tcp_rtx_seg *s = rtx_seg(rtx, k);
        if (tcp_seq_leq(s->end, rtx->lost_hint))
            break;
        if (!(s->flags & (TCP_RTX_SACKED | TCP_RTX_LOST))) {
            marked += tcp_rtx_mark_seg_lost(rtx, s, false);
            ++*nsegs;
        }
    }
    if (tcp_seq_gt(top_end, rtx->lost_hint))
        rtx->lost_hint = top_end;
    return marked;
}

uint32_t tcp_rtx_mark_lost_rfc6675(struct tcp_rtx *rtx)
{
    uint32_t segs = 0;
    return mark_lost_rfc6675(rtx, &segs);
}

void tcp_rtx_detect_loss(struct tcp_rtx *rtx, uint64_t now, uint64_t srtt_ns,
                         struct tcp_rtx_loss_result *res)
{
    memset(res, 0, sizeof(*res));
    rtx->rack_reo_wnd = reo_wnd_value(rtx, srtt_ns);
    rack_detect_loss(rtx, now, res);
    if (rtx->cfg.rfc6675_islost)
        res->lost_bytes += mark_lost_rfc6675(rtx, &res->lost_segs);
}

uint32_t tcp_rtx_mark_lost_at(struct tcp_rtx *rtx, uint32_t seq)
{
    if (!tcp_seq_in_range(seq, rtx->snd_una, rtx->snd_nxt))
        return 0;
    size_t i = tcp_rtx_index_after(rtx, seq);
    if (i >= rtx->count)
        return 0;
    return tcp_rtx_mark_seg_lost(rtx, rtx_seg(rtx, i), false);
}

/* RFC 8985 7.1 TLP_init. */
static void tlp_init(struct tcp_rtx *rtx)
{
    rtx->tlp_active = false;
    rtx->tlp_is_retrans = false;
}

void tcp_rtx_enter_recovery(struct tcp_rtx *rtx)
{
    /* RFC 6675 5 (4.1): RecoveryPoint = HighData; RescueRxt is set by the first
     * retransmission (4.3). */
    rtx->in_recovery = true;
    rtx->rto_recovery = false;
    rtx->recovery_point = rtx->snd_nxt;
    rtx->rescue_valid = false;
    tlp_init(rtx);
}

uint32_t tcp_rtx_on_rto(struct tcp_rtx *rtx, uint64_t now)
{
    /* RFC 8985 6.3 RACK_mark_losses_on_RTO. Before any delivery RACK.rtt is 0 and every
     * segment sent before now counts as lost, like a classic RTO. */
    uint32_t lost = 0;
    for (size_t i = 0; i < rtx->count; i++) {
        struct tcp_rtx_seg *s = rtx_seg(rtx, i);
        if (s->flags & TCP_RTX_SACKED)
            continue;
        if (s->seq == rtx->snd_una || s->xmit_ts + rtx->rack_rtt + rtx->rack_reo_wnd <= now)
            lost += tcp_rtx_mark_seg_lost(rtx, s, true);
    }
    /* RFC 6675 5.1: RecoveryPoint = HighData, no new recovery until it is acknowledged. */
    rtx->in_recovery = true;
    rtx->rto_recovery = true;
    rtx->recovery_point = rtx->snd_nxt;
    rtx->rescue_valid = false;
    tlp_init(rtx);
    return lost;
}

static void set_next(struct tcp_rtx_next *out, enum tcp_rtx_next_kind kind, uint32_t seq,
                     uint32_t len)
{
    out->kind = kind;
    out->seq = seq;
    out->len = len;
}

void tcp_rtx_next_seg(const struct tcp_rtx *rtx, bool can_send_new, struct tcp_rtx_next *out)
{
    const uint32_t smss = rtx->cfg.smss;
    const uint8_t state = TCP_RTX_SACKED | TCP_RTX_LOST | TCP_RTX_RETRANS;
    set_next(out, TCP_RTX_NEXT_NONE, 0, 0);
    /* (1) the lowest segment deemed lost and not yet retransmitted. */
    for (size_t i = 0; rtx->need_rtx_bytes > 0 && i < rtx->count; i++) {
        const struct tcp_rtx_seg *s = rtx_cseg(rtx, i);
        if ((s->flags & state) == TCP_RTX_LOST) {
            set_next(out, TCP_RTX_NEXT_RETRANSMIT, s->seq, min_u32(rtx_seg_len(s), smss));
            return;
        }
    }
    /* (2) new data, when there is some and the receive window allows. */
    if (can_send_new) {
        set_next(out, TCP_RTX_NEXT_NEW, rtx->snd_nxt, 0);
        return;
    }
    if (!rtx->in_recovery)
        return; /* (3) and (4) are last resorts of loss recovery */
    /* (3) an un-SACKed, unretransmitted segment below the highest SACKed byte. */
    for (size_t i = 0; rtx->has_high_sacked && i < rtx->count; i++) {
        const struct tcp_rtx_seg *s = rtx_cseg(rtx, i);
        if (tcp_seq_geq(s->seq, rtx->high_sacked))
            break;
        if (!(s->flags & state)) {
            set_next(out, TCP_RTX_NEXT_RETRANSMIT_3, s->seq, min_u32(rtx_seg_len(s), smss));
            return;
        }
    }
    /* (4) one rescue retransmission per recovery when HighACK > RescueRxt: the last SMSS bytes
     * of the highest un-SACKed segment. */
    if (rtx->cfg.no_rescue || (rtx->rescue_valid && !tcp_seq_gt(rtx->snd_una - 1, rtx->rescue_rxt)))
        return;
    for (size_t i = rtx->count; i-- > 0;) {
        const struct tcp_rtx_seg *s = rtx_cseg(rtx, i);
        if (!(s->flags & TCP_RTX_SACKED)) {
            uint32_t len = min_u32(rtx_seg_len(s), smss);
            set_next(out, TCP_RTX_NEXT_RESCUE, s->end - len, len);
            return;
        }
    }
}

uint64_t tcp_rtx_tlp_pto(const struct tcp_rtx *rtx, uint64_t now, bool has_srtt, uint64_t srtt_ns,
                         uint64_t rto_expiry)
{
    /* RFC 8985 7.2: not in recovery and not with SACKed segments (other mechanisms cover those). */
    if (tcp_rtx_flight(rtx) == 0 || rtx->in_recovery || rtx->sacked_segs > 0)
        return 0;
    uint64_t pto = TCP_RTX_PTO_NO_SRTT_NS;
    if (has_srtt) {
        pto = 2 * srtt_ns;
        if (tcp_rtx_flight(rtx) <= rtx->cfg.smss)
            pto += rtx->cfg.max_ack_delay_ns; /* one segment: allow for a delayed ACK */
    }
    uint64_t expiry = now + pto;
    if (rto_expiry != 0 && expiry > rto_expiry)
        expiry = rto_expiry;
    return expiry;
}

void tcp_rtx_tlp_probe(const struct tcp_rtx *rtx, bool can_send_new, struct tcp_rtx_next *out)
{
    set_next(out, TCP_RTX_NEXT_NONE, 0, 0);
    /* RFC 8985 7.3: one probe at a time, and only after a new RTT sample. */
    if (rtx->tlp_active || !rtx->rtt_since_probe)
        return;
    if (can_send_new) {
        set_next(out, TCP_RTX_NEXT_NEW, rtx->snd_nxt, 0);
        return;
    }
    if (rtx->count == 0)
        return;
    /* Retransmit the highest-sequence segment sent: it ends at SND.NXT. */
    const struct tcp_rtx_seg *last = rtx_cseg(rtx, rtx->count - 1);
    uint32_t len = min_u32(rtx_seg_len(last), rtx->cfg.smss);
    set_next(out, TCP_RTX_NEXT_RETRANSMIT, rtx->snd_nxt - len, len);
}
