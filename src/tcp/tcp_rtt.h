/* RTT estimation and the retransmission timeout of one subflow: RFC 6298 (SRTT, RTTVAR, RTO,
 * backoff), RFC 7323 4 / appendix G (per-ACK samples with timestamps, gains divided by the
 * samples expected per RTT), plus the latest sample and a windowed minimum RTT for RACK
 * (RFC 8985 6.2 step 1). All times are nanoseconds; no clock is read here.
 *
 * Minimum RTO: RFC 6298 2.4 says 1 s; Linux uses 200 ms and so does our default, because 1 s
 * makes every timeout on a LAN or data-centre path cost seconds while RACK-TLP (RFC 8985) now
 * covers most tail losses. Set min_rto_ns = 1 s for the RFC's conservative value.
 * Maximum RTO: 120 s like Linux (RFC 6298 2.5 allows any maximum of at least 60 s). */
#ifndef UMPTCP_TCP_TCP_RTT_H
#define UMPTCP_TCP_TCP_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_RTT_NS_PER_MS 1000000ull
#define TCP_RTT_DEFAULT_MIN_RTO_NS (200 * TCP_RTT_NS_PER_MS)
#define TCP_RTT_DEFAULT_MAX_RTO_NS (120000 * TCP_RTT_NS_PER_MS)
#define TCP_RTT_DEFAULT_INITIAL_RTO_NS (1000 * TCP_RTT_NS_PER_MS) /* RFC 6298 2.1 */
#define TCP_RTT_DEFAULT_GRANULARITY_NS (1 * TCP_RTT_NS_PER_MS)    /* G, RFC 6298 2.2 */
#define TCP_RTT_DEFAULT_MIN_RTT_WINDOW_NS (10000 * TCP_RTT_NS_PER_MS)

struct tcp_rtt_config {
    uint64_t min_rto_ns;        /* lower clamp of the RTO (RFC 6298 2.4) */
    uint64_t max_rto_ns;        /* upper clamp, also of the backed-off RTO (2.5, 5.5) */
    uint64_t initial_rto_ns;    /* before any sample (2.1) */
    uint64_t granularity_ns;    /* G in RTO = SRTT + max(G, K*RTTVAR) */
    uint64_t min_rtt_window_ns; /* window of the min-RTT filter */
};

/* Windowed minimum: the window is cut into buckets of window/4; each holds the minimum of the
 * samples taken since its start time t. Buckets entirely older than the window are dropped, so
 * the minimum covers between 1 and 1.25 windows of history. */
#define TCP_RTT_MIN_BUCKETS 6
struct tcp_rtt_minsample {
    uint64_t t, v;
};

struct tcp_rtt {
    struct tcp_rtt_config cfg;
    bool has_sample;
    uint64_t srtt, rttvar; /* ns; valid when has_sample */
    uint64_t latest;       /* most recent sample */
    uint64_t rto_base;     /* RTO without backoff, already clamped */
    unsigned backoff;      /* number of doublings since the last valid sample */
    struct tcp_rtt_minsample min[TCP_RTT_MIN_BUCKETS]; /* oldest first */
    unsigned n_min;
    uint64_t samples; /* samples taken */
};

/* Fills the defaults above. */
void tcp_rtt_config_default(struct tcp_rtt_config *cfg);
/* cfg NULL -> defaults. min_rto > max_rto, a zero or > 2^62 max_rto or window, or a zero
 * initial RTO -> UMPTCP_ERR_INVAL. */
int tcp_rtt_init(struct tcp_rtt *r, const struct tcp_rtt_config *cfg);

/* RFC 7323 appendix G: ExpectedSamples = ceiling(FlightSize / (SMSS * 2)), at least 1: the
 * number of samples per RTT a timestamp sender takes, one per (delayed) ACK. */
unsigned tcp_rtt_expected_samples(uint64_t flight_size, uint32_t smss);

/* Takes one RTT measurement R (ns) made at `now`. expected_samples is 1 for the classic one
 * sample per RTT (Karn-filtered, RFC 6298 3); with timestamps on every ACK pass
 * tcp_rtt_expected_samples(): alpha and beta are divided by it (RFC 7323 G) so SRTT and RTTVAR
 * move per RTT as RFC 6298 intends. The first sample initialises per RFC 6298 2.2, later ones
 * update per 2.3. A valid sample resets the backoff (RFC 6298 5.7 allows keeping it until
 * then; Linux resets it too). A zero rtt is treated as 1 ns. */
void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_ns, uint64_t now, unsigned expected_samples);

/* RFC 6298 5.5: the RTO expired; double the timer (capped at max_rto). */
void tcp_rtt_backoff(struct tcp_rtt *r);
/* Forget the backoff without a sample (e.g. after the path was changed). */
void tcp_rtt_reset_backoff(struct tcp_rtt *r);

/* The RTO to arm now: the base RTO doubled `backoff` times, clamped to [min_rto, max_rto]. */
uint64_t tcp_rtt_rto(const struct tcp_rtt *r);

static inline bool tcp_rtt_has_sample(const struct tcp_rtt *r)
{
    return r->has_sample;
}
/* SRTT / RTTVAR / latest sample; 0 before the first sample. */
static inline uint64_t tcp_rtt_srtt(const struct tcp_rtt *r)
{
    return r->has_sample ? r->srtt : 0;
}
static inline uint64_t tcp_rtt_rttvar(const struct tcp_rtt *r)
{
    return r->has_sample ? r->rttvar : 0;
}
static inline uint64_t tcp_rtt_latest(const struct tcp_rtt *r)
{
    return r->latest;
}
static inline unsigned tcp_rtt_backoff_count(const struct tcp_rtt *r)
{
    return r->backoff;
}
/* Minimum RTT over the last min_rtt_window_ns (as of the last sample); 0 before any sample. */
uint64_t tcp_rtt_min_rtt(const struct tcp_rtt *r);

#endif
