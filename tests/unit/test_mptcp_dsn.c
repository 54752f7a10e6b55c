/* 64-bit data sequence numbers: wrap-aware comparisons (the IDSN is random, so the 2^64 wrap
 * can happen) and RFC 8684 3.3.1 expansion of 32-bit DSNs / Data ACKs around 2^32 boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "mptcp/mptcp_dsn.h"

#define TWO32 ((uint64_t)1 << 32)

static void test_compare_plain(void **state)
{
    (void)state;
    assert_true(mptcp_dsn_lt(1, 2));
    assert_false(mptcp_dsn_lt(2, 2));
    assert_true(mptcp_dsn_leq(2, 2));
    assert_true(mptcp_dsn_gt(3, 2));
    assert_true(mptcp_dsn_geq(3, 3));
    assert_false(mptcp_dsn_geq(2, 3));
    assert_int_equal(mptcp_dsn_diff(10, 3), 7);
    assert_int_equal(mptcp_dsn_diff(3, 10), -7);
    assert_int_equal(mptcp_dsn_max(5, 9), 9);
    assert_int_equal(mptcp_dsn_min(5, 9), 5);
}

/* An IDSN just below 2^64: a plain unsigned compare would get every one of these wrong. */
static void test_compare_across_2_64(void **state)
{
    (void)state;
    uint64_t before = UINT64_MAX - 5, after = 10;
    assert_true(mptcp_dsn_lt(before, after));
    assert_true(mptcp_dsn_gt(after, before));
    assert_int_equal(mptcp_dsn_diff(after, before), 16);
    assert_int_equal(mptcp_dsn_diff(before, after), -16);
    assert_true(mptcp_dsn_max(before, after) == after);
    assert_true(mptcp_dsn_min(before, after) == before);
    assert_true(mptcp_dsn_in_range(UINT64_MAX, before, after));
    assert_true(mptcp_dsn_in_range(0, before, after));
    assert_false(mptcp_dsn_in_range(after, before, after));
    assert_true(mptcp_dsn_between(before, after, after));
    assert_true(mptcp_dsn_in_window(3, UINT64_MAX - 1, 10));
    assert_false(mptcp_dsn_in_window(8, UINT64_MAX - 1, 10));
    assert_false(mptcp_dsn_in_window(5, 5, 0));
}

static void test_diff_extremes(void **state)
{
    (void)state;
    /* Exactly 2^63 apart: the distance is INT64_MIN, well defined (no UB under UBSan). */
    assert_true(mptcp_dsn_diff((uint64_t)1 << 63, 0) == INT64_MIN);
    assert_true(mptcp_dsn_diff(0, ((uint64_t)1 << 63) + 1) == INT64_MAX);
    assert_true(mptcp_dsn_diff(0, 1) == -1);
    assert_true(mptcp_dsn_diff(0, UINT64_MAX) == 1);
}

static void test_expand_identity(void **state)
{
    (void)state;
    uint64_t refs[] = {
        0, 1, 12345, TWO32 - 1, TWO32, 7 * TWO32 + 99, UINT64_MAX, UINT64_MAX - TWO32};
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        assert_true(mptcp_dsn_expand(refs[i], mptcp_dsn_low32(refs[i])) == refs[i]);
        /* Nearby values on both sides come back exactly. */
        for (int64_t d = -3000; d <= 3000; d += 1000) {
            uint64_t v = refs[i] + (uint64_t)d;
            assert_true(mptcp_dsn_expand(refs[i], mptcp_dsn_low32(v)) == v);
        }
    }
}

/* The reference just below a 2^32 boundary, the value just after it: the upper half increments. */
static void test_expand_forward_wrap(void **state)
{
    (void)state;
    uint64_t ref = 5 * TWO32 - 100; /* low32 = 0xffffff9c */
    assert_true(mptcp_dsn_expand(ref, 50) == 5 * TWO32 + 50);
    assert_true(mptcp_dsn_expand(ref, 0) == 5 * TWO32);
    assert_true(mptcp_dsn_expand(ref, 0xffffffffu) == 5 * TWO32 - 1);
    /* The farthest forward value still taken as ahead: ref + 2^31 - 1. */
    assert_true(mptcp_dsn_expand(ref, (uint32_t)(ref + 0x7fffffffu)) == ref + 0x7fffffffu);
}

/* The reference just after a boundary, an old (reordered) value from before it: no wrap, the
 * upper half is NOT incremented but taken back. */
static void test_expand_reordered_before_wrap(void **state)
{
    (void)state;
    uint64_t ref = 5 * TWO32 + 20;
    assert_true(mptcp_dsn_expand(ref, 0xfffffff0u) == 5 * TWO32 - 16);
    assert_true(mptcp_dsn_expand(ref, 20) == ref);
    /* The farthest backward value: ref - 2^31. */
    assert_true(mptcp_dsn_expand(ref, (uint32_t)(ref - 0x80000000u)) == ref - 0x80000000u);
    /* One step further back is read as ahead (closest value wins). */
    assert_true(mptcp_dsn_expand(ref, (uint32_t)(ref - 0x80000001u)) == ref + 0x7fffffffu);
}

/* Around 2^64 (random IDSN near the top): expansion wraps modulo 2^64 in both directions. */
static void test_expand_across_2_64(void **state)
{
    (void)state;
    uint64_t ref = UINT64_MAX - 10;
    assert_true(mptcp_dsn_expand(ref, 5) == 5);
    assert_true(mptcp_dsn_expand(ref, 0xfffffff0u) == UINT64_MAX - 15);
    ref = 3;
    assert_true(mptcp_dsn_expand(ref, 0xfffffffeu) == UINT64_MAX - 1);
    assert_true(mptcp_dsn_expand(ref, 0) == 0);
}

/* A 32-bit receiver walking a long stream: expanding every value against the previous one
 * reproduces the full 64-bit sequence over several wraps of the low half. */
static void test_expand_walk(void **state)
{
    (void)state;
    uint64_t truth = UINT64_MAX - 3 * TWO32; /* crosses 2^64 too */
    uint64_t ref = truth;
    uint32_t x = 0x9e3779b9u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        truth += (x % 0x40000000u); /* steps below 2^30 */
        uint64_t got = mptcp_dsn_expand(ref, mptcp_dsn_low32(truth));
        assert_true(got == truth);
        ref = got;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_plain),
        cmocka_unit_test(test_compare_across_2_64),
        cmocka_unit_test(test_diff_extremes),
        cmocka_unit_test(test_expand_identity),
        cmocka_unit_test(test_expand_forward_wrap),
        cmocka_unit_test(test_expand_reordered_before_wrap),
        cmocka_unit_test(test_expand_across_2_64),
        cmocka_unit_test(test_expand_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
