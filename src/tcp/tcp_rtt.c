/* RTT estimator and RTO (RFC 6298, RFC 7323 appendix G); see tcp_rtt.h. Integer nanoseconds:
 * each update is one rounded-down division of the exact weighted sum, e.g.
 * SRTT = (7*SRTT + R) / 8, so hand-computed values match exactly. */
#include "tcp/tcp_rtt.h"

#include "umptcp/error.h"

#include <stddef.h>
#include <string.h>

#define RTT_MAX_SAMPLE_NS (1ull << 42) /* ~73 minutes: keeps the weighted sums in 64 bits */
#define RTT_MAX_EXPECTED 65536u

void tcp_rtt_config_default(struct tcp_rtt_config *cfg)
{
    cfg->min_rto_ns = TCP_RTT_DEFAULT_MIN_RTO_NS;
    cfg->max_rto_ns = TCP_RTT_DEFAULT_MAX_RTO_NS;
    cfg->initial_rto_ns = TCP_RTT_DEFAULT_INITIAL_RTO_NS;
    cfg->granularity_ns = TCP_RTT_DEFAULT_GRANULARITY_NS;
    cfg->min_rtt_window_ns = TCP_RTT_DEFAULT_MIN_RTT_WINDOW_NS;
}

static uint64_t clamp_rto(const struct tcp_rtt *r, uint64_t rto)
{
    if (rto < r->cfg.min_rto_ns)
        rto = r->cfg.min_rto_ns; /* RFC 6298 2.4 */
    if (rto > r->cfg.max_rto_ns)
        rto = r->cfg.max_rto_ns; /* RFC 6298 2.5 */
    return rto;
}

int tcp_rtt_init(struct tcp_rtt *r, const struct tcp_rtt_config *cfg)
{
    if (r == NULL)
        return UMPTCP_ERR_INVAL;
    struct tcp_rtt_config c;
    if (cfg != NULL)
        c = *cfg;
    else
        tcp_rtt_config_default(&c);
    if (c.max_rto_ns == 0 || c.max_rto_ns > (1ull << 62) || c.min_rto_ns > c.max_rto_ns ||
        c.initial_rto_ns == 0 || c.min_rtt_window_ns == 0 || c.min_rtt_window_ns > (1ull << 62))
        return UMPTCP_ERR_INVAL;
    memset(r, 0, sizeof(*r));
    r->cfg = c;
    /* RFC 6298 2.1: RTO = 1 s (configurable) until a measurement is made. */
    r->rto_base = clamp_rto(r, c.initial_rto_ns);
    return UMPTCP_OK;
}

unsigned tcp_rtt_expected_samples(uint64_t flight_size, uint32_t smss)
{
    if (smss == 0)
        return 1;
    uint64_t per = 2ull * smss;
    uint64_t e = (flight_size + per - 1) / per; /* ceiling(FlightSize / (SMSS * 2)) */
    if (e < 1)
        e = 1;
    if (e > RTT_MAX_EXPECTED)
        e = RTT_MAX_EXPECTED;
    return (unsigned)e;
}

static void min_filter_update(struct tcp_rtt *r, uint64_t now, uint64_t v)
{
    uint64_t w = r->cfg.min_rtt_window_ns;
    uint64_t span = w / 4 ? w / 4 : 1;
    /* Drop buckets whose every sample is older than the window. */
    unsigned drop = 0;
    while (drop < r->n_min && now >= r->min[drop].t && now - r->min[drop].t >= span + w)
        drop++;
    if (drop > 0) {
        memmove(r->min, r->min + drop, (r->n_min - drop) * sizeof(r->min[0]));
        r->n_min -= drop;
    }
    struct tcp_rtt_minsample *last = r->n_min ? &r->min[r->n_min - 1] : NULL;
    if (last != NULL && (now < last->t || now - last->t < span)) {
        if (v < last->v)
            last->v = v;
        return;
    }
    if (r->n_min == TCP_RTT_MIN_BUCKETS) {
        memmove(r->min, r->min + 1, (r->n_min - 1) * sizeof(r->min[0]));
        r->n_min--;
    }
    r->min[r->n_min++] = (struct tcp_rtt_minsample){now, v};
}

uint64_t tcp_rtt_min_rtt(const struct tcp_rtt *r)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < r->n_min; i++)
        if (m == 0 || r->min[i].v < m)
            m = r->min[i].v;
    return m;
}

static uint64_t abs_diff(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_ns, uint64_t now, unsigned expected_samples)
{
    uint64_t rtt = rtt_ns ? rtt_ns : 1;
    if (rtt > RTT_MAX_SAMPLE_NS)
        rtt = RTT_MAX_SAMPLE_NS;
    uint64_t e = expected_samples ? expected_samples : 1;
    if (e > RTT_MAX_EXPECTED)
        e = RTT_MAX_EXPECTED;
    if (!r->has_sample) {
        /* RFC 6298 2.2: SRTT = R, RTTVAR = R/2. */
        r->srtt = rtt;
        r->rttvar = rtt / 2;
        r->has_sample = true;
    } else {
        /* RFC 6298 2.3 with RFC 7323 G: alpha' = 1/(8E), beta' = 1/(4E); RTTVAR uses the old
         * SRTT. RTTVAR = (1 - beta') RTTVAR + beta' |SRTT - R|, SRTT = (1 - alpha') SRTT +
         * alpha' R. */
        uint64_t dev = abs_diff(r->srtt, rtt);
        r->rttvar = (r->rttvar * (4 * e - 1) + dev) / (4 * e);
        r->srtt = (r->srtt * (8 * e - 1) + rtt) / (8 * e);
    }
    /* RTO = SRTT + max(G, K*RTTVAR), K = 4. */
    uint64_t var = 4 * r->rttvar;
    if (var < r->cfg.granularity_ns)
        var = r->cfg.granularity_ns;
    r->rto_base = clamp_rto(r, r->srtt + var);
    r->backoff = 0;
    r->latest = rtt;
    r->samples++;
    min_filter_update(r, now, rtt);
}

void tcp_rtt_backoff(struct tcp_rtt *r)
{
    /* RFC 6298 5.5: RTO = RTO * 2; the count saturates, the value is capped in tcp_rtt_rto. */
    if (r->backoff < 64)
        r->backoff++;
}

void tcp_rtt_reset_backoff(struct tcp_rtt *r)
{
    r->backoff = 0;
}

uint64_t tcp_rtt_rto(const struct tcp_rtt *r)
{
    uint64_t rto = r->rto_base;
    for (unsigned i = 0; i < r->backoff && rto < r->cfg.max_rto_ns; i++)
        rto *= 2; /* rto <= max_rto < 2^63 before doubling: no overflow */
    return clamp_rto(r, rto);
}
