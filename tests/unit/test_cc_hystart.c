/* HyStart++ (RFC 9406, src/cc/cc_hystart.c) under reno and cubic: synthetic ACK streams from
 * a sender model that keeps its window full, with a chosen RTT per round. Expected values
 * come from the RFC 9406 4.2 formulas written out here: RttThresh, the round and ACK at
 * which CSS begins, CSS growth of a quarter, exit after CSS_ROUNDS rounds with
 * ssthresh = cwnd, the spurious-exit return to slow start, and plain slow start when the RTT
 * does not rise, when there are too few samples, after a loss, or when switched off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "cc/cc.h"
#include "cc/cc_hystart.h"

#define MSS 1000u
#define PER_ACK (2 * MSS) /* a delayed ACK for two segments */
#define MS 1000000ull
#define BASE_RTT (100 * MS)
/* Sequence numbers start just below the wrap, so round detection must compare mod 2^32. */
#define SEQ0 (UINT32_MAX - 30000u)

/* RFC 9406 4.3 constants, restated. */
#define N_RTT_SAMPLE 8
#define CSS_GROWTH_DIVISOR 4
#define CSS_ROUNDS 5

/* RFC 9406 4.2: RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT / MIN_RTT_DIVISOR,
 * MAX_RTT_THRESH)) with 4 ms, 16 ms and 8. */
static uint64_t expected_thresh(uint64_t last_min)
{
    uint64_t t = last_min / 8;
    if (t > 16 * MS)
        t = 16 * MS;
    return t < 4 * MS ? 4 * MS : t;
}

/* A sender that fills cwnd after every ACK. `round` follows RFC 9406's definition (a round
 * begins with the ACK that covers the SND.NXT recorded at the start of the previous one),
 * independently of the code under test. */
struct model {
    struct cc_sock sk;
    uint32_t una, nxt, end;
    unsigned round;
    unsigned acks_in_round;
    uint64_t now;
    bool hystart;
};

static bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static void model_init(struct model *m, const struct cc_ops *ops, bool hystart)
{
    *m = (struct model){.una = SEQ0, .end = SEQ0, .hystart = hystart, .now = 1000};
    assert_int_equal(cc_sock_init(&m->sk, ops, NULL, MSS, 0), UMPTCP_OK);
    m->nxt = m->una + m->sk.st.cwnd;
}

static const struct cc_hystart *hs(const struct model *m)
{
    const struct cc_hystart *h = cc_hystart_of(&m->sk);
    assert_non_null(h);
    return h;
}

/* One ACK of `bytes` with RTT sample rtt (0: none). */
static void model_ack(struct model *m, uint32_t bytes, uint64_t rtt)
{
    uint32_t una_before = m->una;
    m->una += bytes;
    if (!seq_lt(m->una, m->end)) {
        m->round++;
        m->acks_in_round = 0;
        m->end = m->nxt;
    }
    m->acks_in_round++;
    struct cc_ack_event ev = {
        .now = m->now,
        .acked_bytes = bytes,
        .bytes_in_flight = m->nxt - una_before,
        .rtt_ns = rtt,
        .min_rtt_ns = BASE_RTT,
        .srtt_ns = BASE_RTT,
        .hystart = m->hystart,
        .snd_una = m->una,
        .snd_nxt = m->nxt,
    };
    m->now += 1000;
    cc_on_ack(&m->sk, &ev);
    uint32_t want = m->una + m->sk.st.cwnd;
    if (seq_lt(m->nxt, want))
        m->nxt = want;
}

/* Would the next PER_ACK ACK begin a new round? */
static bool model_round_ends(const struct model *m)
{
    return !seq_lt(m->una + PER_ACK, m->end);
}

/* ACKs the rest of the current round, every ACK with RTT rtt. */
static void model_finish_round(struct model *m, uint64_t rtt)
{
    while (!model_round_ends(m))
        model_ack(m, PER_ACK, rtt);
}

/* A whole round (its first ACK begins it) at RTT rtt. */
static void model_round(struct model *m, uint64_t rtt)
{
    unsigned r = m->round + 1;
    model_ack(m, PER_ACK, rtt);
    assert_int_equal(m->round, r);
    model_finish_round(m, rtt);
}

/* Rounds 1..n at the base RTT. Round 1 holds the initial window's 4 ACKs (fewer than
 * N_RTT_SAMPLE), later rounds at least 8. */
static void model_base_rounds(struct model *m, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        model_round(m, BASE_RTT);
    assert_int_equal(m->round, n);
    assert_false(cc_hystart_in_css(hs(m)));
    assert_true(m->sk.st.ssthresh == CC_SSTHRESH_INFINITE);
}

/* Runs the first ACKs of a new round at rtt, checking that slow start (2 MSS per ACK)
 * holds until the N_RTT_SAMPLE-th sample, on which CSS begins; from then on each ACK
 * grows cwnd by a quarter. */
static void expect_css_entry_in_next_round(struct model *m, uint64_t rtt)
{
    for (unsigned i = 1; i <= N_RTT_SAMPLE; i++) {
        uint32_t before = m->sk.st.cwnd;
        model_ack(m, PER_ACK, rtt);
        assert_int_equal(m->sk.st.cwnd, before + PER_ACK);
        assert_int_equal(m->acks_in_round, i);
        /* The check runs once the round has N_RTT_SAMPLE samples. */
        assert_int_equal(cc_hystart_in_css(hs(m)), i == N_RTT_SAMPLE);
    }
    assert_int_equal(hs(m)->css_baseline_min_rtt, rtt);
    uint32_t before = m->sk.st.cwnd;
    model_ack(m, PER_ACK, rtt);
    assert_int_equal(m->sk.st.cwnd, before + PER_ACK / CSS_GROWTH_DIVISOR);
}

static const struct cc_ops *ops_of(void **state)
{
    return *state;
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_rtt_thresh(void **state)
{
    (void)state;
    const uint64_t mins[] = {0,       1 * MS,   20 * MS,  32 * MS,  33 * MS,
                             64 * MS, BASE_RTT, 128 * MS, 200 * MS, 5000 * MS};
    for (size_t i = 0; i < sizeof(mins) / sizeof(mins[0]); i++)
        assert_int_equal(cc_hystart_rtt_thresh(mins[i]), expected_thresh(mins[i]));
    assert_int_equal(cc_hystart_rtt_thresh(20 * MS), 4 * MS);    /* 2.5 ms clamped up */
    assert_int_equal(cc_hystart_rtt_thresh(BASE_RTT), 12500000); /* 100 ms / 8 */
    assert_int_equal(cc_hystart_rtt_thresh(200 * MS), 16 * MS);  /* 25 ms clamped down */
}

/* The RTT rises by exactly RttThresh in round 5: CSS begins on its 8th sample. */
static void test_css_entry_at_threshold(void **state)
{
    struct model m;
    model_init(&m, ops_of(state), true);
    model_base_rounds(&m, 4);
    uint64_t thresh = expected_thresh(BASE_RTT);
    expect_css_entry_in_next_round(&m, BASE_RTT + thresh);
    assert_int_equal(m.round, 5);
    assert_int_equal(hs(&m)->last_rtt_thresh, thresh);
    assert_int_equal(hs(&m)->css_entries, 1);
    assert_true(cc_in_slow_start(&m.sk.st)); /* CSS is still slow start for the engine */
}

/* One nanosecond below the threshold is not enough; the next round compares against the
 * raised minimum, so a plateau never triggers. */
static void test_below_threshold_stays_in_slow_start(void **state)
{
    struct model m;
    model_init(&m, ops_of(state), true);
    model_base_rounds(&m, 4);
    uint64_t rtt = BASE_RTT + expected_thresh(BASE_RTT) - 1;
    for (int r = 0; r < 3; r++) {
        uint32_t before = m.sk.st.cwnd, acks = 0;
        model_ack(&m, PER_ACK, rtt);
        acks++;
        while (!model_round_ends(&m)) {
            model_ack(&m, PER_ACK, rtt);
            acks++;
        }
        assert_int_equal(m.sk.st.cwnd, before + acks * PER_ACK); /* full slow start */
        assert_false(cc_hystart_in_css(hs(&m)));
    }
    assert_int_equal(hs(&m)->css_entries, 0);
}

/* A 20 ms path: RttThresh is MIN_RTT_THRESH (4 ms), not 20/8 = 2.5 ms. */
static void test_min_thresh_on_short_path(void **state)
{
    struct model m;
    model_init(&m, ops_of(state), true);
    for (int r = 0; r < 4; r++)
        model_round(&m, 20 * MS);
    model_round(&m, 20 * MS + 3 * MS); /* 3 ms > 2.5 ms, but < 4 ms */
    assert_int_equal(hs(&m)->css_entries, 0);
    assert_int_equal(hs(&m)->last_rtt_thresh, 4 * MS);
    expect_css_entry_in_next_round(&m, 23 * MS + 4 * MS);
}

/* CSS grows by a quarter of what slow start would, for the rest of its first (partial)
 * round and 4 more, then ends with ssthresh = cwnd; the next ACK is congestion avoidance. */
static void test_css_growth_and_exit(void **state)
{
    struct model m;
    model_init(&m, ops_of(state), true);
    model_base_rounds(&m, 4);
    uint64_t rtt = BASE_RTT + 20 * MS;
    expect_css_entry_in_next_round(&m, rtt);
    unsigned css_start = m.round;
    for (;;) {
        uint32_t before = m.sk.st.cwnd;
        unsigned round_before = m.round;
        model_ack(&m, PER_ACK, rtt);
        if (m.round != round_before && m.round == css_start + CSS_ROUNDS) {
            /* The first ACK after CSS_ROUNDS rounds: slow start is over. */
            assert_int_equal(m.sk.st.ssthresh, before);
            assert_false(cc_hystart_in_css(hs(&m)));
            assert_true(hs(&m)->exited_to_ca);
            break;
        }
        assert_true(m.round < css_start + CSS_ROUNDS);
        assert_true(cc_hystart_in_css(hs(&m)));
        assert_int_equal(m.sk.st.cwnd, before + PER_ACK / CSS_GROWTH_DIVISOR);
        assert_int_equal(hs(&m)->css_round, m.round - css_start + 1);
    }
    assert_false(cc_in_slow_start(&m.sk.st));
    /* Congestion avoidance from here: about one MSS per window, not 2 MSS per ACK. */
    model_finish_round(&m, rtt);
    uint32_t start = m.sk.st.cwnd;
    model_round(&m, rtt);
    assert_true(m.sk.st.cwnd <= start + 2 * MSS);
    assert_true(m.sk.st.cwnd >= start);
    /* A rising RTT no longer matters. */
    model_round(&m, rtt + 100 * MS);
    assert_int_equal(hs(&m)->css_entries, 1);
}

/* ACKs that are not a multiple of CSS_GROWTH_DIVISOR: the remainder carries over, so the
 * total CSS growth is exactly floor(sum / 4). */
static void test_css_growth_remainder(void **state)
{
    struct model m;
    model_init(&m, ops_of(state), true);
    model_base_rounds(&m, 4);
    expect_css_entry_in_next_round(&m, BASE_RTT + 20 * MS);
    uint32_t start = m.sk.st.cwnd;
    uint64_t sum = 0;
    for (int i = 0; i < 7; i++) {
        model_ack(&m, 1001, BASE_RTT + 20 * MS);
        sum += 1001;
        assert_int_equal(m.sk.st.cwnd, start + sum / CSS_GROWTH_DIVISOR);
    }
    /* RFC 3465 L = 2 still caps one ACK before the division. */
    uint32_t before = m.sk.st.cwnd;
    uint32_t carry = (uint32_t)(sum % CSS_GROWTH_DIVISOR);
    model_ack(&m, 10 * MSS, BASE_RTT + 20 * MS);
    assert_int_equal(m.sk.st.cwnd, before + (2 * MSS + carry) / CSS_GROWTH_DIVISOR);
}

/* In CSS, a round whose minimum falls below the baseline shows the exit was spurious:
 * back to slow start, and HyStart++ may enter CSS again later. */
static void test_spurious_css_returns_to_slow_start(void **state)
{
    struct model m;
    model_init(&m, ops_of(state), true);
    model_base_rounds(&m, 4);
    uint64_t high = BASE_RTT + 20 * MS;
    expect_css_entry_in_next_round(&m, high);
    model_finish_round(&m, high);
    /* Next round: the RTT is back to its base. Samples 1..7 are not enough to decide. */
    for (unsigned i = 1; i <= N_RTT_SAMPLE; i++) {
        uint32_t before = m.sk.st.cwnd;
        model_ack(&m, PER_ACK, BASE_RTT);
        assert_int_equal(m.sk.st.cwnd, before + PER_ACK / CSS_GROWTH_DIVISOR);
        assert_int_equal(cc_hystart_in_css(hs(&m)), i < N_RTT_SAMPLE);
    }
    assert_int_equal(hs(&m)->css_spurious, 1);
    assert_int_equal(hs(&m)->css_baseline_min_rtt, CC_HYSTART_RTT_INF);
    uint32_t before = m.sk.st.cwnd;
    model_ack(&m, PER_ACK, BASE_RTT);
    assert_int_equal(m.sk.st.cwnd, before + PER_ACK); /* slow start again */
    assert_true(m.sk.st.ssthresh == CC_SSTHRESH_INFINITE);
    /* The RTT rises again in a later round: CSS a second time. */
    model_finish_round(&m, BASE_RTT);
    expect_css_entry_in_next_round(&m, high);
    assert_int_equal(hs(&m)->css_entries, 2);
}

/* Drives a plain cc_state with cc_slow_start() beside the model and checks that every ACK
 * left the same window. */
static void expect_plain_slow_start(struct model *m, unsigned rounds, uint64_t rtt_step)
{
    struct cc_state plain = m->sk.st;
    for (unsigned r = 0; r < rounds; r++) {
        uint64_t rtt = BASE_RTT + r * rtt_step;
        do {
            model_ack(m, PER_ACK, rtt);
            assert_int_equal(cc_slow_start(&plain, PER_ACK), 0);
            assert_int_equal(m->sk.st.cwnd, plain.cwnd);
        } while (!model_round_ends(m));
    }
    assert_true(m->sk.st.ssthresh == CC_SSTHRESH_INFINITE);
}

static void test_no_rtt_increase_is_plain_slow_start(void **state)
{
    struct model m;
    model_init(&m, ops_of(state), true);
    expect_plain_slow_start(&m, 9, 0);
    assert_int_equal(hs(&m)->css_entries, 0);
    assert_true(hs(&m)->rounds >= 9);
}

/* hystart false in the ACK events (umptcp_config.hystart = false): plain slow start even
 * though the RTT climbs 50 ms a round. */
static void test_disabled_is_plain_slow_start(void **state)
{
    struct model m;
    model_init(&m, ops_of(state), false);
    expect_plain_slow_start(&m, 9, 50 * MS);
    assert_int_equal(hs(&m)->css_entries, 0);
    assert_int_equal(hs(&m)->rounds, 0);
}

/* Fewer than N_RTT_SAMPLE samples per round (most ACKs carry none): no decision. */
static void test_too_few_samples_no_exit(void **state)
{
    struct model m;
    model_init(&m, ops_of(state), true);
    model_base_rounds(&m, 4);
    unsigned k = 0;
    model_ack(&m, PER_ACK, BASE_RTT + 50 * MS);
    k++;
    while (!model_round_ends(&m)) {
        model_ack(&m, PER_ACK, k < N_RTT_SAMPLE - 1 ? BASE_RTT + 50 * MS : 0);
        k++;
    }
    assert_true(k > N_RTT_SAMPLE);
    assert_int_equal(hs(&m)->rtt_sample_count, N_RTT_SAMPLE - 1);
    assert_false(cc_hystart_in_css(hs(&m)));
    assert_int_equal(hs(&m)->css_entries, 0);
}

/* A loss in CSS: the usual reduction, and HyStart++ is over (also after an undo puts the
 * infinite ssthresh back). */
static void test_loss_ends_hystart(void **state)
{
    struct model m;
    model_init(&m, ops_of(state), true);
    model_base_rounds(&m, 4);
    expect_css_entry_in_next_round(&m, BASE_RTT + 20 * MS);
    uint32_t flight = m.nxt - m.una;
    struct cc_loss_event lev = {.now = m.now, .kind = CC_LOSS_FAST, .bytes_in_flight = flight};
    cc_on_loss(&m.sk, &lev);
    assert_true(hs(&m)->done);
    assert_false(cc_hystart_in_css(hs(&m)));
    assert_true(m.sk.st.ssthresh < flight); /* the algorithm's own reduction (0.5 or 0.7) */
    struct cc_undo_event uev = {.now = m.now};
    cc_undo(&m.sk, &uev);
    if (m.sk.st.ssthresh == CC_SSTHRESH_INFINITE) {
        /* Slow start again after the undo, without HyStart++. */
        expect_plain_slow_start(&m, 3, 50 * MS);
        assert_int_equal(hs(&m)->css_entries, 1);
    }
}

/* An RTO in slow start: ssthresh becomes finite and later slow starts are RFC 5681's. */
static void test_rto_then_plain_slow_start(void **state)
{
    struct model m;
    model_init(&m, ops_of(state), true);
    model_base_rounds(&m, 5);
    struct cc_loss_event lev = {
        .now = m.now, .kind = CC_LOSS_RTO, .bytes_in_flight = m.nxt - m.una};
    cc_on_loss(&m.sk, &lev);
    assert_int_equal(m.sk.st.cwnd, MSS);
    assert_true(hs(&m)->done);
    struct cc_state plain = m.sk.st;
    for (int i = 0; i < 5; i++) {
        model_ack(&m, PER_ACK, BASE_RTT + (uint64_t)i * 30 * MS);
        cc_slow_start(&plain, PER_ACK);
        assert_int_equal(m.sk.st.cwnd, plain.cwnd);
    }
}

static void test_state_fits(void **state)
{
    (void)state;
    assert_true(cc_reno_ops.priv_size <= CC_PRIV_MAX);
    assert_true(cc_cubic_ops.priv_size <= CC_PRIV_MAX);
    assert_true(sizeof(struct cc_hystart) + sizeof(uint32_t) <= cc_reno_ops.priv_size);
    struct cc_sock sk;
    struct cc_ops other = cc_reno_ops;
    other.name = "other";
    assert_int_equal(cc_sock_init(&sk, &other, NULL, MSS, 0), UMPTCP_OK);
    assert_null(cc_hystart_of(&sk)); /* only the listed algorithms */
    assert_null(cc_hystart_of(NULL));
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_prestate(fn, (void *)&cc_reno_ops),                                           \
        cmocka_unit_test_prestate(fn, (void *)&cc_cubic_ops)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtt_thresh),
        BOTH(test_css_entry_at_threshold),
        BOTH(test_below_threshold_stays_in_slow_start),
        BOTH(test_min_thresh_on_short_path),
        BOTH(test_css_growth_and_exit),
        BOTH(test_css_growth_remainder),
        BOTH(test_spurious_css_returns_to_slow_start),
        BOTH(test_no_rtt_increase_is_plain_slow_start),
        BOTH(test_disabled_is_plain_slow_start),
        BOTH(test_too_few_samples_no_exit),
        BOTH(test_loss_ends_hystart),
        BOTH(test_rto_then_plain_slow_start),
        cmocka_unit_test(test_state_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
