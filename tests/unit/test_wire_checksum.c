/* RFC 1071 Internet checksum and the TCP pseudo-header sums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "wire_fixtures.h"
#include "wire/checksum.h"

#include <stdlib.h>
#include <string.h>

/* Straightforward reference: 16-bit words one at a time, carries folded at the end. */
static uint16_t ref_checksum(const uint8_t *p, size_t len)
{
    uint64_t s = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        s += (uint32_t)p[len - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void test_rfc1071_example(void **state)
{
    (void)state;
    /* RFC 1071 3: the words 0001 f203 f4f5 f6f7 sum to ddf2, checksum is its complement. */
    static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(wire_csum_fold(wire_csum_add(0, b, sizeof(b))), 0x220d);
    /* With the checksum appended, the sum verifies to zero. */
    uint8_t c[10];
    memcpy(c, b, 8);
    c[8] = 0x22;
    c[9] = 0x0d;
    assert_int_equal(wire_csum_fold(wire_csum_add(0, c, sizeof(c))), 0);
}

static void test_odd_length_pads_with_zero(void **state)
{
    (void)state;
    static const uint8_t one[] = {0x01};
    assert_int_equal(wire_csum_fold(wire_csum_add(0, one, 1)), 0xfeff);
    static const uint8_t three[] = {0x12, 0x34, 0x56};
    assert_int_equal(wire_csum_fold(wire_csum_add(0, three, 3)), (uint16_t) ~(0x1234 + 0x5600));
    assert_int_equal(wire_csum_fold(wire_csum_add(0, NULL, 0)), 0xffff);
}

static void test_matches_reference_and_chunks(void **state)
{
    (void)state;
    uint8_t buf[3001];
    unsigned seed = 12345;
    for (size_t i = 0; i < sizeof(buf); i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (uint8_t)(seed >> 16);
    }
    for (size_t len = 0; len <= sizeof(buf); len += (len < 70 ? 1 : 97)) {
        uint16_t want = ref_checksum(buf, len);
        assert_int_equal(wire_csum_fold(wire_csum_add(0, buf, len)), want);
        /* Even-length chunks with plain add. */
        uint32_t s = 0;
        size_t off = 0;
        while (len - off > 6) {
            s = wire_csum_add(s, buf + off, 6);
            off += 6;
        }
        s = wire_csum_add(s, buf + off, len - off);
        assert_int_equal(wire_csum_fold(s), want);
        /* Odd-length chunks need the offset. */
        s = 0;
        off = 0;
        size_t step = 1;
        while (off < len) {
            size_t n = len - off < step ? len - off : step;
            s = wire_csum_add_at(s, buf + off, n, off);
            off += n;
            step = step % 7 + 2;
        }
        assert_int_equal(wire_csum_fold(s), want);
    }
}

static void test_no_overflow_on_long_input(void **state)
{
    (void)state;
    size_t len = 1u << 20; /* 2^19 words of 0xffff would overflow a naive 32-bit sum */
    uint8_t *big = malloc(len);
    assert_non_null(big);
    memset(big, 0xff, len);
    assert_int_equal(wire_csum_fold(wire_csum_add(0, big, len)), ref_checksum(big, len));
    big[100] = 0x00;
    assert_int_equal(wire_csum_fold(wire_csum_add(0, big, len)), ref_checksum(big, len));
    uint32_t s = 0;
    for (int i = 0; i < 64; i++)
        s = wire_csum_add(s, big, len);
    uint64_t r = 0;
    uint16_t one = (uint16_t)~ref_checksum(big, len);
    for (int i = 0; i < 64; i++)
        r += one;
    while (r >> 16)
        r = (r & 0xffff) + (r >> 16);
    assert_int_equal(wire_csum_fold(s), (uint16_t)~r);
    free(big);
}

static void test_ipv4_header_and_pseudo_header(void **state)
{
    (void)state;
    uint8_t p[64];
    size_t n = tu_hex_decode(tu_kernel_syn4_hex, p, sizeof(p));
    assert_int_equal(n, 60);
    /* IP header checksum verifies, and recomputing it with the field zeroed gives 0xbe10. */
    assert_int_equal(wire_csum_fold(wire_csum_add(0, p, 20)), 0);
    p[10] = p[11] = 0;
    assert_int_equal(wire_csum_fold(wire_csum_add(0, p, 20)), 0xbe10);

    umptcp_addr src = {.family = UMPTCP_AF_INET, .bytes = {10, 9, 0, 1}};
    umptcp_addr dst = {.family = UMPTCP_AF_INET, .bytes = {10, 9, 0, 2}};
    /* 0a09 + 0001 + 0a09 + 0002 + 0006 + 0028 = 0x1443 */
    uint32_t ph = wire_csum_pseudo(&src, &dst, 6, 40);
    assert_int_equal(wire_csum_fold(ph), (uint16_t)~0x1443);
    assert_int_equal(wire_csum_fold(wire_csum_add(ph, p + 20, 40)), 0);
    p[36] = p[37] = 0;
    assert_int_equal(wire_csum_fold(wire_csum_add(ph, p + 20, 40)), 0x6950);
}

static void test_ipv6_pseudo_header(void **state)
{
    (void)state;
    uint8_t p[128];
    size_t n = tu_hex_decode(tu_kernel_syn6_hex, p, sizeof(p));
    assert_int_equal(n, 80);
    umptcp_addr src = {.family = UMPTCP_AF_INET6}, dst = {.family = UMPTCP_AF_INET6};
    memcpy(src.bytes, p + 8, 16);
    memcpy(dst.bytes, p + 24, 16);
    uint32_t ph = wire_csum_pseudo(&src, &dst, 6, 40);
    /* fd09 + 0001 + fd09 + 0002 + 0028 (length) + 0006 (next header) */
    uint64_t want = 0xfd09u + 1 + 0xfd09u + 2 + 0x28 + 6;
    while (want >> 16)
        want = (want & 0xffff) + (want >> 16);
    assert_int_equal(wire_csum_fold(ph), (uint16_t)~want);
    assert_int_equal(wire_csum_fold(wire_csum_add(ph, p + 40, 40)), 0);
    p[56] = p[57] = 0;
    assert_int_equal(wire_csum_fold(wire_csum_add(ph, p + 40, 40)), 0xd028);
    /* The upper 16 bits of the 32-bit IPv6 length count too. */
    assert_int_not_equal(wire_csum_fold(wire_csum_pseudo(&src, &dst, 6, 0x10028)),
                         wire_csum_fold(ph));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1071_example),
        cmocka_unit_test(test_odd_length_pads_with_zero),
        cmocka_unit_test(test_matches_reference_and_chunks),
        cmocka_unit_test(test_no_overflow_on_long_input),
        cmocka_unit_test(test_ipv4_header_and_pseudo_header),
        cmocka_unit_test(test_ipv6_pseudo_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
