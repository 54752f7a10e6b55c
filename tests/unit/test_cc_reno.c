/* NewReno window arithmetic (src/cc/cc_reno.c): RFC 5681 slow start and congestion
 * avoidance with RFC 3465 byte counting, RFC 5681 eq. 4 reductions, RTO, recovery exit,
 * idle restart. Expected values come from the RFC formulas written out here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "cc/cc.h"

#define MSS 1000u
#define MS 1000000ull

static void reno_init(struct cc_sock *sk, uint32_t mss)
{
    assert_int_equal(cc_sock_init(sk, &cc_reno_ops, NULL, mss, 0), UMPTCP_OK);
}

static void ack(struct cc_sock *sk, uint64_t now, uint32_t bytes)
{
    struct cc_ack_event ev = {
        .now = now, .acked_bytes = bytes, .rtt_ns = 10 * MS, .srtt_ns = 10 * MS};
    cc_on_ack(sk, &ev);
}

/* One round trip: the whole window is sent, then acknowledged per_ack bytes at a time. */
static void ack_round(struct cc_sock *sk, uint64_t now, uint32_t per_ack)
{
    uint32_t window = sk->st.cwnd;
    for (uint32_t done = 0; done < window; done += per_ack)
        ack(sk, now, window - done < per_ack ? window - done : per_ack);
}

static void loss(struct cc_sock *sk, enum cc_loss_kind kind, uint32_t flight, bool repeat)
{
    struct cc_loss_event ev = {
        .now = 1, .kind = kind, .bytes_in_flight = flight, .rto_repeat = repeat};
    cc_on_loss(sk, &ev);
}

static void exit_recovery(struct cc_sock *sk)
{
    struct cc_exit_event ev = {.now = 2, .bytes_in_flight = 0};
    cc_on_recovery_exit(sk, &ev);
}

/* Puts sk in congestion avoidance at cwnd = ssthresh = w bytes. */
static void reno_in_ca(struct cc_sock *sk, uint32_t w)
{
    reno_init(sk, MSS);
    loss(sk, CC_LOSS_FAST, 2 * w, false);
    exit_recovery(sk);
    assert_int_equal(sk->st.cwnd, w);
    assert_int_equal(sk->st.ssthresh, w);
}

static void test_initial_window(void **state)
{
    (void)state;
    /* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)). */
    const uint32_t mss[] = {536, 1000, 1460, 4000, 8960};
    for (size_t i = 0; i < sizeof(mss) / sizeof(mss[0]); i++) {
        struct cc_sock sk;
        reno_init(&sk, mss[i]);
        uint32_t two = 2 * mss[i], ten = 10 * mss[i];
        uint32_t iw = two > 14600 ? two : 14600;
        iw = iw < ten ? iw : ten;
        assert_int_equal(sk.st.cwnd, iw);
        assert_int_equal(sk.st.ssthresh, UINT32_MAX); /* "arbitrarily high" */
        assert_true(cc_in_slow_start(&sk.st));
    }
}

static void test_slow_start_doubles_per_rtt(void **state)
{
    (void)state;
    struct cc_sock sk;
    reno_init(&sk, MSS);
    assert_int_equal(sk.st.cwnd, 10 * MSS);
    /* Every ACK covers one MSS: cwnd += MSS per ACK, so each round doubles it. */
    uint32_t expect = 10 * MSS;
    for (int round = 0; round < 6; round++) {
        ack_round(&sk, (uint64_t)round * 10 * MS, MSS);
        expect *= 2;
        assert_int_equal(sk.st.cwnd, expect);
    }
    /* Delayed ACKs (2 MSS each) still double per round with ABC (RFC 3465 2.2, L = 2). */
    reno_init(&sk, MSS);
    ack_round(&sk, 0, 2 * MSS);
    assert_int_equal(sk.st.cwnd, 20 * MSS);
    ack_round(&sk, 0, 2 * MSS);
    assert_int_equal(sk.st.cwnd, 40 * MSS);
}

static void test_abc_limit(void **state)
{
    (void)state;
    struct cc_sock sk;
    reno_init(&sk, MSS);
    /* A stretch ACK of 5 MSS may grow cwnd by at most L*SMSS = 2 MSS. */
    ack(&sk, 0, 5 * MSS);
    assert_int_equal(sk.st.cwnd, 12 * MSS);
    /* Smaller than L*MSS: counted in full, bytes not segments (RFC 3465). */
    ack(&sk, 0, 1500);
    assert_int_equal(sk.st.cwnd, 12 * MSS + 1500);
    ack(&sk, 0, 1);
    assert_int_equal(sk.st.cwnd, 12 * MSS + 1501);
}

static void test_slow_start_stops_at_ssthresh(void **state)
{
    (void)state;
    struct cc_sock sk;
    reno_in_ca(&sk, 8 * MSS);
    /* An RTO: cwnd = 1 MSS, ssthresh = max(FlightSize/2, 2 MSS) = 4 MSS. */
    loss(&sk, CC_LOSS_RTO, 8 * MSS, false);
    assert_int_equal(sk.st.cwnd, MSS);
    assert_int_equal(sk.st.ssthresh, 4 * MSS);
    ack(&sk, 0, MSS);
    ack(&sk, 0, MSS);
    assert_int_equal(sk.st.cwnd, 3 * MSS);
    /* 2 MSS acked with 1 MSS of room: cwnd reaches ssthresh, the other MSS counts in CA
     * (bytes_acked = 1 MSS, below cwnd, so no CA increase yet). */
    ack(&sk, 0, 2 * MSS);
    assert_int_equal(sk.st.cwnd, 4 * MSS);
    assert_false(cc_in_slow_start(&sk.st));
    /* 3 more MSS complete one window of bytes_acked: +1 MSS. */
    for (int i = 0; i < 2; i++)
        ack(&sk, 0, MSS);
    assert_int_equal(sk.st.cwnd, 4 * MSS);
    ack(&sk, 0, MSS);
    assert_int_equal(sk.st.cwnd, 5 * MSS);
}

static void test_congestion_avoidance_one_mss_per_rtt(void **state)
{
    (void)state;
    struct cc_sock sk;
    reno_in_ca(&sk, 20 * MSS);
    /* RFC 3465 2.1: +1 SMSS once a full cwnd of bytes has been acknowledged. 19 ACKs of
     * one MSS are not enough; the 20th is. */
    for (int i = 0; i < 19; i++)
        ack(&sk, 0, MSS);
    assert_int_equal(sk.st.cwnd, 20 * MSS);
    ack(&sk, 0, MSS);
    assert_int_equal(sk.st.cwnd, 21 * MSS);
    /* Ten more full rounds: exactly +1 MSS each. */
    for (uint32_t r = 0; r < 10; r++) {
        ack_round(&sk, 0, MSS);
        assert_int_equal(sk.st.cwnd, (22 + r) * MSS);
    }
    /* Odd ACK sizes: the byte counter carries over exactly. cwnd = 31000; 31 ACKs of
     * 999 bytes = 30969 < 31000, one more of 31 bytes reaches it. */
    assert_int_equal(sk.st.cwnd, 31 * MSS);
    for (int i = 0; i < 31; i++)
        ack(&sk, 0, 999);
    assert_int_equal(sk.st.cwnd, 31 * MSS);
    ack(&sk, 0, 30);
    assert_int_equal(sk.st.cwnd, 31 * MSS);
    ack(&sk, 0, 1);
    assert_int_equal(sk.st.cwnd, 32 * MSS);
}

static void test_no_growth_in_recovery_or_app_limited(void **state)
{
    (void)state;
    struct cc_sock sk;
    reno_init(&sk, MSS);
    struct cc_ack_event ev = {.now = 0, .acked_bytes = MSS, .in_recovery = true};
    cc_on_ack(&sk, &ev);
    assert_int_equal(sk.st.cwnd, 10 * MSS);
    ev.in_recovery = false;
    ev.app_limited = true;
    cc_on_ack(&sk, &ev);
    assert_int_equal(sk.st.cwnd, 10 * MSS);
    ev.app_limited = false;
    ev.acked_bytes = 0;
    cc_on_ack(&sk, &ev);
    assert_int_equal(sk.st.cwnd, 10 * MSS);
    ev.acked_bytes = MSS;
    cc_on_ack(&sk, &ev);
    assert_int_equal(sk.st.cwnd, 11 * MSS);
}

static void test_fast_loss_halves_flight(void **state)
{
    (void)state;
    struct cc_sock sk;
    reno_init(&sk, MSS);
    for (int r = 0; r < 3; r++)
        ack_round(&sk, 0, MSS);
    assert_int_equal(sk.st.cwnd, 80 * MSS);
    /* RFC 5681 eq. 4 uses FlightSize, not cwnd: 50 MSS in flight -> 25 MSS. */
    loss(&sk, CC_LOSS_FAST, 50 * MSS, false);
    assert_int_equal(sk.st.ssthresh, 25 * MSS);
    assert_int_equal(sk.st.cwnd, 80 * MSS); /* PRR walks it down, not on_loss */
    exit_recovery(&sk);
    assert_int_equal(sk.st.cwnd, 25 * MSS); /* RFC 6582 3.2 step 6 / RFC 6937 */
    /* Odd flight: floor(FlightSize/2). */
    loss(&sk, CC_LOSS_FAST, 25 * MSS + 1, false);
    assert_int_equal(sk.st.ssthresh, 12500);
    /* Floor of 2*SMSS. */
    loss(&sk, CC_LOSS_FAST, 3 * MSS, false);
    assert_int_equal(sk.st.ssthresh, 2 * MSS);
    /* ECN: the same reduction (RFC 3168 6.1.2). */
    loss(&sk, CC_LOSS_ECN, 40 * MSS, false);
    assert_int_equal(sk.st.ssthresh, 20 * MSS);
    assert_int_equal(sk.st.loss_events, 4);
}

static void test_rto(void **state)
{
    (void)state;
    struct cc_sock sk;
    reno_in_ca(&sk, 30 * MSS);
    loss(&sk, CC_LOSS_RTO, 30 * MSS, false);
    assert_int_equal(sk.st.cwnd, MSS); /* loss window */
    assert_int_equal(sk.st.ssthresh, 15 * MSS);
    /* A second timeout of the same segment holds ssthresh (RFC 5681 3.1). */
    loss(&sk, CC_LOSS_RTO, MSS, true);
    assert_int_equal(sk.st.ssthresh, 15 * MSS);
    assert_int_equal(sk.st.cwnd, MSS);
    /* A new, first timeout recomputes it. */
    loss(&sk, CC_LOSS_RTO, MSS, false);
    assert_int_equal(sk.st.ssthresh, 2 * MSS);
    /* Slow start again from 1 MSS. */
    ack(&sk, 0, MSS);
    assert_int_equal(sk.st.cwnd, 2 * MSS);
}

static void test_ca_counter_resets_on_loss(void **state)
{
    (void)state;
    struct cc_sock sk;
    reno_in_ca(&sk, 10 * MSS);
    for (int i = 0; i < 9; i++)
        ack(&sk, 0, MSS); /* 9000 of 10000 counted */
    loss(&sk, CC_LOSS_FAST, 20 * MSS, false);
    exit_recovery(&sk);
    assert_int_equal(sk.st.cwnd, 10 * MSS);
    /* Counting restarted: one ACK does not complete the old window. */
    ack(&sk, 0, MSS);
    assert_int_equal(sk.st.cwnd, 10 * MSS);
}

static void test_idle_restart(void **state)
{
    (void)state;
    struct cc_sock sk;
    reno_in_ca(&sk, 30 * MSS);
    struct cc_idle_event idle = {.now = 10 * MS, .idle_ns = 200 * MS, .rto_ns = 300 * MS};
    cc_on_idle_restart(&sk, &idle);
    assert_int_equal(sk.st.cwnd, 30 * MSS); /* not longer than the RTO */
    idle.idle_ns = 301 * MS;
    cc_on_idle_restart(&sk, &idle);
    assert_int_equal(sk.st.cwnd, 10 * MSS); /* RW = min(IW, cwnd) */
    assert_int_equal(sk.st.ssthresh, 30 * MSS);
    /* A window already below IW is left alone. */
    loss(&sk, CC_LOSS_RTO, 4 * MSS, false);
    cc_on_idle_restart(&sk, &idle);
    assert_int_equal(sk.st.cwnd, MSS);
}

static void test_undo_restores(void **state)
{
    (void)state;
    struct cc_sock sk;
    reno_in_ca(&sk, 30 * MSS);
    loss(&sk, CC_LOSS_RTO, 30 * MSS, false);
    assert_int_equal(sk.st.cwnd, MSS);
    struct cc_undo_event un = {.now = 3};
    cc_undo(&sk, &un);
    assert_int_equal(sk.st.cwnd, 30 * MSS);
    assert_int_equal(sk.st.ssthresh, 30 * MSS);
}

static void test_mss_change(void **state)
{
    (void)state;
    struct cc_sock sk;
    reno_init(&sk, MSS);
    loss(&sk, CC_LOSS_RTO, 10 * MSS, false);
    assert_int_equal(sk.st.cwnd, MSS);
    cc_set_mss(&sk, 1400); /* cwnd never below one MSS */
    assert_int_equal(sk.st.mss, 1400);
    assert_int_equal(sk.st.cwnd, 1400);
    cc_set_mss(&sk, 0); /* ignored */
    assert_int_equal(sk.st.mss, 1400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_window),
        cmocka_unit_test(test_slow_start_doubles_per_rtt),
        cmocka_unit_test(test_abc_limit),
        cmocka_unit_test(test_slow_start_stops_at_ssthresh),
        cmocka_unit_test(test_congestion_avoidance_one_mss_per_rtt),
        cmocka_unit_test(test_no_growth_in_recovery_or_app_limited),
        cmocka_unit_test(test_fast_loss_halves_flight),
        cmocka_unit_test(test_rto),
        cmocka_unit_test(test_ca_counter_resets_on_loss),
        cmocka_unit_test(test_idle_restart),
        cmocka_unit_test(test_undo_restores),
        cmocka_unit_test(test_mss_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
