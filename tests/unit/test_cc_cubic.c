/* CUBIC (src/cc/cc_cubic.c) against RFC 9438. The test recomputes the RFC formulas in
 * double precision with its own cube root; the code under test uses integer arithmetic,
 * so values agree within a byte (or a microsecond for K). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "cc/cc.h"

#include <string.h>

#define MSS 1000u
#define MS 1000000ull
#define SEC 1000000000ull

/* RFC 9438 constants, as the RFC states them. */
static const double C = 0.4, BETA = 0.7;

static double cube_root(double a)
{
    /* Newton's method (no libm): x <- (2x + a/x^2) / 3. */
    if (a <= 0)
        return 0;
    double x = a > 1 ? a : 1;
    for (int i = 0; i < 200; i++)
        x = (2 * x + a / (x * x)) / 3;
    return x;
}

static double fabs_d(double v)
{
    return v < 0 ? -v : v;
}

/* Eq. 2, in seconds, windows in bytes. */
static double rfc_k(double w_max, double cwnd_epoch, double mss)
{
    return cube_root((w_max - cwnd_epoch) / mss / C);
}

/* Eq. 1, in bytes, t and K in seconds. */
static double rfc_w(double w_max, double k, double t, double mss)
{
    double d = t - k;
    return w_max + C * mss * d * d * d;
}

static void cubic_init(struct cc_sock *sk)
{
    assert_int_equal(cc_sock_init(sk, &cc_cubic_ops, NULL, MSS, 0), UMPTCP_OK);
}

static void ack(struct cc_sock *sk, uint64_t now, uint32_t bytes, uint64_t srtt)
{
    struct cc_ack_event ev = {.now = now, .acked_bytes = bytes, .rtt_ns = srtt, .srtt_ns = srtt};
    cc_on_ack(sk, &ev);
}

static void loss(struct cc_sock *sk, uint64_t now, enum cc_loss_kind kind, uint32_t flight)
{
    struct cc_loss_event ev = {.now = now, .kind = kind, .bytes_in_flight = flight};
    cc_on_loss(sk, &ev);
}

static void exit_recovery(struct cc_sock *sk, uint64_t now)
{
    struct cc_exit_event ev = {.now = now};
    cc_on_recovery_exit(sk, &ev);
}

static struct cc_cubic_info info(const struct cc_sock *sk)
{
    struct cc_cubic_info i;
    assert_int_equal(cc_cubic_get_info(sk, &i), UMPTCP_OK);
    return i;
}

/* Slow start to 160 MSS (IW 10, four doubling rounds), then a fast-retransmit loss with
 * the whole window in flight, then recovery exit: W_max = 160 MSS, cwnd = ssthresh =
 * 0.7 * 160 = 112 MSS. */
static void cubic_after_first_loss(struct cc_sock *sk, uint64_t now)
{
    cubic_init(sk);
    for (int r = 0; r < 4; r++) {
        uint32_t w = sk->st.cwnd;
        for (uint32_t i = 0; i < w / MSS; i++)
            ack(sk, 0, MSS, 100 * MS);
    }
    assert_int_equal(sk->st.cwnd, 160 * MSS);
    loss(sk, now, CC_LOSS_FAST, 160 * MSS);
    exit_recovery(sk, now);
}

static void test_k_matches_eq2(void **state)
{
    (void)state;
    const struct {
        uint32_t w_max, cwnd_epoch, mss;
    } cases[] = {
        {160000, 112000, 1000},  {100 * 1460, 70 * 1460, 1460}, {10000, 7000, 1000},
        {1000000, 700000, 1448}, {CC_CWND_MAX, 2, 1},           {5000, 4999, 536},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double k = rfc_k(cases[i].w_max, cases[i].cwnd_epoch, cases[i].mss) * 1e6;
        double got = (double)cc_cubic_k_us(cases[i].w_max, cases[i].cwnd_epoch, cases[i].mss);
        if (fabs_d(got - k) > 1.0)
            fail_msg("case %zu: K %.0f us, eq. 2 gives %.3f us", i, got, k);
    }
    /* cbrt(48 MSS / 0.4) = cbrt(120) s = 4.9324 s. */
    assert_int_equal(cc_cubic_k_us(160000, 112000, 1000) / 1000, 4932);
    /* No gap, no K. */
    assert_int_equal(cc_cubic_k_us(1000, 1000, 1000), 0);
    assert_int_equal(cc_cubic_k_us(1000, 2000, 1000), 0);
}

static void test_w_cubic_matches_eq1(void **state)
{
    (void)state;
    const uint32_t w_max = 160000, mss = 1000;
    uint64_t k_us = cc_cubic_k_us(w_max, 112000, mss);
    double k = rfc_k(w_max, 112000, mss);
    const double ts[] = {0, 0.1, 1, 2.5, 4, 4.9, 4.9324, 5, 6, 8, 10, 15};
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        double want = rfc_w(w_max, k, ts[i], mss);
        double got = cc_cubic_window(w_max, k_us, (uint64_t)(ts[i] * 1e6 + 0.5), mss);
        if (fabs_d(got - want) > 1.0)
            fail_msg("t=%.4f: W %.0f, eq. 1 gives %.2f", ts[i], got, want);
    }
    /* At t = 0 the curve starts at cwnd_epoch, at t = K it is W_max. */
    assert_true(fabs_d(cc_cubic_window(w_max, k_us, 0, mss) - 112000.0) <= 1.0);
    assert_int_equal(cc_cubic_window(w_max, k_us, k_us, mss), w_max);
    /* Far outside: clamped, no overflow. */
    assert_int_equal(cc_cubic_window(w_max, 0, UINT64_MAX, mss), CC_CWND_MAX);
    assert_int_equal(cc_cubic_window(w_max, UINT64_MAX, 0, mss), 0);
}

static void test_loss_reduction_and_fast_convergence(void **state)
{
    (void)state;
    struct cc_sock sk;
    cubic_after_first_loss(&sk, 1 * SEC);
    struct cc_cubic_info i = info(&sk);
    /* First loss: W_max = cwnd (no earlier W_max), ssthresh = 0.7 * FlightSize. */
    assert_int_equal(i.w_max, 160 * MSS);
    assert_int_equal(i.cwnd_prior, 160 * MSS);
    assert_int_equal(sk.st.ssthresh, (uint32_t)(160 * MSS * BETA));
    assert_int_equal(sk.st.cwnd, 112 * MSS);
    assert_false(i.in_epoch);

    /* Grow a little in CA, then lose below W_max: fast convergence sets
     * W_max = cwnd * (1 + beta) / 2. */
    ack(&sk, 2 * SEC, sk.st.cwnd, 100 * MS);
    uint32_t cwnd = sk.st.cwnd;
    assert_true(cwnd > 112 * MSS && cwnd < 160 * MSS);
    loss(&sk, 2 * SEC, CC_LOSS_FAST, 100 * MSS);
    i = info(&sk);
    assert_int_equal(i.w_max, (uint32_t)(cwnd * (1 + BETA) / 2));
    assert_true(i.w_max < 160 * MSS);
    assert_int_equal(i.cwnd_prior, cwnd);
    assert_int_equal(sk.st.ssthresh, (uint32_t)(100 * MSS * BETA)); /* FlightSize based */
    assert_int_equal(sk.st.cwnd, cwnd); /* PRR reduces cwnd, not on_loss */

    /* A loss above W_max (convex region) sets W_max = cwnd, no extra reduction. */
    sk.st.cwnd = 150 * MSS;
    loss(&sk, 3 * SEC, CC_LOSS_ECN, 150 * MSS);
    assert_int_equal(info(&sk).w_max, 150 * MSS);
    assert_int_equal(sk.st.ssthresh, 105 * MSS);

    /* ssthresh never below 2 MSS. */
    loss(&sk, 4 * SEC, CC_LOSS_FAST, 2 * MSS);
    assert_int_equal(sk.st.ssthresh, 2 * MSS);
}

/* One ACK covering the whole window per RTT: each round sets cwnd to the target
 * W_cubic(t + RTT) (bounded by [cwnd, 1.5 cwnd]), or W_est in the Reno-friendly region,
 * which lets the test predict every round from the RFC formulas. */
static void test_concave_then_convex(void **state)
{
    (void)state;
    struct cc_sock sk;
    const uint64_t t0 = 10 * SEC, rtt = 100 * MS;
    cubic_after_first_loss(&sk, t0);
    const double w_max = 160 * MSS, k = rfc_k(w_max, 112 * MSS, MSS);
    double w_est = 112 * MSS, cwnd_prior = 160 * MSS;
    double exp_cwnd = 112 * MSS;
    uint32_t prev = sk.st.cwnd, prev_inc = UINT32_MAX;
    int rounds = 90, k_round = (int)(k / 0.1);
    for (int r = 0; r < rounds; r++) {
        double t = r * 0.1;
        ack(&sk, t0 + (uint64_t)r * rtt, sk.st.cwnd, rtt);
        /* The RFC, in doubles: W_est (alpha = 9/17 until it reaches cwnd_prior), target. */
        double alpha = w_est >= cwnd_prior ? 1.0 : 3 * (1 - BETA) / (1 + BETA);
        w_est += alpha * MSS; /* segments_acked / cwnd = 1 per round */
        double target = rfc_w(w_max, k, t + 0.1, MSS);
        target = target < exp_cwnd ? exp_cwnd : target;
        target = target > 1.5 * exp_cwnd ? 1.5 * exp_cwnd : target;
        if (rfc_w(w_max, k, t, MSS) < w_est)
            exp_cwnd = w_est > exp_cwnd ? w_est : exp_cwnd;
        else
            exp_cwnd = target;
        if (fabs_d(sk.st.cwnd - exp_cwnd) > 2.0)
            fail_msg("round %d (t=%.1f): cwnd %u, RFC 9438 gives %.1f", r, t, sk.st.cwnd, exp_cwnd);
        /* Shape: increments shrink while approaching W_max, grow after K. (Round 0 is
         * Reno-friendly: W_cubic(0) = cwnd_epoch < W_est after its first update.) */
        uint32_t inc = sk.st.cwnd - prev;
        if (r > 1 && r < k_round - 1 && inc > prev_inc)
            fail_msg("round %d: increment %u grew before K (%u)", r, inc, prev_inc);
        if (r > k_round + 2 && inc < prev_inc)
            fail_msg("round %d: increment %u shrank after K (%u)", r, inc, prev_inc);
        prev_inc = inc;
        prev = sk.st.cwnd;
        if (r == k_round) /* the plateau: at W_max */
            assert_true(fabs_d(sk.st.cwnd - w_max) < MSS / 2);
    }
    assert_true(sk.st.cwnd > 170 * MSS); /* convex growth beyond the old W_max */
    assert_true(info(&sk).in_epoch);
    assert_int_equal(info(&sk).cwnd_epoch, 112 * MSS);
}

static void test_reno_friendly_region(void **state)
{
    (void)state;
    /* Small window, 1 ms RTT: W_cubic barely moves in milliseconds, W_est grows by
     * alpha * MSS per round and takes over: cwnd follows W_est. */
    struct cc_sock sk;
    cubic_init(&sk);
    assert_int_equal(sk.st.cwnd, 10 * MSS);
    loss(&sk, 0, CC_LOSS_FAST, 10 * MSS);
    exit_recovery(&sk, 0);
    assert_int_equal(sk.st.cwnd, 7 * MSS);
    const double w_max = 10 * MSS, k = rfc_k(w_max, 7 * MSS, MSS);
    double w_est = 7 * MSS;
    int friendly_rounds = 0;
    for (int r = 0; r < 30; r++) {
        double t = r * 0.001;
        ack(&sk, SEC + (uint64_t)r * MS, sk.st.cwnd, MS);
        double alpha = w_est >= w_max ? 1.0 : 3 * (1 - BETA) / (1 + BETA);
        w_est += alpha * MSS;
        if (rfc_w(w_max, k, t, MSS) < w_est) {
            friendly_rounds++;
            if (fabs_d(sk.st.cwnd - w_est) > 1.0)
                fail_msg("round %d: cwnd %u, W_est %.2f", r, sk.st.cwnd, w_est);
        }
    }
    assert_int_equal(friendly_rounds, 30); /* from the first ACK on */
    /* alpha 9/17 for the first 6 rounds (7000 + 6 * 529.4 = 10176 >= cwnd_prior), then 1:
     * 24 MSS more. */
    assert_true(fabs_d(sk.st.cwnd - (7000 + 6 * 9000.0 / 17 + 24 * 1000)) <= 1.0);
    assert_int_equal(info(&sk).w_est, sk.st.cwnd);
}

static void test_slow_start_as_reno(void **state)
{
    (void)state;
    struct cc_sock sk;
    cubic_init(&sk);
    assert_int_equal(sk.st.cwnd, 10 * MSS);
    ack(&sk, 0, 5 * MSS, MS); /* ABC: at most 2 MSS */
    assert_int_equal(sk.st.cwnd, 12 * MSS);
    ack(&sk, 0, MSS, MS);
    assert_int_equal(sk.st.cwnd, 13 * MSS);
    assert_false(info(&sk).in_epoch);
}

static void test_rto_then_k_zero(void **state)
{
    (void)state;
    struct cc_sock sk;
    cubic_after_first_loss(&sk, SEC);
    uint32_t before = sk.st.cwnd;
    loss(&sk, 2 * SEC, CC_LOSS_RTO, 100 * MSS);
    assert_int_equal(sk.st.cwnd, MSS);
    assert_int_equal(sk.st.ssthresh, 70 * MSS);
    assert_int_equal(info(&sk).cwnd_prior, before);
    /* Repeated timeout: ssthresh held. */
    struct cc_loss_event again = {
        .now = 3 * SEC, .kind = CC_LOSS_RTO, .bytes_in_flight = MSS, .rto_repeat = true};
    cc_on_loss(&sk, &again);
    assert_int_equal(sk.st.ssthresh, 70 * MSS);
    /* Slow start back to ssthresh (2 MSS per ACK at most), the crossing ACK opens a CA
     * stage: 4.8 K = 0, W_max = W_est = cwnd at its start. */
    while (sk.st.cwnd < sk.st.ssthresh)
        ack(&sk, 4 * SEC, 2 * MSS, 100 * MS);
    ack(&sk, 4 * SEC, MSS, 100 * MS);
    struct cc_cubic_info i = info(&sk);
    assert_true(i.in_epoch);
    assert_int_equal(i.k_us, 0);
    assert_int_equal(i.cwnd_epoch, 70 * MSS);
    assert_int_equal(i.w_max, 70 * MSS);
}

/* Runs a CA stage for 20 rounds starting at t0, returns cwnd. */
static void ca_rounds(struct cc_sock *sk, uint64_t t0, int rounds)
{
    for (int r = 0; r < rounds; r++)
        ack(sk, t0 + (uint64_t)r * 100 * MS, sk->st.cwnd, 100 * MS);
}

static void test_idle_does_not_jump(void **state)
{
    (void)state;
    struct cc_sock a, b, c;
    const uint64_t t0 = SEC, end = t0 + 20 * 100 * MS;
    cubic_after_first_loss(&a, t0);
    cubic_after_first_loss(&b, t0);
    cubic_after_first_loss(&c, t0);
    ca_rounds(&a, t0, 20);
    ca_rounds(&b, t0, 20);
    ca_rounds(&c, t0, 20);
    uint32_t w = a.st.cwnd;
    assert_int_equal(b.st.cwnd, w);
    /* a: idle 30 s (RTO is larger, so no RFC 5681 restart), then an ACK.
     * b: the same ACK without the idle time. c: the same idle time, not reported. */
    struct cc_idle_event idle = {.now = end + 30 * SEC, .idle_ns = 30 * SEC, .rto_ns = 60 * SEC};
    cc_on_idle_restart(&a, &idle);
    ack(&a, end + 30 * SEC, a.st.cwnd, 100 * MS);
    ack(&b, end, b.st.cwnd, 100 * MS);
    ack(&c, end + 30 * SEC, c.st.cwnd, 100 * MS);
    assert_int_equal(a.st.cwnd, b.st.cwnd); /* as if the idle time did not exist */
    assert_true(a.st.cwnd < w + 5 * MSS);
    /* Unreported idle: W_cubic(t + RTT) is far above, the target is capped at 1.5 cwnd
     * (4.2), and one ACK of the whole window reaches it. */
    assert_int_equal(c.st.cwnd, w + w / 2);
}

static void test_idle_longer_than_rto_restarts(void **state)
{
    (void)state;
    struct cc_sock sk;
    cubic_after_first_loss(&sk, SEC);
    ca_rounds(&sk, SEC, 5);
    struct cc_idle_event idle = {.now = 10 * SEC, .idle_ns = 5 * SEC, .rto_ns = SEC};
    cc_on_idle_restart(&sk, &idle);
    assert_int_equal(sk.st.cwnd, 10 * MSS); /* RFC 5681 4.1: RW = min(IW, cwnd) */
    assert_false(info(&sk).in_epoch);
    /* Still below ssthresh: slow start, no jump. */
    ack(&sk, 10 * SEC, MSS, 100 * MS);
    assert_int_equal(sk.st.cwnd, 11 * MSS);
}

static void test_app_limited_time_excluded(void **state)
{
    (void)state;
    struct cc_sock a, b;
    const uint64_t t0 = SEC, end = t0 + 10 * 100 * MS;
    cubic_after_first_loss(&a, t0);
    cubic_after_first_loss(&b, t0);
    ca_rounds(&a, t0, 10);
    ca_rounds(&b, t0, 10);
    uint32_t w = a.st.cwnd;
    /* a: 5 s of application-limited ACKs: no growth during them (5.8). */
    for (int i = 0; i < 50; i++) {
        struct cc_ack_event ev = {.now = end + (uint64_t)i * 100 * MS,
                                  .acked_bytes = MSS,
                                  .srtt_ns = 100 * MS,
                                  .app_limited = true};
        cc_on_ack(&a, &ev);
        assert_int_equal(a.st.cwnd, w);
    }
    /* Afterwards a continues as b does without that period. */
    ack(&a, end + 5 * SEC, a.st.cwnd, 100 * MS);
    ack(&b, end, b.st.cwnd, 100 * MS);
    assert_int_equal(a.st.cwnd, b.st.cwnd);

    /* Application-limited, then idle: the idle time lies inside the same stretch and is
     * excluded once, not twice. */
    struct cc_sock c, d;
    cubic_after_first_loss(&c, t0);
    cubic_after_first_loss(&d, t0);
    ca_rounds(&c, t0, 10);
    ca_rounds(&d, t0, 10);
    for (int i = 0; i < 20; i++) {
        struct cc_ack_event ev = {.now = end + (uint64_t)i * 100 * MS,
                                  .acked_bytes = MSS,
                                  .srtt_ns = 100 * MS,
                                  .app_limited = true};
        cc_on_ack(&c, &ev);
    }
    struct cc_idle_event idle = {.now = end + 5 * SEC, .idle_ns = 3 * SEC, .rto_ns = 60 * SEC};
    cc_on_idle_restart(&c, &idle);
    ack(&c, end + 5 * SEC, c.st.cwnd, 100 * MS);
    ack(&d, end, d.st.cwnd, 100 * MS);
    assert_int_equal(c.st.cwnd, d.st.cwnd);
}

static void test_undo_restores_state(void **state)
{
    (void)state;
    struct cc_sock sk;
    cubic_after_first_loss(&sk, SEC);
    ca_rounds(&sk, SEC, 10);
    struct cc_cubic_info before = info(&sk);
    uint32_t cwnd = sk.st.cwnd, ssthresh = sk.st.ssthresh;
    loss(&sk, 3 * SEC, CC_LOSS_RTO, cwnd);
    assert_int_equal(sk.st.cwnd, MSS);
    struct cc_undo_event un = {.now = 3 * SEC};
    cc_undo(&sk, &un);
    struct cc_cubic_info after = info(&sk);
    assert_int_equal(sk.st.cwnd, cwnd);
    assert_int_equal(sk.st.ssthresh, ssthresh);
    assert_int_equal(after.w_max, before.w_max);
    assert_int_equal(after.k_us, before.k_us);
    assert_int_equal(after.epoch_start, before.epoch_start);
    assert_int_equal(after.cwnd_prior, before.cwnd_prior);
    assert_int_equal(after.w_est, before.w_est);
    assert_true(after.in_epoch);
    /* 4.9: no restore once cwnd is back above cwnd_prior. */
    loss(&sk, 4 * SEC, CC_LOSS_FAST, cwnd);
    exit_recovery(&sk, 4 * SEC);
    sk.st.cwnd = cwnd + MSS;
    cc_undo(&sk, &un);
    assert_int_equal(sk.st.cwnd, cwnd + MSS);
    assert_int_equal(sk.st.ssthresh, (uint32_t)(cwnd * BETA));
}

/* A small deterministic generator for event sequences (test-local). */
static uint32_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

static void run_trace(uint64_t seed, uint32_t *trace, size_t n)
{
    struct cc_sock sk;
    cubic_init(&sk);
    uint64_t now = 0, s = seed;
    for (size_t i = 0; i < n; i++) {
        now += 1 + lcg(&s) % (20 * MS);
        uint32_t r = lcg(&s) % 100;
        if (r < 2) {
            loss(&sk, now, CC_LOSS_FAST, sk.st.cwnd);
            exit_recovery(&sk, now + 50 * MS);
        } else if (r < 3) {
            loss(&sk, now, CC_LOSS_RTO, sk.st.cwnd);
        } else if (r < 4) {
            struct cc_idle_event ev = {.now = now, .idle_ns = lcg(&s) % SEC, .rto_ns = SEC / 2};
            cc_on_idle_restart(&sk, &ev);
        } else {
            ack(&sk, now, 1 + lcg(&s) % (3 * MSS), 20 * MS + lcg(&s) % (80 * MS));
        }
        trace[i] = sk.st.cwnd;
    }
}

static void test_deterministic(void **state)
{
    (void)state;
    enum { N = 5000 };
    static uint32_t t1[N], t2[N], t3[N];
    run_trace(42, t1, N);
    run_trace(42, t2, N);
    run_trace(43, t3, N);
    assert_memory_equal(t1, t2, sizeof(t1));
    assert_memory_not_equal(t1, t3, sizeof(t1)); /* the trace depends on the events */
    size_t changes = 0;
    for (size_t i = 1; i < N; i++) {
        changes += t1[i] != t1[i - 1];
        assert_true(t1[i] >= MSS && t1[i] <= CC_CWND_MAX);
    }
    assert_true(changes > N / 2);
}

static void test_info_rejects_other_algorithms(void **state)
{
    (void)state;
    struct cc_sock sk;
    struct cc_cubic_info i;
    assert_int_equal(cc_sock_init(&sk, &cc_reno_ops, NULL, MSS, 0), UMPTCP_OK);
    assert_int_equal(cc_cubic_get_info(&sk, &i), UMPTCP_ERR_INVAL);
    assert_int_equal(cc_cubic_get_info(NULL, &i), UMPTCP_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_k_matches_eq2),
        cmocka_unit_test(test_w_cubic_matches_eq1),
        cmocka_unit_test(test_loss_reduction_and_fast_convergence),
        cmocka_unit_test(test_concave_then_convex),
        cmocka_unit_test(test_reno_friendly_region),
        cmocka_unit_test(test_slow_start_as_reno),
        cmocka_unit_test(test_rto_then_k_zero),
        cmocka_unit_test(test_idle_does_not_jump),
        cmocka_unit_test(test_idle_longer_than_rto_restarts),
        cmocka_unit_test(test_app_limited_time_excluded),
        cmocka_unit_test(test_undo_restores_state),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_info_rejects_other_algorithms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
