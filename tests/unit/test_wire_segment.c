/* Whole IP + TCP packets: parse captured SYNs, build them back byte for byte, round trips,
 * and the errors of the combined parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "wire_fixtures.h"
#include "umptcp/error.h"
#include "util/bytes.h"
#include "wire/checksum.h"
#include "wire/segment.h"

#include <stdlib.h>
#include <string.h>

/* Parses a heap copy of exactly len bytes (ASan catches over-reads); pointers in *seg are not
 * valid afterwards, only the return code and scalar fields. */
static int parse_exact(const uint8_t *p, size_t len, struct wire_segment *seg)
{
    uint8_t *copy = tu_exact_copy(p, len);
    int rc = wire_segment_parse(copy, len, seg);
    free(copy);
    return rc;
}

static umptcp_sockaddr sa(const char *text, uint16_t port)
{
    umptcp_sockaddr s = {.port = port};
    assert_int_equal(umptcp_addr_parse(&s.addr, text), UMPTCP_OK);
    return s;
}

static void test_parse_captured_syns(void **state)
{
    (void)state;
    uint8_t p[128];
    struct wire_segment s;
    size_t n = tu_hex_decode(tu_kernel_syn4_hex, p, sizeof(p));
    assert_int_equal(wire_segment_parse(p, n, &s), UMPTCP_OK);
    assert_int_equal(s.ip.version, 4);
    assert_int_equal(s.tcp.sport, 53582);
    assert_int_equal(s.tcp.dport, 8080);
    assert_int_equal(s.tcp.flags, WIRE_TCP_SYN);
    assert_int_equal(s.opt.present,
                     WIRE_OPT_MSS | WIRE_OPT_SACK_PERM | WIRE_OPT_TIMESTAMP | WIRE_OPT_WSCALE);
    assert_int_equal(s.opt.mss, 1460);
    assert_int_equal(s.opt.wscale, 10);
    assert_int_equal(s.opt.ts_val, 0xc9c53b90);

    n = tu_hex_decode(tu_kernel_syn6_hex, p, sizeof(p));
    assert_int_equal(wire_segment_parse(p, n, &s), UMPTCP_OK);
    assert_int_equal(s.ip.version, 6);
    assert_int_equal(s.tcp.sport, 50050);
    assert_int_equal(s.tcp.seq, 0x7471a06b);
    assert_int_equal(s.tcp.window, 0xfd20);
    assert_int_equal(s.opt.mss, 1440);
    assert_int_equal(s.opt.ts_val, 0x306f5852);
}

/* Building from the fields of the captures gives the kernel's bytes exactly. */
static void test_build_reproduces_captures(void **state)
{
    (void)state;
    uint8_t want[128], buf[128];
    size_t n = tu_hex_decode(tu_kernel_syn4_hex, want, sizeof(want)), len = 0;
    struct wire_tcp_options o = {.present = WIRE_OPT_MSS | WIRE_OPT_SACK_PERM | WIRE_OPT_TIMESTAMP |
                                            WIRE_OPT_WSCALE,
                                 .mss = 1460,
                                 .wscale = 10,
                                 .ts_val = 0xc9c53b90};
    struct wire_segment_spec spec = {.src = sa("10.9.0.1", 53582),
                                     .dst = sa("10.9.0.2", 8080),
                                     .seq = 0x5ef37a7f,
                                     .flags = WIRE_TCP_SYN,
                                     .window = 0xfaf0,
                                     .ip_id = 0x6897,
                                     .opt = &o};
    assert_int_equal(wire_segment_build(&spec, buf, sizeof(buf), &len), UMPTCP_OK);
    assert_int_equal(len, n);
    assert_memory_equal(buf, want, n);

    n = tu_hex_decode(tu_kernel_syn6_hex, want, sizeof(want));
    o.mss = 1440;
    o.ts_val = 0x306f5852;
    spec.src = sa("fd09::1", 50050);
    spec.dst = sa("fd09::2", 8080);
    spec.seq = 0x7471a06b;
    spec.window = 0xfd20;
    spec.flow_label = 0xf31ab;
    assert_int_equal(wire_segment_build(&spec, buf, sizeof(buf), &len), UMPTCP_OK);
    assert_int_equal(len, n);
    assert_memory_equal(buf, want, n);
}

static void roundtrip(const char *src, const char *dst)
{
    /* 12 (TS) + 12 (SACK) + 14 = 38 bytes of options, padded to 40. */
    static const uint8_t mp[] = {30, 14, 0x20, 0x05, 1, 2, 3, 4, 5, 6, 7, 8, 0xab, 0xcd};
    uint8_t payload[1001];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 31 + 7);
    struct wire_tcp_options o = {.present = WIRE_OPT_TIMESTAMP | WIRE_OPT_SACK,
                                 .ts_val = 123456789,
                                 .ts_ecr = 987654321,
                                 .sack_count = 1,
                                 .sack = {{0xfffffff0u, 0x10}}};
    o.mptcp[0] = (struct wire_opt_span){mp, sizeof(mp)};
    o.mptcp_count = 1;
    struct wire_segment_spec spec = {.src = sa(src, 40000),
                                     .dst = sa(dst, 443),
                                     .seq = 0xfffffff0u,
                                     .ack = 0x12345678,
                                     .flags = WIRE_TCP_ACK | WIRE_TCP_PSH,
                                     .window = 501,
                                     .ttl = 3,
                                     .tos = 0x02, /* ECT(0) */
                                     .ip_id = 77,
                                     .opt = &o,
                                     .payload = payload,
                                     .payload_len = sizeof(payload)};
    uint8_t buf[1200];
    size_t len = 0;
    assert_int_equal(wire_segment_build(&spec, buf, sizeof(buf), &len), UMPTCP_OK);
    size_t ip_len = spec.src.addr.family == UMPTCP_AF_INET ? 20 : 40;
    assert_int_equal(len, ip_len + 20 + 40 + sizeof(payload));
    struct wire_segment s;
    assert_int_equal(wire_segment_parse(buf, len, &s), UMPTCP_OK);
    assert_true(umptcp_addr_equal(&s.ip.src, &spec.src.addr));
    assert_true(umptcp_addr_equal(&s.ip.dst, &spec.dst.addr));
    assert_int_equal(s.ip.ttl, 3);
    assert_int_equal(s.ip.tos, 0x02);
    assert_int_equal(s.ip.proto, WIRE_IPPROTO_TCP);
    if (ip_len == 20) {
        assert_int_equal(s.ip.id, 77);
        assert_true(s.ip.dont_fragment);
    }
    assert_int_equal(s.tcp.sport, 40000);
    assert_int_equal(s.tcp.dport, 443);
    assert_int_equal(s.tcp.seq, 0xfffffff0u);
    assert_int_equal(s.tcp.ack, 0x12345678);
    assert_int_equal(s.tcp.flags, WIRE_TCP_ACK | WIRE_TCP_PSH);
    assert_int_equal(s.tcp.window, 501);
    assert_int_equal(s.tcp.hdr_len, 60);
    assert_int_equal(s.tcp.payload_len, sizeof(payload));
    assert_memory_equal(s.tcp.payload, payload, sizeof(payload));
    assert_int_equal(s.opt.present, WIRE_OPT_TIMESTAMP | WIRE_OPT_SACK);
    assert_int_equal(s.opt.ts_val, 123456789);
    assert_int_equal(s.opt.ts_ecr, 987654321);
    assert_int_equal(s.opt.sack_count, 1);
    assert_int_equal(s.opt.sack[0].left, 0xfffffff0u);
    assert_int_equal(s.opt.sack[0].right, 0x10);
    assert_int_equal(s.opt.mptcp_count, 1);
    assert_int_equal(s.opt.mptcp[0].len, sizeof(mp));
    assert_memory_equal(s.opt.mptcp[0].data, mp, sizeof(mp));

    /* Any single-bit error in the TCP part is caught (checksum, or a bad data offset). */
    for (size_t i = ip_len; i < len; i += (i < ip_len + 80 ? 1 : 37)) {
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1u << bit);
            assert_true(wire_segment_parse(buf, len, &s) < 0);
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* So is a changed address (pseudo-header). */
    buf[ip_len - 1] ^= 1;
    if (ip_len == 20)
        buf[11] ^= 1; /* keep the IP header checksum right: last bytes of the same word */
    assert_int_equal(wire_segment_parse(buf, len, &s), UMPTCP_ERR_BAD_CHECKSUM);
}

static void test_roundtrip_v4(void **state)
{
    (void)state;
    roundtrip("192.0.2.1", "198.51.100.7");
}

static void test_roundtrip_v6(void **state)
{
    (void)state;
    roundtrip("2001:db8::1", "2001:db8:ffff::2");
}

static void test_truncated_at_every_byte(void **state)
{
    (void)state;
    const char *hex[] = {tu_kernel_syn4_hex, tu_kernel_syn6_hex};
    for (int k = 0; k < 2; k++) {
        uint8_t p[128];
        struct wire_segment s;
        size_t n = tu_hex_decode(hex[k], p, sizeof(p));
        for (size_t len = 0; len < n; len++)
            assert_int_equal(parse_exact(p, len, &s), UMPTCP_ERR_TRUNCATED);
        assert_int_equal(parse_exact(p, n, &s), UMPTCP_OK);
    }
}

static void test_segment_errors(void **state)
{
    (void)state;
    uint8_t orig[128], p[128];
    struct wire_segment s;
    size_t n = tu_hex_decode(tu_kernel_syn4_hex, orig, sizeof(orig));

    /* Not TCP: same packet claiming UDP (IP checksum fixed). */
    memcpy(p, orig, n);
    p[9] = 17;
    be16_put(p + 10, 0);
    be16_put(p + 10, wire_csum_fold(wire_csum_add(0, p, 20)));
    assert_int_equal(wire_segment_parse(p, n, &s), UMPTCP_ERR_PROTO);
    assert_int_equal(s.ip.proto, 17);

    /* Bad TCP data offset. */
    memcpy(p, orig, n);
    p[32] = 0x40;
    assert_int_equal(wire_segment_parse(p, n, &s), UMPTCP_ERR_BAD_LENGTH);
    p[32] = 0xf0;
    assert_int_equal(wire_segment_parse(p, n, &s), UMPTCP_ERR_TRUNCATED);

    /* TCP checksum. */
    memcpy(p, orig, n);
    p[37] ^= 0x80;
    assert_int_equal(wire_segment_parse(p, n, &s), UMPTCP_ERR_BAD_CHECKSUM);

    /* IP checksum comes first. */
    memcpy(p, orig, n);
    p[8] = 63;
    assert_int_equal(wire_segment_parse(p, n, &s), UMPTCP_ERR_BAD_CHECKSUM);

    /* A TCP header shorter than 20 bytes inside a valid IP packet. */
    memcpy(p, orig, n);
    be16_put(p + 2, 39);
    be16_put(p + 10, 0);
    be16_put(p + 10, wire_csum_fold(wire_csum_add(0, p, 20)));
    assert_int_equal(wire_segment_parse(p, n, &s), UMPTCP_ERR_TRUNCATED);

    /* A malformed option block with a correct checksum: the option error comes through. */
    memcpy(p, orig, n);
    p[58] = 1; /* the WS option's length byte */
    be16_put(p + 36, 0);
    be16_put(p + 36,
             wire_tcp_checksum(&(umptcp_addr){.family = 4, .bytes = {10, 9, 0, 1}},
                               &(umptcp_addr){.family = 4, .bytes = {10, 9, 0, 2}}, p + 20, 40));
    assert_int_equal(wire_segment_parse(p, n, &s), UMPTCP_ERR_BAD_LENGTH);
}

/* IPv6 extension headers before TCP: the checksum still covers only TCP (RFC 8200 8.1). */
static void test_v6_with_extension_headers(void **state)
{
    (void)state;
    uint8_t orig[128], p[160];
    size_t n = tu_hex_decode(tu_kernel_syn6_hex, orig, sizeof(orig));
    static const uint8_t hbh[8] = {WIRE_IPV6_NH_DSTOPTS, 0, 1, 4, 0, 0, 0, 0};
    static const uint8_t dst[8] = {WIRE_IPPROTO_TCP, 0, 1, 4, 0, 0, 0, 0};
    memcpy(p, orig, 40);
    memcpy(p + 40, hbh, 8);
    memcpy(p + 48, dst, 8);
    memcpy(p + 56, orig + 40, n - 40);
    p[6] = WIRE_IPV6_NH_HOPOPTS;
    be16_put(p + 4, (uint16_t)(n - 40 + 16));
    struct wire_segment s;
    assert_int_equal(wire_segment_parse(p, n + 16, &s), UMPTCP_OK);
    assert_int_equal(s.ip.ext_len, 16);
    assert_int_equal(s.tcp.sport, 50050);
    assert_int_equal(s.opt.mss, 1440);
    for (size_t len = 0; len < n + 16; len++)
        assert_int_equal(parse_exact(p, len, &s), UMPTCP_ERR_TRUNCATED);
}

static void test_build_errors(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t len = 0;
    struct wire_segment_spec spec = {.src = sa("10.0.0.1", 1), .dst = sa("fd00::1", 2)};
    assert_int_equal(wire_segment_build(&spec, buf, sizeof(buf), &len), UMPTCP_ERR_INVAL);
    spec.dst = sa("10.0.0.2", 2);
    spec.src.addr.family = UMPTCP_AF_NONE;
    spec.dst.addr.family = UMPTCP_AF_NONE;
    assert_int_equal(wire_segment_build(&spec, buf, sizeof(buf), &len), UMPTCP_ERR_INVAL);
    assert_int_equal(wire_segment_build(NULL, buf, sizeof(buf), &len), UMPTCP_ERR_INVAL);
    spec.src = sa("10.0.0.1", 1);
    spec.dst = sa("10.0.0.2", 2);
    spec.payload_len = 5;
    assert_int_equal(wire_segment_build(&spec, buf, sizeof(buf), &len), UMPTCP_ERR_INVAL);
    spec.payload = (const uint8_t *)"abcde";

    /* Default TTL; too small a buffer reports the size needed. */
    assert_int_equal(wire_segment_build(&spec, buf, 44, &len), UMPTCP_ERR_NOSPACE);
    assert_int_equal(len, 45);
    assert_int_equal(wire_segment_build(&spec, buf, 45, &len), UMPTCP_OK);
    assert_int_equal(len, 45);
    assert_int_equal(buf[8], 64);

    /* Options over 40 bytes are refused whole. */
    struct wire_tcp_options o = {.present = WIRE_OPT_TIMESTAMP | WIRE_OPT_SACK, .sack_count = 4};
    spec.opt = &o;
    assert_int_equal(wire_segment_build(&spec, buf, sizeof(buf), &len), UMPTCP_ERR_NOSPACE);
    o.sack_count = 0;
    assert_int_equal(wire_segment_build(&spec, buf, sizeof(buf), &len), UMPTCP_ERR_INVAL);

    /* Payload too large for the IP length field. */
    static uint8_t big[65536];
    spec.opt = NULL;
    spec.payload = big;
    spec.payload_len = 65535 - 20 - 20 + 1;
    uint8_t *out = malloc(70000);
    assert_non_null(out);
    assert_int_equal(wire_segment_build(&spec, out, 70000, &len), UMPTCP_ERR_BAD_LENGTH);
    spec.payload_len--;
    assert_int_equal(wire_segment_build(&spec, out, 70000, &len), UMPTCP_OK);
    assert_int_equal(len, 65535);
    struct wire_segment s;
    assert_int_equal(wire_segment_parse(out, len, &s), UMPTCP_OK);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_captured_syns),
        cmocka_unit_test(test_build_reproduces_captures),
        cmocka_unit_test(test_roundtrip_v4),
        cmocka_unit_test(test_roundtrip_v6),
        cmocka_unit_test(test_truncated_at_every_byte),
        cmocka_unit_test(test_segment_errors),
        cmocka_unit_test(test_v6_with_extension_headers),
        cmocka_unit_test(test_build_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
