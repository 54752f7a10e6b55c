/* Proportional Rate Reduction (src/tcp/tcp_prr.c) against the worked examples of RFC 6937
 * section 3.1 and RFC 9937 section 8, in bytes with a 1000-byte MSS. The expected values
 * are the RFCs' tables, typed in by hand; the scenario (what is delivered, what is in
 * flight) is tracked by the test itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "tcp/tcp_prr.h"

#define MSS 1000u
#define SEG(n) ((uint32_t)(n)*MSS)

/* The examples: cwnd = FlightSize = pipe = 20 segments, Reno halves to ssthresh 10. */
#define EX_SSTHRESH SEG(10)
#define EX_RECOVER_FS SEG(20)

struct prr_step {
    int ack;         /* segment whose arrival triggered this ACK */
    uint32_t pipe;   /* inflight after the ACK, before sending (segments) */
    uint32_t sndcnt; /* segments PRR lets us send */
};

/* Drives one recovery: every ACK delivers one segment; what PRR allows is sent at once.
 * Checks pipe (our own bookkeeping, against the table) and sndcnt (the code). */
static void run_steps(enum tcp_prr_bound bound, uint32_t pipe_at_start, const struct prr_step *s,
                      size_t n)
{
    struct tcp_prr prr;
    tcp_prr_start(&prr, EX_SSTHRESH, EX_RECOVER_FS, MSS, bound);
    uint32_t pipe = pipe_at_start; /* after the ACK that starts recovery */
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            pipe -= SEG(1); /* this ACK delivered one segment */
        assert_int_equal(pipe, SEG(s[i].pipe));
        uint32_t sndcnt = tcp_prr_on_ack(&prr, SEG(1), pipe);
        if (sndcnt != SEG(s[i].sndcnt))
            fail_msg("ack %d: sndcnt %u, table says %u segments", s[i].ack, sndcnt, s[i].sndcnt);
        tcp_prr_on_send(&prr, sndcnt);
        pipe += sndcnt;
    }
}

/* Single loss of segment 0. Before recovery, ACKs 1 and 2 (limited transmit) each sent one
 * new segment; ACK 3 starts recovery with pipe 18 (22 outstanding, 3 SACKed, 1 lost).
 * RFC 9937 Figure 1 "PRR" rows (ACKs 3..18, identical in RFC 6937's figure through ACK 16):
 *   inflight 18 18 17 17 16 16 15 15 14 14 13 13 12 12 11 11, a send every other ACK.
 * ACKs 19..21: the figure sends on ACK 19 with inflight 10 = ssthresh, which its own
 * pseudo-code does not ("if (inflight > ssthresh)" is false, then SndCnt =
 * MIN(ssthresh - inflight, ...) = 0); we follow the pseudo-code (so does Linux), which
 * sends that segment on ACK 20 instead: same total by ACK 21, same final window. */
static const struct prr_step single_loss[] = {
    {3, 18, 1},  {4, 18, 0},  {5, 17, 1},  {6, 17, 0},  {7, 16, 1},  {8, 16, 0},  {9, 15, 1},
    {10, 15, 0}, {11, 14, 1}, {12, 14, 0}, {13, 13, 1}, {14, 13, 0}, {15, 12, 1}, {16, 12, 0},
    {17, 11, 1}, {18, 11, 0}, {19, 10, 0}, {20, 9, 1},  {21, 9, 1},
};

static void test_single_loss_ssrb(void **state)
{
    (void)state;
    run_steps(TCP_PRR_SSRB, SEG(18), single_loss, sizeof(single_loss) / sizeof(single_loss[0]));
}

static void test_single_loss_same_for_every_bound(void **state)
{
    (void)state;
    /* RFC 6937 3.1: with a single loss both reduction bounds behave the same. */
    run_steps(TCP_PRR_CRB, SEG(18), single_loss, sizeof(single_loss) / sizeof(single_loss[0]));
    run_steps(TCP_PRR_SAFEACK, SEG(18), single_loss, sizeof(single_loss) / sizeof(single_loss[0]));
}

static void test_single_loss_total_and_end(void **state)
{
    (void)state;
    /* By ACK 21 PRR has sent 10 segments in recovery, like RFC 6675 (R + 9 N in RFC 9937
     * Figure 1), and the episode ends at cwnd = ssthresh. */
    struct tcp_prr prr;
    tcp_prr_start(&prr, EX_SSTHRESH, EX_RECOVER_FS, MSS, TCP_PRR_SSRB);
    uint32_t pipe = SEG(18), total = 0;
    for (int ack = 3; ack <= 21; ack++) {
        if (ack > 3)
            pipe -= SEG(1);
        uint32_t snd = tcp_prr_on_ack(&prr, SEG(1), pipe);
        tcp_prr_on_send(&prr, snd);
        pipe += snd;
        total += snd;
    }
    assert_int_equal(total, SEG(10));
    assert_int_equal(pipe, SEG(10));
    assert_true(prr.active);
    assert_int_equal(tcp_prr_end(&prr), EX_SSTHRESH);
    assert_false(prr.active);
    assert_int_equal(tcp_prr_on_ack(&prr, SEG(1), SEG(1)), 0); /* inactive: nothing */
}

/* Burst loss of segments 0..14: only ACKs for 15..19 return. ACKs 15 and 16 send limited
 * transmits; ACK 17 starts recovery with pipe 4 (22 outstanding, 3 SACKed, 15 lost). */
static void test_burst_loss_crb(void **state)
{
    (void)state;
    /* RFC 6937 3.1 "PRR-CRB": pipe 4 4 4, sent R R R (bound b = prr_delivered - prr_out). */
    static const struct prr_step steps[] = {{17, 4, 1}, {18, 4, 1}, {19, 4, 1}};
    run_steps(TCP_PRR_CRB, SEG(4), steps, 3);
}

static void test_burst_loss_ssrb(void **state)
{
    (void)state;
    /* RFC 6937 3.1 "PRR-SSRB": pipe 4 5 6, sent 2R 2R 2R (bound d = DeliveredData + MSS):
     * slow start during recovery, one extra segment per ACK. */
    static const struct prr_step steps[] = {{17, 4, 2}, {18, 5, 2}, {19, 6, 2}};
    run_steps(TCP_PRR_SSRB, SEG(4), steps, 3);
}

static void test_burst_loss_rfc9937(void **state)
{
    (void)state;
    /* RFC 9937 Figure 2 "PRR": cwnd 5 5 5, inflight 4 4 4, sent R R R: these ACKs only
     * SACK (no SafeACK), so the conservative bound applies. */
    struct tcp_prr prr;
    tcp_prr_start(&prr, EX_SSTHRESH, EX_RECOVER_FS, MSS, TCP_PRR_SAFEACK);
    uint32_t pipe = SEG(4);
    for (int ack = 17; ack <= 19; ack++) {
        if (ack > 17)
            pipe -= SEG(1);
        assert_int_equal(pipe, SEG(4));
        uint32_t snd = tcp_prr_on_ack_progress(&prr, SEG(1), pipe, false);
        assert_int_equal(pipe + snd, SEG(5)); /* the figure's cwnd row */
        tcp_prr_on_send(&prr, snd);
        pipe += snd;
    }
    /* Once retransmissions are cumulatively acknowledged (SafeACK), PRR-SSRB: one more
     * segment than delivered. pipe 4 -> 3 after delivering 1; banked 0, so 1 + 1 MSS. */
    pipe -= SEG(1);
    assert_int_equal(tcp_prr_on_ack_progress(&prr, SEG(1), pipe, true), SEG(2));
}

static void test_ssrb_vs_crb_banked(void **state)
{
    (void)state;
    /* Under ssthresh with send opportunities missed earlier (an application stall): CRB
     * may catch up exactly what was banked, SSRB one MSS more. */
    struct tcp_prr crb, ssrb;
    tcp_prr_start(&crb, SEG(10), SEG(20), MSS, TCP_PRR_CRB);
    tcp_prr_start(&ssrb, SEG(10), SEG(20), MSS, TCP_PRR_SSRB);
    /* Three ACKs with pipe above ssthresh deliver 6 segments; nothing is sent. */
    for (int i = 0; i < 3; i++) {
        tcp_prr_on_ack(&crb, SEG(2), SEG(15));
        tcp_prr_on_ack(&ssrb, SEG(2), SEG(15));
    }
    /* Now pipe = 2: room 8, banked 6 + 1 delivered = 7. */
    assert_int_equal(tcp_prr_on_ack(&crb, SEG(1), SEG(2)), SEG(7));
    assert_int_equal(tcp_prr_on_ack(&ssrb, SEG(1), SEG(2)), SEG(8));
    /* Room caps both: pipe 9 leaves 1. */
    tcp_prr_start(&crb, SEG(10), SEG(20), MSS, TCP_PRR_CRB);
    tcp_prr_start(&ssrb, SEG(10), SEG(20), MSS, TCP_PRR_SSRB);
    tcp_prr_on_ack(&crb, SEG(5), SEG(15));
    tcp_prr_on_ack(&ssrb, SEG(5), SEG(15));
    assert_int_equal(tcp_prr_on_ack(&crb, SEG(1), SEG(9)), SEG(1));
    assert_int_equal(tcp_prr_on_ack(&ssrb, SEG(1), SEG(9)), SEG(1));
}

static void test_proportional_rounds_up(void **state)
{
    (void)state;
    /* ssthresh 7000, RecoverFS 10000, MSS 1000. The RFC counts segments, so the allowance
     * CEIL(prr_delivered * ssthresh / RecoverFS) is a whole number of segments:
     * 1000 delivered: CEIL(0.7 segment) = 1 segment. */
    struct tcp_prr prr;
    tcp_prr_start(&prr, 7000, 10000, MSS, TCP_PRR_SSRB);
    assert_int_equal(tcp_prr_on_ack(&prr, 1000, 9000), 1000);
    tcp_prr_on_send(&prr, 1000);
    /* 2500 delivered: CEIL(1.75) = 2 segments, 1 already sent. */
    assert_int_equal(tcp_prr_on_ack(&prr, 1500, 8500), 1000);
    /* Not sent; 4500 delivered: CEIL(3.15) = 4 segments, 1 sent: the unused one is banked. */
    assert_int_equal(tcp_prr_on_ack(&prr, 2000, 8000), 3000);
    /* At the end of the flight: exactly ssthresh has been allowed (7 segments). */
    assert_int_equal(tcp_prr_on_ack(&prr, 5500, 7100), 6000);
    /* Sending more than allowed never makes sndcnt negative. */
    tcp_prr_on_send(&prr, 9000);
    assert_int_equal(tcp_prr_on_ack(&prr, 1000, 8000), 0);
}

static void test_bound_rounds_down_to_segments(void **state)
{
    (void)state;
    /* Under ssthresh the bound is cut to whole segments: ssthresh 7500, pipe 5000, CRB
     * banked 2500 -> MIN(2500, 2500) = 2500 -> 2000 (a third segment would pass it). */
    struct tcp_prr prr;
    tcp_prr_start(&prr, 7500, 10000, MSS, TCP_PRR_CRB);
    assert_int_equal(tcp_prr_on_ack(&prr, 2500, 5000), 2000);
    tcp_prr_on_send(&prr, 2000);
    /* The 500 left stay banked: 500 delivered more makes 1000. */
    assert_int_equal(tcp_prr_on_ack(&prr, 500, 4500), 1000);
}

static void test_rfc9937_zero_delivered_and_forced_retransmit(void **state)
{
    (void)state;
    struct tcp_prr prr;
    /* RFC 9937 6.2: an ACK that delivers nothing sends nothing and changes nothing. */
    tcp_prr_start(&prr, SEG(10), SEG(20), MSS, TCP_PRR_SAFEACK);
    assert_int_equal(tcp_prr_on_ack_progress(&prr, 0, SEG(4), true), 0);
    assert_int_equal(prr.prr_delivered, 0);
    /* First ACK with pipe == ssthresh: the bound gives 0 (no room), but the episode's first
     * ACK forces one MSS for the fast retransmit. */
    assert_int_equal(tcp_prr_on_ack_progress(&prr, SEG(1), SEG(10), false), SEG(1));
    tcp_prr_on_send(&prr, SEG(1));
    /* Not forced again once something was sent. */
    assert_int_equal(tcp_prr_on_ack_progress(&prr, SEG(1), SEG(10), false), 0);
    /* RFC 6937 modes follow RFC 6937: no forcing. */
    tcp_prr_start(&prr, SEG(10), SEG(20), MSS, TCP_PRR_SSRB);
    assert_int_equal(tcp_prr_on_ack(&prr, SEG(1), SEG(10)), 0);
}

static void test_zero_recover_fs_is_safe(void **state)
{
    (void)state;
    struct tcp_prr prr;
    tcp_prr_start(&prr, SEG(2), 0, MSS, TCP_PRR_CRB);
    /* pipe <= ssthresh: bound path, no division. */
    assert_int_equal(tcp_prr_on_ack(&prr, SEG(1), 0), SEG(1));
    /* pipe > ssthresh with RecoverFS 0 (treated as 1 byte): huge but no crash/UB. */
    assert_true(tcp_prr_on_ack(&prr, SEG(1), SEG(3)) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_loss_ssrb),
        cmocka_unit_test(test_single_loss_same_for_every_bound),
        cmocka_unit_test(test_single_loss_total_and_end),
        cmocka_unit_test(test_burst_loss_crb),
        cmocka_unit_test(test_burst_loss_ssrb),
        cmocka_unit_test(test_burst_loss_rfc9937),
        cmocka_unit_test(test_ssrb_vs_crb_banked),
        cmocka_unit_test(test_proportional_rounds_up),
        cmocka_unit_test(test_bound_rounds_down_to_segments),
        cmocka_unit_test(test_rfc9937_zero_delivered_and_forced_retransmit),
        cmocka_unit_test(test_zero_recover_fs_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
