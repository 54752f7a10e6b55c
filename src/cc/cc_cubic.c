/* CUBIC congestion control (RFC 9438), in bytes and integer arithmetic only.
 *
 * Determinism: no floating point. Time inside the cubic function is in microseconds, K is
 * an exact integer cube root (rounded down) and W_cubic is computed in 128-bit
 * intermediates (a small portable multiply/divide below, no compiler extensions), so the
 * same events give the same windows on every platform. Error against the real-valued
 * formula: under one byte from rounding plus K's sub-microsecond truncation.
 *
 * Slow start is Reno's with ABC, and the initial one runs HyStart++ (RFC 9438 4.10
 * recommends it; RFC 9406, src/cc/cc_hystart.h) when the engine asks for it. Fast convergence
 * (4.7) is on. ssthresh uses FlightSize (4.6). cwnd during recovery belongs to PRR; on
 * recovery exit the framework default sets cwnd = ssthresh. */
#include "cc/cc.h"
#include "cc/cc_hystart.h"

#include <stddef.h>

/* RFC 9438 4.6 beta = 0.7; 4.7 (1 + beta) / 2 = 0.85; 4.3 alpha = 3(1-beta)/(1+beta) = 9/17;
 * 4.2 C = 0.4. */
#define CUBIC_BETA_NUM 7
#define CUBIC_BETA_DEN 10
#define CUBIC_FC_NUM 17
#define CUBIC_FC_DEN 20
#define CUBIC_ALPHA_NUM 9
#define CUBIC_ALPHA_DEN 17
#define CUBIC_C_NUM 2
#define CUBIC_C_DEN 5
#define CUBIC_US_PER_S3 UINT64_C(1000000000000000000) /* (1e6 us)^3 */
#define CUBIC_FRAC_BITS 16                            /* fixed point for W_est and cwnd */
#define CUBIC_MAX_DT_US UINT64_C(0xffffffff)          /* |t - K| clamp, ~71 minutes */

/* State that a spurious-loss undo restores (RFC 9438 4.9). */
struct cc_cubic_vars {
    uint64_t epoch_start; /* t_epoch, ns */
    uint64_t k_us;        /* K */
    uint64_t w_est_fp;    /* W_est, bytes << CUBIC_FRAC_BITS */
    uint32_t w_max;
    uint32_t cwnd_prior;
    uint32_t cwnd_epoch;
    bool in_epoch;
};

struct cc_cubic {
    struct cc_hystart hystart; /* first: cc_hystart_of() finds it there */
    struct cc_cubic_vars v;
    struct cc_cubic_vars undo;
    uint64_t app_limited_since; /* ns, valid when app_limited */
    uint32_t cwnd_frac;         /* fractional cwnd increase, 1/65536 bytes */
    bool app_limited;
    bool has_undo;
    bool fast_convergence;
};
_Static_assert(sizeof(struct cc_cubic) <= CC_PRIV_MAX, "cubic state fits in cc_sock");
_Static_assert(offsetof(struct cc_cubic, hystart) == 0, "HyStart++ state comes first");

static struct cc_cubic *cc_cubic_of(struct cc_sock *sk)
{
    return cc_priv(sk);
}

/* ---- 128-bit helpers ---------------------------------------------------------------- */

struct cc_u128 {
    uint64_t hi, lo;
};

static struct cc_u128 cc_u128_mul(uint64_t a, uint64_t b)
{
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t p0 = al * bl, p1 = al * bh, p2 = ah * bl, p3 = ah * bh;
    uint64_t mid = (p0 >> 32) + (uint32_t)p1 + (uint32_t)p2;
    struct cc_u128 r = {p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32), (mid << 32) | (uint32_t)p0};
    return r;
}

static bool cc_u128_le(struct cc_u128 a, struct cc_u128 b)
{
    return a.hi < b.hi || (a.hi == b.hi && a.lo <= b.lo);
}

/* n / d (d != 0), full 128-bit quotient, by shift and subtract. */
static struct cc_u128 cc_u128_div(struct cc_u128 n, uint64_t d)
{
    struct cc_u128 q = {n.hi / d, 0};
    uint64_t rem = n.hi % d;
    for (int i = 63; i >= 0; i--) {
        bool carry = (rem >> 63) != 0;
        rem = (rem << 1) | ((n.lo >> i) & 1);
        q.lo <<= 1;
        if (carry || rem >= d) {
            rem -= d; /* wraps correctly when carry: the true value is below 2*d */
            q.lo |= 1;
        }
    }
    return q;
}

/* floor(a * b / d), saturated to UINT64_MAX. */
static uint64_t cc_mul_div(uint64_t a, uint64_t b, uint64_t d)
{
    struct cc_u128 q = cc_u128_div(cc_u128_mul(a, b), d);
    return q.hi != 0 ? UINT64_MAX : q.lo;
}

/* Largest k < 2^32 with k^3 <= x. */
static uint64_t cc_icbrt(struct cc_u128 x)
{
    uint64_t lo = 0, hi = UINT64_C(1) << 32;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (cc_u128_le(cc_u128_mul(mid * mid, mid), x))
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* ---- the cubic function -------------------------------------------------------------- */

uint64_t cc_cubic_k_us(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss)
{
    if (cwnd_epoch >= w_max || mss == 0)
        return 0;
    /* RFC 9438 eq. 2 in bytes and us: K^3 = (W_max - cwnd_epoch) * 1e18 / (C * mss). */
    uint64_t gap = (uint64_t)(w_max - cwnd_epoch);
    struct cc_u128 num = cc_u128_mul(gap * CUBIC_C_DEN, CUBIC_US_PER_S3);
    return cc_icbrt(cc_u128_div(num, (uint64_t)CUBIC_C_NUM * mss));
}

uint32_t cc_cubic_window(uint32_t w_max, uint64_t k_us, uint64_t t_us, uint32_t mss)
{
    /* RFC 9438 eq. 1 in bytes: W_max + C * mss * (t - K)^3 / 1e18 (t, K in us). */
    bool above = t_us >= k_us;
    uint64_t dt = above ? t_us - k_us : k_us - t_us;
    if (dt > CUBIC_MAX_DT_US)
        dt = CUBIC_MAX_DT_US;
    if (mss > CC_CWND_MAX / 16) /* cc_sock_init()'s bound; keeps dt * 2 * mss in 64 bits */
        mss = CC_CWND_MAX / 16;
    struct cc_u128 num = cc_u128_mul(dt * dt, dt * CUBIC_C_NUM * (uint64_t)mss);
    struct cc_u128 off = cc_u128_div(num, CUBIC_C_DEN * CUBIC_US_PER_S3);
    uint64_t offset = off.hi != 0 ? UINT64_MAX : off.lo;
    if (!above)
        return offset >= w_max ? 0 : (uint32_t)(w_max - offset);
    uint64_t w = (uint64_t)w_max + (offset > CC_CWND_MAX ? CC_CWND_MAX : offset);
    return w > CC_CWND_MAX ? CC_CWND_MAX : (uint32_t)w;
}

/* ---- congestion avoidance ------------------------------------------------------------ */

static void cc_cubic_epoch_start(struct cc_sock *sk, uint64_t now)
{
    struct cc_cubic *c = cc_cubic_of(sk);
    uint32_t cwnd = sk->st.cwnd;
    c->v.in_epoch = true;
    c->v.epoch_start = now;
    c->v.cwnd_epoch = cwnd;
    c->v.w_est_fp = (uint64_t)cwnd << CUBIC_FRAC_BITS; /* 4.3: W_est = cwnd_epoch */
    c->cwnd_frac = 0;
    if (cwnd < c->v.w_max) {
        c->v.k_us = cc_cubic_k_us(c->v.w_max, cwnd, sk->st.mss);
    } else {
        /* 4.8 / 4.10: no useful W_max (first CA stage, or after a timeout): K = 0 and
         * W_max = cwnd at the start of the stage. */
        c->v.k_us = 0;
        c->v.w_max = cwnd;
    }
}

/* 4.3: W_est += alpha * segments_acked / cwnd (in bytes: alpha * acked * mss / cwnd);
 * alpha becomes 1 once W_est >= cwnd_prior. */
static void cc_cubic_update_w_est(struct cc_sock *sk, uint32_t acked)
{
    struct cc_cubic *c = cc_cubic_of(sk);
    bool reno_rate = (c->v.w_est_fp >> CUBIC_FRAC_BITS) >= c->v.cwnd_prior;
    uint64_t a_num = reno_rate ? 1 : CUBIC_ALPHA_NUM, a_den = reno_rate ? 1 : CUBIC_ALPHA_DEN;
    uint64_t inc = cc_mul_div((uint64_t)acked * a_num, (uint64_t)sk->st.mss << CUBIC_FRAC_BITS,
                              a_den * sk->st.cwnd);
    uint64_t cap = (uint64_t)CC_CWND_MAX << CUBIC_FRAC_BITS;
    c->v.w_est_fp = inc >= cap - c->v.w_est_fp ? cap : c->v.w_est_fp + inc;
}

/* 4.4 / 4.5: cwnd += (target - cwnd) / cwnd per segment acked, i.e. (target - cwnd) *
 * acked / cwnd bytes, with the fraction carried to the next ACK. */
static void cc_cubic_grow_towards(struct cc_sock *sk, uint64_t target, uint32_t acked)
{
    struct cc_cubic *c = cc_cubic_of(sk);
    uint32_t cwnd = sk->st.cwnd;
    if (target <= cwnd)
        return;
    uint64_t inc = cc_mul_div(target - cwnd, (uint64_t)acked << CUBIC_FRAC_BITS, cwnd);
    if (inc > ((uint64_t)CC_CWND_MAX << CUBIC_FRAC_BITS))
        inc = (uint64_t)CC_CWND_MAX << CUBIC_FRAC_BITS;
    inc += c->cwnd_frac;
    uint64_t bytes = inc >> CUBIC_FRAC_BITS;
    if (bytes > target - cwnd) /* never overshoot the target on one ACK */
        bytes = target - cwnd;
    c->cwnd_frac = (uint32_t)(inc & ((1u << CUBIC_FRAC_BITS) - 1));
    sk->st.cwnd = cc_clamp_cwnd(&sk->st, (uint64_t)cwnd + bytes);
}

static void cc_cubic_cong_avoid(struct cc_sock *sk, uint64_t now, uint32_t acked)
{
    struct cc_cubic *c = cc_cubic_of(sk);
    if (!c->v.in_epoch)
        cc_cubic_epoch_start(sk, now);
    uint64_t t_us = now > c->v.epoch_start ? (now - c->v.epoch_start) / 1000 : 0;
    uint64_t rtt_us = sk->srtt_ns / 1000;
    uint32_t mss = sk->st.mss, cwnd = sk->st.cwnd;

    /* 4.2: target = W_cubic(t + RTT) bounded to [cwnd, 1.5 * cwnd]. */
    uint64_t target = cc_cubic_window(c->v.w_max, c->v.k_us, t_us + rtt_us, mss);
    if (target < cwnd)
        target = cwnd;
    if (target > (uint64_t)cwnd + cwnd / 2)
        target = (uint64_t)cwnd + cwnd / 2;

    cc_cubic_update_w_est(sk, acked);
    uint32_t w_est = (uint32_t)(c->v.w_est_fp >> CUBIC_FRAC_BITS);
    if (cc_cubic_window(c->v.w_max, c->v.k_us, t_us, mss) < w_est) {
        /* 4.3 Reno-friendly region: cwnd = W_est (never lowered on an ACK). */
        if (w_est > sk->st.cwnd)
            sk->st.cwnd = cc_clamp_cwnd(&sk->st, w_est);
        return;
    }
    cc_cubic_grow_towards(sk, target, acked); /* concave (cwnd < W_max) or convex region */
}

/* 5.8 / 4.2: t excludes application-limited periods, so the epoch moves forward by their
 * length. */
static void cc_cubic_shift_epoch(struct cc_cubic *c, uint64_t now, uint64_t by)
{
    if (!c->v.in_epoch)
        return;
    uint64_t room = now > c->v.epoch_start ? now - c->v.epoch_start : 0;
    c->v.epoch_start += by < room ? by : room;
}

static void cc_cubic_on_ack(struct cc_sock *sk, const struct cc_ack_event *ev)
{
    struct cc_cubic *c = cc_cubic_of(sk);
    if (ev->in_recovery || ev->acked_bytes == 0)
        return;
    if (ev->app_limited) {
        /* 5.8: no growth while application limited; remember when it began. */
        if (!c->app_limited) {
            c->app_limited = true;
            c->app_limited_since = ev->now;
        }
        return;
    }
    if (c->app_limited) {
        c->app_limited = false;
        cc_cubic_shift_epoch(c, ev->now, ev->now - c->app_limited_since);
    }
    uint32_t acked = cc_hystart_slow_start(&c->hystart, &sk->st, ev);
    if (acked != 0)
        cc_cubic_cong_avoid(sk, ev->now, acked);
}

/* ---- congestion events ---------------------------------------------------------------- */

static uint32_t cc_cubic_ssthresh(uint32_t flight, uint32_t mss)
{
    /* 4.6 Figure 5: ssthresh = max(flight_size * beta, 2 * SMSS). */
    uint64_t v = (uint64_t)flight * CUBIC_BETA_NUM / CUBIC_BETA_DEN;
    uint64_t floor = 2 * (uint64_t)mss;
    v = v > floor ? v : floor;
    return v > CC_CWND_MAX ? CC_CWND_MAX : (uint32_t)v;
}

static void cc_cubic_on_loss(struct cc_sock *sk, const struct cc_loss_event *ev)
{
    struct cc_cubic *c = cc_cubic_of(sk);
    bool repeat = ev->kind == CC_LOSS_RTO && ev->rto_repeat;
    if (!repeat) {
        c->undo = c->v; /* 4.9: saved before the reduction */
        c->has_undo = true;
    }
    c->v.in_epoch = false;
    c->cwnd_frac = 0;
    cc_hystart_on_loss(&c->hystart); /* RFC 9406 4.2: the usual reaction, HyStart++ ends */
    uint32_t cwnd = sk->st.cwnd;
    if (ev->kind == CC_LOSS_RTO) {
        /* 4.8: Reno's loss window, beta for ssthresh; the next CA stage uses K = 0 and
         * W_max = its starting cwnd (W_max = 0 makes cc_cubic_epoch_start do that). A
         * repeated timeout holds ssthresh (RFC 5681 3.1). */
        if (!repeat) {
            c->v.cwnd_prior = cwnd;
            sk->st.ssthresh = cc_cubic_ssthresh(ev->bytes_in_flight, sk->st.mss);
        }
        c->v.w_max = 0;
        sk->st.cwnd = cc_clamp_cwnd(&sk->st, sk->st.mss);
        return;
    }
    /* 4.7 fast convergence, then 4.6 multiplicative decrease (cwnd itself goes down
     * through PRR in the engine). */
    if (c->fast_convergence && cwnd < c->v.w_max)
        c->v.w_max = (uint32_t)((uint64_t)cwnd * CUBIC_FC_NUM / CUBIC_FC_DEN);
    else
        c->v.w_max = cwnd;
    c->v.cwnd_prior = cwnd;
    sk->st.ssthresh = cc_cubic_ssthresh(ev->bytes_in_flight, sk->st.mss);
}

static void cc_cubic_on_idle_restart(struct cc_sock *sk, const struct cc_idle_event *ev)
{
    struct cc_cubic *c = cc_cubic_of(sk);
    /* RFC 5681 4.1: idle longer than the RTO restarts from RW = min(IW, cwnd). If that
     * lowered cwnd, the next CA stage starts a fresh epoch. */
    if (ev->idle_ns > ev->rto_ns) {
        uint32_t rw = cc_restart_window(&sk->st);
        if (rw < sk->st.cwnd) {
            sk->st.cwnd = rw;
            c->v.in_epoch = false;
            c->app_limited = false;
            return;
        }
    }
    /* 5.8: the idle time must not count in t. An open application-limited stretch
     * already covers it (it began before the idle period). */
    if (!c->app_limited)
        cc_cubic_shift_epoch(c, ev->now, ev->idle_ns);
}

static void cc_cubic_undo(struct cc_sock *sk, const struct cc_undo_event *ev)
{
    struct cc_cubic *c = cc_cubic_of(sk);
    (void)ev;
    /* 4.9: restore only if cwnd is still below cwnd_prior; otherwise keep going. */
    if (!c->has_undo || sk->st.cwnd >= c->v.cwnd_prior)
        return;
    sk->st.cwnd = cc_clamp_cwnd(&sk->st, sk->st.prior_cwnd);
    sk->st.ssthresh = sk->st.prior_ssthresh;
    c->v = c->undo;
    c->cwnd_frac = 0;
    c->has_undo = false;
}

static void cc_cubic_init(struct cc_sock *sk, uint64_t now)
{
    struct cc_cubic *c = cc_cubic_of(sk);
    (void)now;
    c->fast_convergence = true; /* 4.7 SHOULD; we cannot know we are alone on the path */
    cc_hystart_init(&c->hystart);
}

int cc_cubic_get_info(const struct cc_sock *sk, struct cc_cubic_info *out)
{
    if (sk == NULL || out == NULL || sk->ops != &cc_cubic_ops)
        return UMPTCP_ERR_INVAL;
    const struct cc_cubic *c = (const struct cc_cubic *)(const void *)sk->priv;
    out->w_max = c->v.w_max;
    out->cwnd_prior = c->v.cwnd_prior;
    out->cwnd_epoch = c->v.cwnd_epoch;
    out->w_est = (uint32_t)(c->v.w_est_fp >> CUBIC_FRAC_BITS);
    out->k_us = c->v.k_us;
    out->epoch_start = c->v.epoch_start;
    out->in_epoch = c->v.in_epoch;
    return UMPTCP_OK;
}

const struct cc_ops cc_cubic_ops = {
    .name = "cubic",
    .priv_size = sizeof(struct cc_cubic),
    .coupled = false,
    .init = cc_cubic_init,
    .on_ack = cc_cubic_on_ack,
    .on_loss = cc_cubic_on_loss,
    .on_idle_restart = cc_cubic_on_idle_restart,
    .undo = cc_cubic_undo,
};
