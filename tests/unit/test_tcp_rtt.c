/* RTT estimator: RFC 6298 values after the first and later samples (computed by hand in the
 * comments), clamping, backoff, RFC 7323 appendix G weighting, and the windowed min RTT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "tcp/tcp_rtt.h"
#include "umptcp/error.h"

#define MS 1000000ull
#define US 1000ull
#define SEC 1000000000ull

static void test_init(void **state)
{
    (void)state;
    struct tcp_rtt r;
    assert_int_equal(tcp_rtt_init(&r, NULL), UMPTCP_OK);
    assert_false(tcp_rtt_has_sample(&r));
    assert_int_equal(tcp_rtt_rto(&r), 1 * SEC); /* RFC 6298 2.1 */
    assert_int_equal(tcp_rtt_srtt(&r), 0);
    assert_int_equal(tcp_rtt_min_rtt(&r), 0);
    struct tcp_rtt_config c;
    tcp_rtt_config_default(&c);
    assert_int_equal(c.min_rto_ns, 200 * MS);
    assert_int_equal(c.max_rto_ns, 120 * SEC);
    c.min_rto_ns = c.max_rto_ns + 1;
    assert_int_equal(tcp_rtt_init(&r, &c), UMPTCP_ERR_INVAL);
    tcp_rtt_config_default(&c);
    c.max_rto_ns = 0;
    assert_int_equal(tcp_rtt_init(&r, &c), UMPTCP_ERR_INVAL);
    tcp_rtt_config_default(&c);
    c.initial_rto_ns = 0;
    assert_int_equal(tcp_rtt_init(&r, &c), UMPTCP_ERR_INVAL);
    /* Initial RTO above the maximum is capped. */
    tcp_rtt_config_default(&c);
    c.max_rto_ns = 500 * MS;
    c.initial_rto_ns = 3 * SEC;
    assert_int_equal(tcp_rtt_init(&r, &c), UMPTCP_OK);
    assert_int_equal(tcp_rtt_rto(&r), 500 * MS);
}

static void test_rfc6298_formulas(void **state)
{
    (void)state;
    struct tcp_rtt r;
    assert_int_equal(tcp_rtt_init(&r, NULL), UMPTCP_OK);
    /* 2.2: R = 100 ms -> SRTT 100, RTTVAR 50, RTO = 100 + max(1, 200) = 300 ms. */
    tcp_rtt_sample(&r, 100 * MS, 1 * SEC, 1);
    assert_int_equal(tcp_rtt_srtt(&r), 100 * MS);
    assert_int_equal(tcp_rtt_rttvar(&r), 50 * MS);
    assert_int_equal(tcp_rtt_rto(&r), 300 * MS);
    /* 2.3: R = 200 ms: RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200 =
     * 112.5; RTO = 112.5 + 250 = 362.5 ms. */
    tcp_rtt_sample(&r, 200 * MS, 2 * SEC, 1);
    assert_int_equal(tcp_rtt_rttvar(&r), 62500 * US);
    assert_int_equal(tcp_rtt_srtt(&r), 112500 * US);
    assert_int_equal(tcp_rtt_rto(&r), 362500 * US);
    /* R = 100 ms: RTTVAR = 3/4*62.5 + 1/4*12.5 = 50; SRTT = 7/8*112.5 + 12.5 = 110.9375;
     * RTO = 310.9375 ms. */
    tcp_rtt_sample(&r, 100 * MS, 3 * SEC, 1);
    assert_int_equal(tcp_rtt_rttvar(&r), 50 * MS);
    assert_int_equal(tcp_rtt_srtt(&r), 110937500ull);
    assert_int_equal(tcp_rtt_rto(&r), 310937500ull);
    assert_int_equal(tcp_rtt_latest(&r), 100 * MS);
    assert_int_equal(tcp_rtt_min_rtt(&r), 100 * MS);
}

static void test_clamping_and_granularity(void **state)
{
    (void)state;
    struct tcp_rtt r;
    struct tcp_rtt_config c;
    tcp_rtt_config_default(&c);
    assert_int_equal(tcp_rtt_init(&r, &c), UMPTCP_OK);
    /* 1 ms path: 1 + max(1, 2) = 3 ms, raised to the 200 ms minimum. */
    tcp_rtt_sample(&r, 1 * MS, 0, 1);
    assert_int_equal(tcp_rtt_rto(&r), 200 * MS);
    /* RFC 6298's own 1 s minimum when configured. */
    c.min_rto_ns = 1 * SEC;
    assert_int_equal(tcp_rtt_init(&r, &c), UMPTCP_OK);
    tcp_rtt_sample(&r, 1 * MS, 0, 1);
    assert_int_equal(tcp_rtt_rto(&r), 1 * SEC);
    /* 100 s RTT: 100 + 200 = 300 s, capped at 120 s. */
    tcp_rtt_config_default(&c);
    assert_int_equal(tcp_rtt_init(&r, &c), UMPTCP_OK);
    tcp_rtt_sample(&r, 100 * SEC, 0, 1);
    assert_int_equal(tcp_rtt_rto(&r), 120 * SEC);
    /* G dominates once RTTVAR decays: with no minimum, 10 ms samples converge to SRTT + G. */
    c.min_rto_ns = 0;
    assert_int_equal(tcp_rtt_init(&r, &c), UMPTCP_OK);
    tcp_rtt_sample(&r, 10 * MS, 0, 1);
    assert_int_equal(tcp_rtt_rto(&r), 30 * MS); /* 10 + 4 * 5 */
    for (int i = 0; i < 200; i++)
        tcp_rtt_sample(&r, 10 * MS, (uint64_t)i * MS, 1);
    assert_int_equal(tcp_rtt_srtt(&r), 10 * MS);
    assert_true(4 * tcp_rtt_rttvar(&r) < 1 * MS);
    assert_int_equal(tcp_rtt_rto(&r), 11 * MS);
    /* A zero sample counts as 1 ns. */
    tcp_rtt_init(&r, &c);
    tcp_rtt_sample(&r, 0, 0, 1);
    assert_int_equal(tcp_rtt_srtt(&r), 1);
}

static void test_backoff(void **state)
{
    (void)state;
    struct tcp_rtt r;
    assert_int_equal(tcp_rtt_init(&r, NULL), UMPTCP_OK);
    tcp_rtt_backoff(&r);
    assert_int_equal(tcp_rtt_rto(&r), 2 * SEC); /* before any sample: from the initial 1 s */
    tcp_rtt_sample(&r, 100 * MS, 0, 1);
    assert_int_equal(tcp_rtt_backoff_count(&r), 0); /* a valid sample resets the backoff */
    assert_int_equal(tcp_rtt_rto(&r), 300 * MS);
    for (unsigned k = 1; k <= 8; k++) {
        tcp_rtt_backoff(&r);
        assert_int_equal(tcp_rtt_backoff_count(&r), k);
        assert_int_equal(tcp_rtt_rto(&r), (300 * MS) << k);
    }
    tcp_rtt_backoff(&r); /* 300 ms * 512 = 153.6 s > 120 s */
    assert_int_equal(tcp_rtt_rto(&r), 120 * SEC);
    for (int i = 0; i < 100; i++)
        tcp_rtt_backoff(&r);
    assert_int_equal(tcp_rtt_rto(&r), 120 * SEC); /* stays capped, no overflow */
    tcp_rtt_reset_backoff(&r);
    assert_int_equal(tcp_rtt_rto(&r), 300 * MS);
    tcp_rtt_backoff(&r);
    tcp_rtt_sample(&r, 100 * MS, 0, 1);
    assert_int_equal(tcp_rtt_backoff_count(&r), 0);
}

/* RFC 7323 appendix G: alpha/E and beta/E. */
static void test_expected_samples(void **state)
{
    (void)state;
    assert_int_equal(tcp_rtt_expected_samples(0, 1460), 1);
    assert_int_equal(tcp_rtt_expected_samples(2920, 1460), 1);
    assert_int_equal(tcp_rtt_expected_samples(2921, 1460), 2);
    assert_int_equal(tcp_rtt_expected_samples(14600, 1460), 5);
    assert_int_equal(tcp_rtt_expected_samples(14600, 0), 1);
    struct tcp_rtt r;
    assert_int_equal(tcp_rtt_init(&r, NULL), UMPTCP_OK);
    tcp_rtt_sample(&r, 100 * MS, 0, 4);
    assert_int_equal(tcp_rtt_srtt(&r), 100 * MS); /* the first sample is not weighted */
    /* E = 4: RTTVAR = 15/16*50 + 1/16*100 = 53.125; SRTT = 31/32*100 + 1/32*200 = 103.125. */
    tcp_rtt_sample(&r, 200 * MS, 1 * MS, 4);
    assert_int_equal(tcp_rtt_rttvar(&r), 53125 * US);
    assert_int_equal(tcp_rtt_srtt(&r), 103125 * US);
    /* E samples with weight 1/E move SRTT about as far as one sample with full weight. */
    struct tcp_rtt a, b;
    tcp_rtt_init(&a, NULL);
    tcp_rtt_init(&b, NULL);
    tcp_rtt_sample(&a, 100 * MS, 0, 1);
    tcp_rtt_sample(&b, 100 * MS, 0, 1);
    tcp_rtt_sample(&a, 200 * MS, 0, 1);
    for (int i = 0; i < 10; i++)
        tcp_rtt_sample(&b, 200 * MS, 0, 10);
    uint64_t da = tcp_rtt_srtt(&a) - 100 * MS, db = tcp_rtt_srtt(&b) - 100 * MS;
    assert_true(db > da * 9 / 10 && db < da * 11 / 10);
}

static void test_min_rtt_window(void **state)
{
    (void)state;
    struct tcp_rtt r;
    assert_int_equal(tcp_rtt_init(&r, NULL), UMPTCP_OK); /* 10 s window, 2.5 s buckets */
    tcp_rtt_sample(&r, 50 * MS, 0, 1);
    tcp_rtt_sample(&r, 80 * MS, 1 * SEC, 1);
    assert_int_equal(tcp_rtt_min_rtt(&r), 50 * MS);
    tcp_rtt_sample(&r, 70 * MS, 5 * SEC, 1);
    tcp_rtt_sample(&r, 90 * MS, 12 * SEC, 1);
    assert_int_equal(tcp_rtt_min_rtt(&r), 50 * MS); /* 50 ms bucket still within reach */
    tcp_rtt_sample(&r, 95 * MS, 13 * SEC, 1);
    assert_int_equal(tcp_rtt_min_rtt(&r), 70 * MS); /* the t=0 bucket expired */
    tcp_rtt_sample(&r, 100 * MS, 17500 * MS, 1);
    assert_int_equal(tcp_rtt_min_rtt(&r), 90 * MS); /* the t=5 s bucket expired */
    /* A lower value wins at once. */
    tcp_rtt_sample(&r, 20 * MS, 18 * SEC, 1);
    assert_int_equal(tcp_rtt_min_rtt(&r), 20 * MS);
    /* A path that got longer for good: after one window the minimum follows it. */
    for (uint64_t t = 19; t < 40; t++)
        tcp_rtt_sample(&r, 300 * MS, t * SEC, 1);
    assert_int_equal(tcp_rtt_min_rtt(&r), 300 * MS);
    /* Time going backwards does not break it. */
    tcp_rtt_sample(&r, 250 * MS, 5 * SEC, 1);
    assert_int_equal(tcp_rtt_min_rtt(&r), 250 * MS);
    assert_true(r.n_min <= TCP_RTT_MIN_BUCKETS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_rfc6298_formulas),
        cmocka_unit_test(test_clamping_and_granularity),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_expected_samples),
        cmocka_unit_test(test_min_rtt_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
