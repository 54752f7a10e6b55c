/* Proportional Rate Reduction, RFC 6937 section 3 (PRR-SSRB / PRR-CRB) and the RFC 9937
 * section 6 refinement (SafeACK bound selection, forced first retransmission). */
#include "tcp/tcp_prr.h"

#include <string.h>

void tcp_prr_start(struct tcp_prr *prr, uint32_t ssthresh, uint32_t recover_fs, uint32_t mss,
                   enum tcp_prr_bound bound)
{
    /* RFC 6937 3: prr_delivered = prr_out = 0, RecoverFS = FlightSize at the start. */
    memset(prr, 0, sizeof(*prr));
    prr->ssthresh = ssthresh;
    prr->recover_fs = recover_fs != 0 ? recover_fs : 1; /* a divisor; 0 would be no flight */
    prr->mss = mss != 0 ? mss : 1;
    prr->bound = bound;
    prr->active = true;
}

/* CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out, floored at 0. RFC 6937 counts in
 * segments, so the CEIL is taken at segment granularity: the cumulative allowance is
 * rounded up to a whole MSS. */
static uint64_t tcp_prr_proportional(const struct tcp_prr *prr)
{
    uint64_t delivered = prr->prr_delivered > UINT32_MAX ? UINT32_MAX : prr->prr_delivered;
    uint64_t num = delivered * prr->ssthresh;
    uint64_t den = (uint64_t)prr->recover_fs * prr->mss;
    uint64_t segs = num / den + (num % den != 0);
    uint64_t out = segs * prr->mss;
    return out > prr->prr_out ? out - prr->prr_out : 0;
}

static uint64_t tcp_prr_banked(const struct tcp_prr *prr)
{
    return prr->prr_delivered > prr->prr_out ? prr->prr_delivered - prr->prr_out : 0;
}

/* The reduction bound once pipe <= ssthresh. */
static uint64_t tcp_prr_limit(const struct tcp_prr *prr, uint32_t delivered, bool safe_ack)
{
    uint64_t banked = tcp_prr_banked(prr);
    switch (prr->bound) {
    case TCP_PRR_CRB:
        /* RFC 6937 3: limit = prr_delivered - prr_out. */
        return banked;
    case TCP_PRR_SAFEACK: {
        /* RFC 9937 6.2: MAX(prr_delivered - prr_out, DeliveredData), + SMSS on SafeACK. */
        uint64_t limit = banked > delivered ? banked : delivered;
        return safe_ack ? limit + prr->mss : limit;
    }
    case TCP_PRR_SSRB:
    default:
        /* RFC 6937 3: limit = MAX(prr_delivered - prr_out, DeliveredData) + MSS. */
        return (banked > delivered ? banked : delivered) + prr->mss;
    }
}

uint32_t tcp_prr_on_ack_progress(struct tcp_prr *prr, uint32_t delivered, uint32_t pipe,
                                 bool safe_ack)
{
    if (prr == NULL || !prr->active)
        return 0;
    bool rfc9937 = prr->bound == TCP_PRR_SAFEACK;
    if (rfc9937 && delivered == 0)
        return 0; /* RFC 9937 6.2: nothing delivered, nothing to send */
    prr->prr_delivered += delivered;
    uint64_t sndcnt;
    if (pipe > prr->ssthresh) {
        sndcnt = tcp_prr_proportional(prr); /* proportional rate reduction */
    } else {
        uint64_t room = prr->ssthresh - pipe; /* attempt to catch up, as permitted */
        uint64_t limit = tcp_prr_limit(prr, delivered, safe_ack);
        sndcnt = room < limit ? room : limit;
        sndcnt -= sndcnt % prr->mss; /* whole segments: never past the bound */
    }
    /* RFC 9937 6.2: the first ACK of the episode always allows the fast retransmit. */
    if (rfc9937 && prr->prr_out == 0 && sndcnt == 0)
        sndcnt = prr->mss;
    return sndcnt > UINT32_MAX ? UINT32_MAX : (uint32_t)sndcnt;
}

uint32_t tcp_prr_on_ack(struct tcp_prr *prr, uint32_t delivered, uint32_t pipe)
{
    return tcp_prr_on_ack_progress(prr, delivered, pipe, false);
}

void tcp_prr_on_send(struct tcp_prr *prr, uint32_t bytes)
{
    /* RFC 6937 3: prr_out += (data sent). */
    if (prr != NULL && prr->active)
        prr->prr_out += bytes;
}

uint32_t tcp_prr_end(struct tcp_prr *prr)
{
    /* RFC 6937 3 / RFC 9937 6.4: on completion, cwnd = ssthresh. */
    prr->active = false;
    return prr->ssthresh;
}
