/* Scoreboard / retransmission queue: the entry array, transmissions, and ACK processing
 * (RFC 6675 Update, RFC 2883 DSACK, RFC 8985 6.2 steps 2-4, 7.4 TLP_process_ack). Loss
 * detection, recovery, NextSeg and TLP scheduling are in tcp_rtx_loss.c. */
#include "tcp/tcp_rtx.h"

#include "tcp/tcp_rtx_internal.h"
#include "umptcp/error.h"

#include <stdlib.h>
#include <string.h>

#define RTX_MIN_ALLOC 16
#define RTX_MAX_LEN 0x7fffffffu

int tcp_rtx_init(struct tcp_rtx *rtx, uint32_t snd_una, const struct tcp_rtx_config *cfg)
{
    if (rtx == NULL || cfg == NULL || cfg->smss == 0)
        return UMPTCP_ERR_INVAL;
    memset(rtx, 0, sizeof(*rtx));
    rtx->cfg = *cfg;
    if (rtx->cfg.max_ack_delay_ns == 0)
        rtx->cfg.max_ack_delay_ns = TCP_RTX_DEFAULT_MAX_ACK_DELAY_NS;
    rtx->snd_una = rtx->snd_nxt = snd_una;
    rtx->lost_hint = snd_una;
    rtx->rack_fack = snd_una;
    rtx->rack_reo_wnd_mult = 1; /* RFC 8985 6.2 step 4 */
    return UMPTCP_OK;
}

void tcp_rtx_destroy(struct tcp_rtx *rtx)
{
    if (rtx == NULL)
        return;
    free(rtx->segs);
    memset(rtx, 0, sizeof(*rtx));
}

void tcp_rtx_set_smss(struct tcp_rtx *rtx, uint32_t smss)
{
    if (smss > 0)
        rtx->cfg.smss = smss;
}

static void add(uint32_t *counter, uint32_t v, int sign)
{
    if (sign > 0)
        *counter += v;
    else
        *counter -= v;
}

void tcp_rtx_account(struct tcp_rtx *rtx, const struct tcp_rtx_seg *s, int sign)
{
    uint32_t len = rtx_seg_len(s);
    if (s->flags & TCP_RTX_SACKED) {
        add(&rtx->sacked_bytes, len, sign);
        add(&rtx->sacked_segs, 1, sign);
        return;
    }
    if (s->flags & TCP_RTX_LOST)
        add(&rtx->lost_bytes, len, sign);
    if (s->flags & TCP_RTX_RETRANS)
        add(&rtx->retrans_bytes, len, sign);
    if ((s->flags & (TCP_RTX_LOST | TCP_RTX_RETRANS)) == TCP_RTX_LOST)
        add(&rtx->need_rtx_bytes, len, sign);
}

size_t tcp_rtx_index_after(const struct tcp_rtx *rtx, uint32_t seq)
{
    /* Offsets from SND.UNA order exactly: everything lies in [SND.UNA, SND.NXT], < 2^31. */
    uint32_t off = seq - rtx->snd_una;
    size_t lo = 0, hi = rtx->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rtx_cseg(rtx, mid)->end - rtx->snd_una <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct tcp_rtx_seg *tcp_rtx_find(const struct tcp_rtx *rtx, uint32_t seq)
{
    if (!tcp_seq_in_range(seq, rtx->snd_una, rtx->snd_nxt))
        return NULL;
    size_t i = tcp_rtx_index_after(rtx, seq);
    return i < rtx->count ? rtx_cseg(rtx, i) : NULL;
}

uint32_t tcp_rtx_mark_seg_lost(struct tcp_rtx *rtx, struct tcp_rtx_seg *s, bool retransmission_too)
{
    uint8_t want = (uint8_t)(s->flags | TCP_RTX_LOST);
    if (retransmission_too)
        want &= (uint8_t)~TCP_RTX_RETRANS;
    if ((s->flags & TCP_RTX_SACKED) || want == s->flags)
        return 0;
    tcp_rtx_account(rtx, s, -1);
    s->flags = want;
    tcp_rtx_account(rtx, s, +1);
    return rtx_seg_len(s);
}

/* Room for `extra` more entries at the back (compacting or growing). max_segs is checked by
 * the callers against count, not here. */
static int reserve(struct tcp_rtx *rtx, size_t extra)
{
    if (rtx->head + rtx->count + extra <= rtx->alloc)
        return UMPTCP_OK;
    if (rtx->count + extra <= rtx->alloc && rtx->head >= rtx->alloc / 4) {
        memmove(rtx->segs, rtx->segs + rtx->head, rtx->count * sizeof(rtx->segs[0]));
        rtx->head = 0;
        return UMPTCP_OK;
    }
    size_t alloc = rtx->alloc ? rtx->alloc * 2 : RTX_MIN_ALLOC;
    while (alloc < rtx->count + extra)
        alloc *= 2;
    struct tcp_rtx_seg *segs = malloc(alloc * sizeof(*segs));
    if (segs == NULL) {
        if (rtx->count + extra > rtx->alloc)
            return UMPTCP_ERR_NOMEM;
        /* No memory to grow, but compacting frees enough slots. */
        memmove(rtx->segs, rtx->segs + rtx->head, rtx->count * sizeof(rtx->segs[0]));
        rtx->head = 0;
        return UMPTCP_OK;
    }
    if (rtx->count > 0)
        memcpy(segs, rtx->segs + rtx->head, rtx->count * sizeof(*segs));
    free(rtx->segs);
    rtx->segs = segs;
    rtx->alloc = alloc;
    rtx->head = 0;
    return UMPTCP_OK;
}

static bool room_for(const struct tcp_rtx *rtx, size_t extra)
{
    return rtx->cfg.max_segs == 0 || rtx->count + extra <= rtx->cfg.max_segs;
}

/* Splits entry i at `at` (strictly inside it); both halves keep its state. Needs one slot
 * reserved. */
static void split_at(struct tcp_rtx *rtx, size_t i, uint32_t at)
{
    struct tcp_rtx_seg *s = rtx_seg(rtx, i);
    tcp_rtx_account(rtx, s, -1);
    memmove(s + 1, s, (rtx->count - i) * sizeof(*s));
    rtx->count++;
    s[0].end = at;
    s[1].seq = at;
    tcp_rtx_account(rtx, &s[0], +1);
    tcp_rtx_account(rtx, &s[1], +1);
}

static int send_new(struct tcp_rtx *rtx, uint32_t seq, uint32_t len, uint64_t now)
{
    if (seq != rtx->snd_nxt || tcp_rtx_flight(rtx) + (uint64_t)len > RTX_MAX_LEN)
        return UMPTCP_ERR_INVAL;
    if (!room_for(rtx, 1) || reserve(rtx, 1) != 0)
        return UMPTCP_ERR_NOMEM;
    /* RFC 8985 6.1 RACK_transmit_new_data. */
    struct tcp_rtx_seg *s = rtx_seg(rtx, rtx->count++);
    *s = (struct tcp_rtx_seg){.seq = seq, .end = seq + len, .xmit_ts = now, .xmit_count = 1};
    tcp_rtx_account(rtx, s, +1);
    rtx->snd_nxt = seq + len;
    return UMPTCP_OK;
}

static int send_again(struct tcp_rtx *rtx, uint32_t seq, uint32_t len, uint64_t now)
{
    uint32_t end = seq + len;
    if (!tcp_seq_in_range(seq, rtx->snd_una, rtx->snd_nxt) ||
        !tcp_seq_between(seq, end, rtx->snd_nxt))
        return UMPTCP_ERR_INVAL;
    size_t i = tcp_rtx_index_after(rtx, seq), j = tcp_rtx_index_after(rtx, end - 1);
    size_t splits = (rtx_seg(rtx, i)->seq != seq) + (rtx_seg(rtx, j)->end != end);
    if (!room_for(rtx, splits) || reserve(rtx, splits) != 0)
        return UMPTCP_ERR_NOMEM;
    if (rtx_seg(rtx, i)->seq != seq) {
        split_at(rtx, i, seq);
        i++;
        j++;
    }
    if (rtx_seg(rtx, j)->end != end)
        split_at(rtx, j, end);
    for (size_t k = i; k <= j; k++) {
        struct tcp_rtx_seg *s = rtx_seg(rtx, k);
        if (s->flags & TCP_RTX_SACKED)
            continue; /* already delivered: nothing to resend */
        /* RFC 8985 6.1 RACK_retransmit_data: retransmitted, xmit_ts = now, not lost. */
        tcp_rtx_account(rtx, s, -1);
        s->flags |= TCP_RTX_RETRANS | TCP_RTX_EVER_RETRANS;
        s->xmit_ts = now;
        s->xmit_count++;
        tcp_rtx_account(rtx, s, +1);
    }
    rtx->retransmits++;
    return UMPTCP_OK;
}

int tcp_rtx_on_send(struct tcp_rtx *rtx, uint32_t seq, uint32_t len, uint64_t now, unsigned flags)
{
    if (len == 0 || len > RTX_MAX_LEN)
        return UMPTCP_ERR_INVAL;
    bool again = (flags & (TCP_RTX_SEND_RETRANSMIT | TCP_RTX_SEND_RESCUE)) != 0;
    int rc = again ? send_again(rtx, seq, len, now) : send_new(rtx, seq, len, now);
    if (rc != 0)
        return rc;
    if (flags & TCP_RTX_SEND_RESCUE) {
        /* RFC 6675 NextSeg (4): RescueRxt = RecoveryPoint (HighData at entry). */
        rtx->rescue_valid = true;
        rtx->rescue_rxt = rtx->recovery_point - 1;
        rtx->rescues++;
    } else if (again && rtx->in_recovery && !rtx->rescue_valid) {
        /* RFC 6675 5 (4.3): the first retransmission sets RescueRxt to its last byte. */
        rtx->rescue_valid = true;
        rtx->rescue_rxt = seq + len - 1;
    }
    if (flags & TCP_RTX_SEND_TLP) {
        /* RFC 8985 7.3: TLP.end_seq = SND.NXT. */
        rtx->tlp_active = true;
        rtx->tlp_end_seq = rtx->snd_nxt;
        rtx->tlp_is_retrans = again;
        rtx->rtt_since_probe = false;
        rtx->tlps++;
    }
    return UMPTCP_OK;
}

/* ---- ACK processing ---- */

/* Per-ACK scratch state for RACK step 2/3 and Karn. */
struct ack_scan {
    const struct tcp_rtx_ack *ack;
    uint64_t min_rtt;
    bool rack_found;
    uint64_t rack_xmit_ts;
    uint32_t rack_end;
    bool karn_found;
    uint64_t karn_xmit_ts;
    bool acked_retrans;
    uint64_t retrans_xmit_ts;
};

/* One entry newly delivered (cumulatively or selectively), visited in ascending sequence. */
static void on_delivered(struct tcp_rtx *rtx, struct ack_scan *sc, const struct tcp_rtx_seg *s)
{
    uint64_t now = sc->ack->now;
    bool retransmitted = (s->flags & TCP_RTX_EVER_RETRANS) != 0;
    /* Karn (RFC 6298 3): only never-retransmitted segments give an RTT sample. */
    if (!retransmitted && (!sc->karn_found || s->xmit_ts > sc->karn_xmit_ts)) {
        sc->karn_found = true;
        sc->karn_xmit_ts = s->xmit_ts;
    }
    /* RFC 8985 6.2 step 2: skip a retransmitted segment when the ACK's TSecr predates its last
     * retransmission, or when it was retransmitted less than min_RTT ago. */
    bool valid = true;
    if (retransmitted) {
        if (sc->ack->has_tsecr && sc->ack->tsecr_ns < s->xmit_ts)
            valid = false;
        if (now - s->xmit_ts < sc->min_rtt)
            valid = false;
    }
    if (retransmitted && (!sc->acked_retrans || s->xmit_ts > sc->retrans_xmit_ts)) {
        sc->acked_retrans = true;
        sc->retrans_xmit_ts = s->xmit_ts;
    }
    if (valid &&
        (!sc->rack_found || rtx_sent_after(s->xmit_ts, s->end, sc->rack_xmit_ts, sc->rack_end))) {
        sc->rack_found = true;
        sc->rack_xmit_ts = s->xmit_ts;
        sc->rack_end = s->end;
    }
    /* Step 3: a never-retransmitted segment delivered below RACK.fack was reordered. */
    if (tcp_seq_gt(s->end, rtx->rack_fack))
        rtx->rack_fack = s->end;
    else if (tcp_seq_lt(s->end, rtx->rack_fack) && !retransmitted)
        rtx->rack_reordering_seen = true;
}

/* Pops every entry the cumulative ACK covers; trims a partially covered one. */
static void cum_ack(struct tcp_rtx *rtx, struct ack_scan *sc, uint32_t ack,
                    struct tcp_rtx_ack_result *res)
{
    while (rtx->count > 0) {
        struct tcp_rtx_seg *s = rtx_seg(rtx, 0);
        if (tcp_seq_leq(ack, s->seq))
            break;
        bool fresh = !(s->flags & TCP_RTX_SACKED);
        if (fresh)
            on_delivered(rtx, sc, s);
        tcp_rtx_account(rtx, s, -1);
        if (tcp_seq_lt(ack, s->end)) {
            s->seq = ack; /* partial: the rest stays */
            tcp_rtx_account(rtx, s, +1);
            break;
        }
        rtx->head++;
        rtx->count--;
        res->acked_segs++;
    }
    if (rtx->count == 0)
        rtx->head = 0;
    res->acked_bytes = ack - rtx->snd_una;
    rtx->snd_una = ack;
    if (tcp_seq_lt(rtx->lost_hint, ack))
        rtx->lost_hint = ack;
    if (tcp_seq_lt(rtx->rack_fack, ack))
        rtx->rack_fack = ack;
    if (rtx->has_high_sacked && tcp_seq_leq(rtx->high_sacked, ack))
        rtx->has_high_sacked = false;
}

/* Marks [left, right) SACKed, splitting entries at the edges when allowed. */
static void sack_range(struct tcp_rtx *rtx, struct ack_scan *sc, uint32_t left, uint32_t right,
                       struct tcp_rtx_ack_result *res)
{
    size_t i = tcp_rtx_index_after(rtx, left);
    while (i < rtx->count) {
        struct tcp_rtx_seg *s = rtx_seg(rtx, i);
        if (tcp_seq_leq(right, s->seq))
            break;
        if (s->flags & TCP_RTX_SACKED) {
            i++;
            continue;
        }
        if (tcp_seq_lt(s->seq, left)) { /* the block starts inside this entry */
            if (!room_for(rtx, 1)) {
                i++;
                continue; /* at the bound: leave the partial entry un-SACKed */
            }
            split_at(rtx, i, left);
            i++;
            continue;
        }
        if (tcp_seq_gt(s->end, right)) { /* the block ends inside this entry */
            if (!room_for(rtx, 1))
                break;
            split_at(rtx, i, right);
            s = rtx_seg(rtx, i);
        }
        on_delivered(rtx, sc, s);
        tcp_rtx_account(rtx, s, -1);
        s->flags |= TCP_RTX_SACKED;
        tcp_rtx_account(rtx, s, +1);
        res->sacked_bytes += rtx_seg_len(s);
        if (!rtx->has_high_sacked || tcp_seq_gt(s->end, rtx->high_sacked)) {
            rtx->has_high_sacked = true;
            rtx->high_sacked = s->end;
        }
        i++;
    }
}

/* RFC 2883 4: the first block is a D-SACK when it lies below the cumulative ACK or inside the
 * second block. */
static bool first_block_is_dsack(const struct tcp_rtx_ack *ack)
{
    if (ack->n_sack == 0)
        return false;
    const struct wire_sack_block *b0 = &ack->sack[0];
    if (tcp_seq_lt(b0->left, ack->ack))
        return true;
    if (ack->n_sack < 2)
        return false;
    const struct wire_sack_block *b1 = &ack->sack[1];
    return tcp_seq_geq(b0->left, b1->left) && tcp_seq_leq(b0->right, b1->right) &&
           tcp_seq_lt(b1->left, b1->right);
}

/* Collects the usable SACK blocks, clipped to [SND.UNA, SND.NXT) and sorted by left edge (so
 * entries are visited in ascending order, RFC 8985 6.2 step 3). */
static size_t usable_blocks(struct tcp_rtx *rtx, const struct tcp_rtx_ack *ack, size_t first,
                            struct wire_sack_block *out, struct tcp_rtx_ack_result *res)
{
    size_t n = 0;
    for (size_t k = first; k < ack->n_sack && n < WIRE_MAX_SACK_BLOCKS; k++) {
        struct wire_sack_block b = ack->sack[k];
        if (!tcp_seq_lt(b.left, b.right) || tcp_seq_gt(b.right, rtx->snd_nxt)) {
            res->invalid_sack_blocks++; /* RFC 2018: nonsense blocks are ignored */
            continue;
        }
        if (tcp_seq_leq(b.right, rtx->snd_una))
            continue; /* stale: already cumulatively acknowledged */
        b.left = tcp_seq_max(b.left, rtx->snd_una);
        size_t at = n++;
        while (at > 0 && tcp_seq_gt(out[at - 1].left, b.left)) {
            out[at] = out[at - 1];
            at--;
        }
        out[at] = b;
    }
    return n;
}

/* RFC 8985 6.2 step 4, DSACK part: grow the reordering window once per round with a DSACK,
 * let it decay after 16 DSACK-free recoveries. */
static void update_reo_wnd_state(struct tcp_rtx *rtx, bool dsack, bool exiting_recovery)
{
    if (rtx->rack_dsack_round_valid && tcp_seq_geq(rtx->snd_una, rtx->rack_dsack_round))
        rtx->rack_dsack_round_valid = false;
    if (!rtx->rack_dsack_round_valid && dsack) {
        rtx->rack_dsack_round_valid = true;
        rtx->rack_dsack_round = rtx->snd_nxt;
        rtx->rack_reo_wnd_mult++;
        rtx->rack_reo_wnd_persist = TCP_RTX_REO_WND_PERSIST;
    } else if (exiting_recovery) {
        rtx->rack_reo_wnd_persist--;
        if (rtx->rack_reo_wnd_persist <= 0)
            rtx->rack_reo_wnd_mult = 1;
    }
}

/* RFC 8985 7.4.2 TLP_process_ack. */
static void tlp_process_ack(struct tcp_rtx *rtx, const struct tcp_rtx_ack *ack,
                            struct tcp_rtx_ack_result *res)
{
    if (!rtx->tlp_active || tcp_seq_lt(ack->ack, rtx->tlp_end_seq))
        return;
    if (!rtx->tlp_is_retrans) {
        rtx->tlp_active = false; /* TLP of new data delivered */
    } else if (res->has_dsack && res->dsack.right == rtx->tlp_end_seq) {
        rtx->tlp_active = false; /* case 1: both copies arrived */
    } else if (tcp_seq_gt(ack->ack, rtx->tlp_end_seq)) {
        rtx->tlp_active = false; /* the probe repaired a single loss */
        res->tlp_loss_repaired = true;
    } else if (ack->is_dupack && ack->n_sack == 0) {
        rtx->tlp_active = false; /* case 2 */
    }
}

static int check_ack(struct tcp_rtx *rtx, const struct tcp_rtx_ack *ack)
{
    if (ack == NULL || (ack->n_sack > 0 && ack->sack == NULL))
        return UMPTCP_ERR_INVAL;
    if (!tcp_seq_between(rtx->snd_una, ack->ack, rtx->snd_nxt))
        return UMPTCP_ERR_INVAL;
    /* Each usable block splits at most two entries: reserve that first, so nothing below can
     * fail half-way. */
    size_t blocks = ack->n_sack < WIRE_MAX_SACK_BLOCKS ? ack->n_sack : WIRE_MAX_SACK_BLOCKS;
    return reserve(rtx, 2 * blocks);
}

int tcp_rtx_on_ack(struct tcp_rtx *rtx, const struct tcp_rtx_ack *ack, uint64_t min_rtt_ns,
                   struct tcp_rtx_ack_result *res)
{
    memset(res, 0, sizeof(*res));
    int rc = check_ack(rtx, ack);
    if (rc != 0)
        return rc;
    struct ack_scan sc = {.ack = ack, .min_rtt = min_rtt_ns};
    rtx->rack_min_rtt = min_rtt_ns; /* RFC 8985 6.2 step 1 (the engine's windowed minimum) */
    uint32_t sacked_before = rtx->sacked_bytes;
    size_t first = 0;
    if (first_block_is_dsack(ack)) {
        res->has_dsack = true;
        res->dsack = ack->sack[0];
        rtx->dsacks++;
        first = 1;
    }
    cum_ack(rtx, &sc, ack->ack, res);
    struct wire_sack_block blocks[WIRE_MAX_SACK_BLOCKS];
    size_t n = usable_blocks(rtx, ack, first, blocks, res);
    rtx->invalid_sack_blocks += res->invalid_sack_blocks;
    for (size_t k = 0; k < n; k++)
        sack_range(rtx, &sc, blocks[k].left, blocks[k].right, res);
    /* RFC 6937: DeliveredData = change in SND.UNA + change in SACKed bytes. */
    int64_t delivered = (int64_t)res->acked_bytes + rtx->sacked_bytes - sacked_before;
    res->delivered_bytes = delivered > 0 ? (uint32_t)delivered : 0;
    res->new_sack_info = res->sacked_bytes > 0;
    res->has_high_sacked = rtx->has_high_sacked;
    res->high_sacked = rtx->high_sacked;
    res->acked_retrans = sc.acked_retrans;
    res->retrans_xmit_ts = sc.retrans_xmit_ts;
    if (sc.karn_found) {
        res->has_rtt_sample = true;
        res->rtt_sample_ns = ack->now - sc.karn_xmit_ts;
        rtx->rtt_since_probe = true;
    }
    if (sc.rack_found) { /* RFC 8985 6.2 step 2 */
        rtx->rack_rtt = ack->now - sc.rack_xmit_ts;
        if (!rtx->rack_valid ||
            rtx_sent_after(sc.rack_xmit_ts, sc.rack_end, rtx->rack_xmit_ts, rtx->rack_end_seq)) {
            rtx->rack_valid = true;
            rtx->rack_xmit_ts = sc.rack_xmit_ts;
            rtx->rack_end_seq = sc.rack_end;
        }
    }
    bool exiting = rtx->in_recovery && tcp_seq_geq(ack->ack, rtx->recovery_point);
    if (exiting) { /* RFC 6675 5 (A) */
        rtx->in_recovery = false;
        rtx->rto_recovery = false;
        res->recovery_exited = true;
    }
    update_reo_wnd_state(rtx, res->has_dsack, exiting);
    tlp_process_ack(rtx, ack, res);
    return UMPTCP_OK;
}
