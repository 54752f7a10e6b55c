/* Sequence number arithmetic (RFC 9293 3.4) around the 2^32 wrap and the 2^31 horizon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "tcp/tcp_seq.h"

static void test_diff(void **state)
{
    (void)state;
    assert_int_equal(tcp_seq_diff(5, 3), 2);
    assert_int_equal(tcp_seq_diff(3, 5), -2);
    assert_int_equal(tcp_seq_diff(2, 0xfffffffeu), 4); /* across the wrap */
    assert_int_equal(tcp_seq_diff(0xfffffffeu, 2), -4);
    assert_int_equal(tcp_seq_diff(0x80000000u, 0), INT32_MIN); /* the ambiguous half-way point */
    assert_int_equal(tcp_seq_diff(0x7fffffffu, 0), INT32_MAX);
    assert_int_equal(tcp_seq_diff(0, 0x7fffffffu), -INT32_MAX);
    assert_int_equal(tcp_seq_diff(7, 7), 0);
}

static void test_order_across_wrap(void **state)
{
    (void)state;
    const uint32_t bases[] = {0, 1, 0x7fffffffu, 0x80000000u, 0xfffffff0u, 0xffffffffu};
    const uint32_t deltas[] = {1, 2, 1000, 0x10000u, 0x7fffffffu};
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        for (size_t j = 0; j < sizeof(deltas) / sizeof(deltas[0]); j++) {
            uint32_t a = bases[i], b = a + deltas[j];
            assert_true(tcp_seq_lt(a, b));
            assert_true(tcp_seq_leq(a, b));
            assert_false(tcp_seq_gt(a, b));
            assert_false(tcp_seq_geq(a, b));
            assert_true(tcp_seq_gt(b, a));
            assert_true(tcp_seq_geq(b, a));
            assert_false(tcp_seq_lt(b, a));
            assert_int_equal(tcp_seq_max(a, b), b);
            assert_int_equal(tcp_seq_min(a, b), a);
            assert_int_equal(tcp_seq_max(b, a), b);
            assert_int_equal(tcp_seq_min(b, a), a);
        }
        uint32_t a = bases[i];
        assert_true(tcp_seq_leq(a, a));
        assert_true(tcp_seq_geq(a, a));
        assert_false(tcp_seq_lt(a, a));
        assert_false(tcp_seq_gt(a, a));
    }
}

static void test_ranges(void **state)
{
    (void)state;
    uint32_t lo = 0xfffffff0u, hi = 0x10; /* a range that crosses zero */
    assert_true(tcp_seq_between(lo, lo, hi));
    assert_true(tcp_seq_between(lo, 0, hi));
    assert_true(tcp_seq_between(lo, hi, hi));
    assert_false(tcp_seq_between(lo, hi + 1, hi));
    assert_false(tcp_seq_between(lo, lo - 1, hi));
    assert_true(tcp_seq_in_range(lo, lo, hi));
    assert_true(tcp_seq_in_range(0xffffffffu, lo, hi));
    assert_true(tcp_seq_in_range(hi - 1, lo, hi));
    assert_false(tcp_seq_in_range(hi, lo, hi));
    assert_false(tcp_seq_in_range(lo, lo, lo)); /* empty */
    /* Receive window test: RCV.NXT =< x < RCV.NXT + RCV.WND. */
    assert_true(tcp_seq_in_window(0xffffff00u, 0xffffff00u, 0x200));
    assert_true(tcp_seq_in_window(0xff, 0xffffff00u, 0x200));
    assert_false(tcp_seq_in_window(0x100, 0xffffff00u, 0x200));
    assert_false(tcp_seq_in_window(0xfffffeffu, 0xffffff00u, 0x200));
    assert_false(tcp_seq_in_window(5, 5, 0)); /* zero window accepts nothing */
    /* Wide ranges (>= 2^31) still behave, measured from lo. */
    assert_true(tcp_seq_between(0, 0xf0000000u, 0xffffffffu));
    assert_false(tcp_seq_in_range(0xf0000000u, 0, 0x80000000u));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_order_across_wrap),
        cmocka_unit_test(test_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
