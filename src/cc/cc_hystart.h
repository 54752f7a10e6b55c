/* HyStart++ (RFC 9406): slow start that watches the per-round minimum RTT and, when it has
 * risen by RttThresh, switches to Conservative Slow Start (CSS, growth / 4) for at most
 * CSS_ROUNDS rounds before congestion avoidance, instead of doubling the window into a full
 * queue. Pure and deterministic: integer nanoseconds and bytes, no clock.
 *
 * Use (any algorithm, state inside its priv area): cc_hystart_init() in ops->init (a zeroed
 * struct is NOT a valid initial state), cc_hystart_slow_start() in place of cc_slow_start()
 * on every growing ACK, cc_hystart_on_loss() from ops->on_loss.
 *
 * Scope (RFC 9406 4.2 RECOMMENDED): only the initial slow start, i.e. while ssthresh is still
 * CC_SSTHRESH_INFINITE. Any loss, ECN reduction or RTO, and the end of CSS, turn it off for
 * the rest of the connection; later slow starts (after an RTO, an undo or an idle restart)
 * are plain RFC 5681 slow start up to the ssthresh already discovered.
 *
 * Rounds: the engine reports SND.UNA (after the ACK) and SND.NXT in the ACK event; a round
 * ends when SND.UNA reaches the SND.NXT recorded when it began (RFC 9406 4.2 windowEnd).
 *
 * ABC limit L: RFC 9406 4.2 suggests L = 8 for an unpaced sender. umptcp does not pace and
 * keeps RFC 3465's L = 2 (CC_ABC_L) both in slow start and in CSS: the same growth as with
 * HyStart++ off until the delay signal, and no larger line-rate bursts from stretch ACKs. */
#ifndef UMPTCP_CC_HYSTART_H
#define UMPTCP_CC_HYSTART_H

#include <stdbool.h>
#include <stdint.h>

#include "cc/cc.h"

/* RFC 9406 4.3 constants. */
#define CC_HYSTART_MIN_RTT_THRESH_NS (4 * UINT64_C(1000000))
#define CC_HYSTART_MAX_RTT_THRESH_NS (16 * UINT64_C(1000000))
#define CC_HYSTART_MIN_RTT_DIVISOR 8
#define CC_HYSTART_N_RTT_SAMPLE 8
#define CC_HYSTART_CSS_GROWTH_DIVISOR 4
#define CC_HYSTART_CSS_ROUNDS 5
/* "infinity" for the RTT variables. */
#define CC_HYSTART_RTT_INF UINT64_MAX

struct cc_hystart {
    uint64_t last_round_min_rtt;    /* lastRoundMinRTT, ns */
    uint64_t current_round_min_rtt; /* currentRoundMinRTT, ns */
    uint64_t css_baseline_min_rtt;  /* cssBaselineMinRtt, ns */
    uint32_t window_end;            /* windowEnd: SND.NXT when the current round began */
    uint32_t rtt_sample_count;      /* rttSampleCount in the current round */
    uint32_t css_carry;             /* CSS growth remainder (< CSS_GROWTH_DIVISOR bytes) */
    uint8_t css_round;              /* 0 outside CSS; else rounds of CSS begun, 1..CSS_ROUNDS */
    bool round_started;             /* window_end is meaningful */
    bool done;                      /* HyStart++ is over for this connection */
    /* Observability (tests, statistics): how HyStart++ went. */
    uint32_t css_entries;     /* times CSS was entered */
    uint32_t css_spurious;    /* times CSS found spurious (back to slow start) */
    uint32_t rounds;          /* rounds begun while HyStart++ was active */
    uint64_t last_rtt_thresh; /* RttThresh of the latest check, ns (0: none yet) */
    bool exited_to_ca;        /* CSS ran CSS_ROUNDS rounds and set ssthresh = cwnd */
};

/* Initial values (RFC 9406 4.2 "Initialization"). */
void cc_hystart_init(struct cc_hystart *h);
/* RFC 9406 4.2: RttThresh = max(MIN_RTT_THRESH, min(last_round_min_rtt / 8, MAX_RTT_THRESH)). */
uint64_t cc_hystart_rtt_thresh(uint64_t last_round_min_rtt_ns);
/* Slow start for one ACK (ev->acked_bytes delivered): HyStart++ when ev->hystart is set and
 * it is still active, else exactly cc_slow_start(). Returns the acked bytes that belong to
 * congestion avoidance (as cc_slow_start(); all of them on the ACK that ends CSS). */
uint32_t cc_hystart_slow_start(struct cc_hystart *h, struct cc_state *st,
                               const struct cc_ack_event *ev);
/* RFC 9406 4.2: loss or ECN in slow start or CSS: the usual reaction, HyStart++ ends. */
void cc_hystart_on_loss(struct cc_hystart *h);
/* The HyStart++ state of a socket running a built-in algorithm that uses it (reno, cubic),
 * NULL otherwise. Such an algorithm keeps struct cc_hystart first in its private area and is
 * listed in cc_hystart_of(). For tests, tools and statistics. */
const struct cc_hystart *cc_hystart_of(const struct cc_sock *sk);
static inline bool cc_hystart_in_css(const struct cc_hystart *h)
{
    return h->css_round != 0;
}

#endif
