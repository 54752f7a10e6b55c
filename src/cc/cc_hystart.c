/* HyStart++ (RFC 9406 4.2) on top of the framework's slow start; see cc_hystart.h. */
#include "cc/cc_hystart.h"

void cc_hystart_init(struct cc_hystart *h)
{
    *h = (struct cc_hystart){
        .last_round_min_rtt = CC_HYSTART_RTT_INF,
        .current_round_min_rtt = CC_HYSTART_RTT_INF,
        .css_baseline_min_rtt = CC_HYSTART_RTT_INF,
    };
}

uint64_t cc_hystart_rtt_thresh(uint64_t last_round_min_rtt_ns)
{
    uint64_t t = last_round_min_rtt_ns / CC_HYSTART_MIN_RTT_DIVISOR;
    if (t > CC_HYSTART_MAX_RTT_THRESH_NS)
        t = CC_HYSTART_MAX_RTT_THRESH_NS;
    if (t < CC_HYSTART_MIN_RTT_THRESH_NS)
        t = CC_HYSTART_MIN_RTT_THRESH_NS;
    return t;
}

void cc_hystart_on_loss(struct cc_hystart *h)
{
    h->done = true;
    h->css_round = 0;
}

/* Sequence numbers compare modulo 2^32 (RFC 9293 3.4). */
static bool cc_hystart_seq_geq(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0;
}

/* RFC 9406 4.2: a round ends once an ACK covers windowEnd. Returns false when CSS has just
 * run its CSS_ROUNDS rounds and slow start is over (ssthresh = cwnd). */
static bool cc_hystart_round(struct cc_hystart *h, struct cc_state *st,
                             const struct cc_ack_event *ev)
{
    if (h->round_started && !cc_hystart_seq_geq(ev->snd_una, h->window_end))
        return true;
    if (h->css_round != 0) {
        /* The partial round in which CSS began counts toward CSS_ROUNDS. */
        if (h->css_round >= CC_HYSTART_CSS_ROUNDS) {
            st->ssthresh = st->cwnd;
            h->css_round = 0;
            h->done = true;
            h->exited_to_ca = true;
            return false;
        }
        h->css_round++;
    }
    h->last_round_min_rtt = h->current_round_min_rtt;
    h->current_round_min_rtt = CC_HYSTART_RTT_INF;
    h->rtt_sample_count = 0;
    h->window_end = ev->snd_nxt;
    h->round_started = true;
    h->rounds++;
    return true;
}

/* RFC 9406 4.2: cwnd += min(N, L*SMSS), divided by CSS_GROWTH_DIVISOR in CSS (the
 * remainder is carried, so CSS grows by exactly a quarter of what slow start would). */
static void cc_hystart_grow(struct cc_hystart *h, struct cc_state *st, uint32_t acked)
{
    uint64_t limit = (uint64_t)CC_ABC_L * st->mss;
    uint64_t inc = acked < limit ? acked : limit;
    if (h->css_round != 0) {
        inc += h->css_carry;
        h->css_carry = (uint32_t)(inc % CC_HYSTART_CSS_GROWTH_DIVISOR);
        inc /= CC_HYSTART_CSS_GROWTH_DIVISOR;
    }
    st->cwnd = cc_clamp_cwnd(st, (uint64_t)st->cwnd + inc);
}

/* RFC 9406 4.2: with N_RTT_SAMPLE samples in the round, a min RTT risen by RttThresh over
 * the last round's enters CSS; in CSS, a min RTT back below the baseline means the exit was
 * spurious and slow start resumes. */
static void cc_hystart_check(struct cc_hystart *h)
{
    if (h->rtt_sample_count < CC_HYSTART_N_RTT_SAMPLE ||
        h->current_round_min_rtt == CC_HYSTART_RTT_INF)
        return;
    if (h->css_round == 0) {
        if (h->last_round_min_rtt == CC_HYSTART_RTT_INF)
            return;
        uint64_t thresh = cc_hystart_rtt_thresh(h->last_round_min_rtt);
        h->last_rtt_thresh = thresh;
        if (h->current_round_min_rtt >= h->last_round_min_rtt + thresh) {
            h->css_baseline_min_rtt = h->current_round_min_rtt;
            h->css_round = 1;
            h->css_carry = 0;
            h->css_entries++;
        }
    } else if (h->current_round_min_rtt < h->css_baseline_min_rtt) {
        h->css_baseline_min_rtt = CC_HYSTART_RTT_INF;
        h->css_round = 0;
        h->css_spurious++;
    }
}

uint32_t cc_hystart_slow_start(struct cc_hystart *h, struct cc_state *st,
                               const struct cc_ack_event *ev)
{
    /* Initial slow start only (RFC 9406 4.2 RECOMMENDED); otherwise plain RFC 5681. */
    if (!ev->hystart || h->done || st->ssthresh != CC_SSTHRESH_INFINITE)
        return cc_slow_start(st, ev->acked_bytes);
    if (!cc_hystart_round(h, st, ev))
        return ev->acked_bytes; /* CSS is over: this ACK already counts in CA */
    cc_hystart_grow(h, st, ev->acked_bytes);
    if (ev->rtt_ns != 0) {
        if (ev->rtt_ns < h->current_round_min_rtt)
            h->current_round_min_rtt = ev->rtt_ns;
        h->rtt_sample_count++;
    }
    cc_hystart_check(h);
    return 0;
}

const struct cc_hystart *cc_hystart_of(const struct cc_sock *sk)
{
    if (sk == NULL || (sk->ops != &cc_reno_ops && sk->ops != &cc_cubic_ops))
        return NULL;
    return (const struct cc_hystart *)(const void *)sk->priv;
}
