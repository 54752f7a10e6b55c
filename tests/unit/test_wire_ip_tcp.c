/* IPv4/IPv6 and TCP header codecs: known packets, writers, every error path. */
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
#include "wire/ip.h"
#include "wire/tcp.h"

#include <stdlib.h>
#include <string.h>

/* Parses a heap copy of exactly len bytes, so ASan catches any read past the end. */
static int ip_parse_exact(const uint8_t *p, size_t len, struct wire_ip_hdr *h)
{
    uint8_t *copy = tu_exact_copy(p, len);
    int rc = wire_ip_parse(copy, len, h);
    free(copy);
    return rc;
}

static void ipv4_fix_checksum(uint8_t *p)
{
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    be16_put(p + 10, 0);
    be16_put(p + 10, wire_csum_fold(wire_csum_add(0, p, ihl)));
}

static void test_ipv4_parse_known_syn(void **state)
{
    (void)state;
    uint8_t p[64];
    size_t n = tu_hex_decode(tu_kernel_syn4_hex, p, sizeof(p));
    struct wire_ip_hdr h;
    assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_OK);
    assert_int_equal(h.version, 4);
    assert_int_equal(h.hdr_len, 20);
    assert_int_equal(h.tos, 0);
    assert_int_equal(h.ttl, 64);
    assert_int_equal(h.proto, WIRE_IPPROTO_TCP);
    assert_int_equal(h.id, 0x6897);
    assert_true(h.dont_fragment);
    assert_int_equal(h.src.family, UMPTCP_AF_INET);
    assert_memory_equal(h.src.bytes, "\x0a\x09\x00\x01", 4);
    assert_memory_equal(h.dst.bytes, "\x0a\x09\x00\x02", 4);
    assert_ptr_equal(h.payload, p + 20);
    assert_int_equal(h.payload_len, 40);
    assert_int_equal(h.ext_len, 0);
    assert_int_equal(h.flow_label, 0);
}

static void test_ipv6_parse_known_syn(void **state)
{
    (void)state;
    uint8_t p[128];
    size_t n = tu_hex_decode(tu_kernel_syn6_hex, p, sizeof(p));
    struct wire_ip_hdr h;
    assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_OK);
    assert_int_equal(h.version, 6);
    assert_int_equal(h.hdr_len, 40);
    assert_int_equal(h.tos, 0);
    assert_int_equal(h.flow_label, 0xf31ab);
    assert_int_equal(h.ttl, 64);
    assert_int_equal(h.proto, WIRE_IPPROTO_TCP);
    assert_false(h.dont_fragment);
    assert_int_equal(h.src.family, UMPTCP_AF_INET6);
    assert_memory_equal(h.src.bytes, p + 8, 16);
    assert_memory_equal(h.dst.bytes, p + 24, 16);
    assert_ptr_equal(h.payload, p + 40);
    assert_int_equal(h.payload_len, 40);
    /* The traffic class straddles the first two bytes. */
    p[0] = 0x6a;
    p[1] = 0xbf;
    assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_OK);
    assert_int_equal(h.tos, 0xab);
    assert_int_equal(h.flow_label, 0xf31ab);
}

static void test_ip_write_reproduces_captures(void **state)
{
    (void)state;
    uint8_t want[128], buf[64];
    struct wire_ip_hdr h;
    size_t n = tu_hex_decode(tu_kernel_syn4_hex, want, sizeof(want)), hl = 0;
    assert_int_equal(wire_ip_parse(want, n, &h), UMPTCP_OK);
    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(wire_ip_write(&h, h.payload_len, buf, sizeof(buf), &hl), UMPTCP_OK);
    assert_int_equal(hl, 20);
    assert_memory_equal(buf, want, 20);

    n = tu_hex_decode(tu_kernel_syn6_hex, want, sizeof(want));
    assert_int_equal(wire_ip_parse(want, n, &h), UMPTCP_OK);
    assert_int_equal(wire_ip_write(&h, h.payload_len, buf, sizeof(buf), &hl), UMPTCP_OK);
    assert_int_equal(hl, 40);
    assert_memory_equal(buf, want, 40);
}

static void test_ip_write_errors(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct wire_ip_hdr h = {.version = 4, .ttl = 1, .proto = 6};
    h.src.family = h.dst.family = UMPTCP_AF_INET;
    assert_int_equal(wire_ip_write(&h, 0, buf, 19, NULL), UMPTCP_ERR_NOSPACE);
    assert_int_equal(wire_ip_write(&h, 65535 - 20, buf, 20, NULL), UMPTCP_OK);
    assert_int_equal(be16_get(buf + 2), 65535);
    assert_int_equal(wire_ip_write(&h, 65535 - 19, buf, 20, NULL), UMPTCP_ERR_BAD_LENGTH);
    h.dst.family = UMPTCP_AF_INET6;
    assert_int_equal(wire_ip_write(&h, 0, buf, sizeof(buf), NULL), UMPTCP_ERR_INVAL);
    h.version = 6;
    assert_int_equal(wire_ip_write(&h, 0, buf, sizeof(buf), NULL), UMPTCP_ERR_INVAL);
    h.src.family = UMPTCP_AF_INET6;
    assert_int_equal(wire_ip_write(&h, 0, buf, 39, NULL), UMPTCP_ERR_NOSPACE);
    assert_int_equal(wire_ip_write(&h, 65535, buf, 40, NULL), UMPTCP_OK);
    assert_int_equal(wire_ip_write(&h, 65536, buf, 40, NULL), UMPTCP_ERR_BAD_LENGTH);
    h.version = 5;
    h.src.family = h.dst.family = 5;
    assert_int_equal(wire_ip_write(&h, 0, buf, sizeof(buf), NULL), UMPTCP_ERR_INVAL);
}

static void test_ip_truncated_at_every_byte(void **state)
{
    (void)state;
    const char *hex[] = {tu_kernel_syn4_hex, tu_kernel_syn6_hex};
    for (int k = 0; k < 2; k++) {
        uint8_t p[128];
        struct wire_ip_hdr h;
        size_t n = tu_hex_decode(hex[k], p, sizeof(p));
        for (size_t len = 0; len < n; len++)
            assert_int_equal(ip_parse_exact(p, len, &h), UMPTCP_ERR_TRUNCATED);
        assert_int_equal(ip_parse_exact(p, n, &h), UMPTCP_OK);
    }
    struct wire_ip_hdr h;
    assert_int_equal(wire_ip_parse(NULL, 0, &h), UMPTCP_ERR_TRUNCATED);
}

static void test_ipv4_header_errors(void **state)
{
    (void)state;
    uint8_t orig[64], p[64];
    struct wire_ip_hdr h;
    size_t n = tu_hex_decode(tu_kernel_syn4_hex, orig, sizeof(orig));

    memcpy(p, orig, n);
    p[0] = 0x55; /* version 5 */
    assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_ERR_BAD_VERSION);
    p[0] = 0x05;
    assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_ERR_BAD_VERSION);

    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        memcpy(p, orig, n);
        p[0] = (uint8_t)(0x40 | ihl);
        ipv4_fix_checksum(p);
        assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_ERR_BAD_LENGTH);
    }
    memcpy(p, orig, n);
    p[0] = 0x4f; /* IHL says 60 bytes of header, we have 59 */
    assert_int_equal(ip_parse_exact(p, 59, &h), UMPTCP_ERR_TRUNCATED);

    memcpy(p, orig, n);
    be16_put(p + 2, 19); /* total length < header length */
    ipv4_fix_checksum(p);
    assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_ERR_BAD_LENGTH);
    memcpy(p, orig, n);
    be16_put(p + 2, 20); /* a header and nothing else is legal */
    ipv4_fix_checksum(p);
    assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_OK);
    assert_int_equal(h.payload_len, 0);
    memcpy(p, orig, n);
    be16_put(p + 2, 61); /* longer than what we have */
    ipv4_fix_checksum(p);
    assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_ERR_TRUNCATED);

    for (size_t i = 0; i < 20; i++) {
        memcpy(p, orig, n);
        p[i] ^= 0x04; /* any single-bit error in the header */
        int rc = wire_ip_parse(p, n, &h);
        assert_true(rc == UMPTCP_ERR_BAD_CHECKSUM || rc == UMPTCP_ERR_BAD_LENGTH ||
                    rc == UMPTCP_ERR_TRUNCATED || rc == UMPTCP_ERR_BAD_VERSION);
    }
    memcpy(p, orig, n);
    p[10] ^= 0x01;
    assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_ERR_BAD_CHECKSUM);
}

static void test_ipv4_fragments_unsupported(void **state)
{
    (void)state;
    uint8_t orig[64], p[64];
    struct wire_ip_hdr h;
    size_t n = tu_hex_decode(tu_kernel_syn4_hex, orig, sizeof(orig));
    static const uint16_t frag[] = {0x2000 /* MF */, 0x0001 /* offset 8 */, 0x4001, 0x3fff};
    for (size_t i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
        memcpy(p, orig, n);
        be16_put(p + 6, frag[i]);
        ipv4_fix_checksum(p);
        assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_ERR_UNSUPPORTED);
    }
    memcpy(p, orig, n);
    be16_put(p + 6, 0); /* DF clear, not a fragment */
    ipv4_fix_checksum(p);
    assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_OK);
    assert_false(h.dont_fragment);
}

static void test_ipv4_options_and_padding(void **state)
{
    (void)state;
    uint8_t orig[64], p[96];
    struct wire_ip_hdr h;
    size_t n = tu_hex_decode(tu_kernel_syn4_hex, orig, sizeof(orig));
    /* IHL 6: one word of IP options (NOP, NOP, NOP, EOL) before the TCP header. */
    memcpy(p, orig, 20);
    memcpy(p + 20, "\x01\x01\x01\x00", 4);
    memcpy(p + 24, orig + 20, n - 20);
    p[0] = 0x46;
    be16_put(p + 2, (uint16_t)(n + 4));
    ipv4_fix_checksum(p);
    assert_int_equal(wire_ip_parse(p, n + 4, &h), UMPTCP_OK);
    assert_int_equal(h.hdr_len, 24);
    assert_ptr_equal(h.payload, p + 24);
    assert_int_equal(h.payload_len, 40);
    /* Link-layer padding after the total length is ignored (Ethernet minimum frames). */
    memset(p + n + 4, 0, 12);
    assert_int_equal(ip_parse_exact(p, n + 4 + 12, &h), UMPTCP_OK);
    assert_int_equal(h.payload_len, 40);
}

/* Builds an IPv6 packet whose payload is `ext` (extension headers) then a TCP header. */
static size_t v6_with_ext(uint8_t *p, uint8_t first_nh, const uint8_t *ext, size_t ext_len)
{
    uint8_t orig[128];
    size_t n = tu_hex_decode(tu_kernel_syn6_hex, orig, sizeof(orig));
    memcpy(p, orig, 40);
    memcpy(p + 40, ext, ext_len);
    memcpy(p + 40 + ext_len, orig + 40, n - 40);
    p[6] = first_nh;
    be16_put(p + 4, (uint16_t)(n - 40 + ext_len));
    return n + ext_len;
}

static void test_ipv6_extension_chain(void **state)
{
    (void)state;
    uint8_t p[256];
    struct wire_ip_hdr h;
    /* hop-by-hop (8, PadN) -> destination options (16) -> routing (8, segments left 0) -> TCP */
    uint8_t ext[32] = {0};
    ext[0] = WIRE_IPV6_NH_DSTOPTS;
    ext[1] = 0;
    ext[2] = 1; /* PadN */
    ext[3] = 4;
    ext[8] = WIRE_IPV6_NH_ROUTING;
    ext[9] = 1;
    ext[10] = 1;
    ext[11] = 12;
    ext[24] = WIRE_IPPROTO_TCP;
    ext[25] = 0;
    ext[26] = 4; /* routing type */
    ext[27] = 0; /* segments left */
    size_t n = v6_with_ext(p, WIRE_IPV6_NH_HOPOPTS, ext, sizeof(ext));
    assert_int_equal(ip_parse_exact(p, n, &h), UMPTCP_OK);
    assert_int_equal(h.proto, WIRE_IPPROTO_TCP);
    assert_int_equal(h.ext_len, 32);
    assert_int_equal(h.payload_len, 40);
    assert_int_equal(wire_ip_parse(p, n, &h), UMPTCP_OK);
    assert_ptr_equal(h.payload, p + 72);
    for (size_t len = 0; len < n; len++)
        assert_int_equal(ip_parse_exact(p, len, &h), UMPTCP_ERR_TRUNCATED);

    /* A payload length that ends inside an extension header. */
    be16_put(p + 4, 20);
    assert_int_equal(ip_parse_exact(p, n, &h), UMPTCP_ERR_TRUNCATED);
    be16_put(p + 4, 1);
    assert_int_equal(ip_parse_exact(p, n, &h), UMPTCP_ERR_TRUNCATED);

    /* Routing header with segments left: not for us. */
    ext[27] = 1;
    n = v6_with_ext(p, WIRE_IPV6_NH_HOPOPTS, ext, sizeof(ext));
    assert_int_equal(ip_parse_exact(p, n, &h), UMPTCP_ERR_UNSUPPORTED);
    ext[27] = 0;

    /* Hop-by-hop anywhere but first. */
    ext[24] = WIRE_IPV6_NH_HOPOPTS;
    n = v6_with_ext(p, WIRE_IPV6_NH_HOPOPTS, ext, sizeof(ext));
    assert_int_equal(ip_parse_exact(p, n, &h), UMPTCP_ERR_UNSUPPORTED);

    /* A fragment header anywhere in the chain. */
    ext[24] = WIRE_IPV6_NH_FRAGMENT;
    n = v6_with_ext(p, WIRE_IPV6_NH_HOPOPTS, ext, sizeof(ext));
    assert_int_equal(ip_parse_exact(p, n, &h), UMPTCP_ERR_UNSUPPORTED);
    uint8_t fh[8] = {WIRE_IPPROTO_TCP, 0, 0, 1, 0, 0, 0, 1};
    n = v6_with_ext(p, WIRE_IPV6_NH_FRAGMENT, fh, sizeof(fh));
    assert_int_equal(ip_parse_exact(p, n, &h), UMPTCP_ERR_UNSUPPORTED);

    /* Other next headers are reported, not skipped: UDP after routing, no-next-header. */
    ext[24] = 17;
    n = v6_with_ext(p, WIRE_IPV6_NH_HOPOPTS, ext, sizeof(ext));
    assert_int_equal(ip_parse_exact(p, n, &h), UMPTCP_OK);
    assert_int_equal(h.proto, 17);
    assert_int_equal(h.ext_len, 32);
    assert_int_equal(h.payload_len, 40);
    n = v6_with_ext(p, 59, ext, 0);
    assert_int_equal(ip_parse_exact(p, n, &h), UMPTCP_OK);
    assert_int_equal(h.proto, 59);
}

static void test_ipv6_length_and_padding(void **state)
{
    (void)state;
    uint8_t p[160];
    struct wire_ip_hdr h;
    size_t n = tu_hex_decode(tu_kernel_syn6_hex, p, sizeof(p));
    memset(p + n, 0xee, 20);
    assert_int_equal(ip_parse_exact(p, n + 20, &h), UMPTCP_OK);
    assert_int_equal(h.payload_len, 40);
    be16_put(p + 4, 41);
    assert_int_equal(ip_parse_exact(p, n, &h), UMPTCP_ERR_TRUNCATED);
    be16_put(p + 4, 0); /* empty payload; next header TCP of length 0 is the caller's problem */
    assert_int_equal(ip_parse_exact(p, n, &h), UMPTCP_OK);
    assert_int_equal(h.payload_len, 0);
}

static void test_tcp_parse_known_syn(void **state)
{
    (void)state;
    uint8_t p[64];
    tu_hex_decode(tu_kernel_syn4_hex, p, sizeof(p));
    struct wire_tcp_hdr t;
    assert_int_equal(wire_tcp_parse(p + 20, 40, &t), UMPTCP_OK);
    assert_int_equal(t.sport, 53582);
    assert_int_equal(t.dport, 8080);
    assert_int_equal(t.seq, 0x5ef37a7f);
    assert_int_equal(t.ack, 0);
    assert_int_equal(t.hdr_len, 40);
    assert_int_equal(t.flags, WIRE_TCP_SYN);
    assert_int_equal(t.window, 0xfaf0);
    assert_int_equal(t.checksum, 0x6950);
    assert_int_equal(t.urg_ptr, 0);
    assert_int_equal(t.reserved, 0);
    assert_ptr_equal(t.options, p + 40);
    assert_int_equal(t.options_len, 20);
    assert_ptr_equal(t.payload, p + 60);
    assert_int_equal(t.payload_len, 0);
    umptcp_addr src = {.family = UMPTCP_AF_INET, .bytes = {10, 9, 0, 1}};
    umptcp_addr dst = {.family = UMPTCP_AF_INET, .bytes = {10, 9, 0, 2}};
    assert_true(wire_tcp_checksum_ok(&src, &dst, p + 20, 40));
    assert_int_equal(wire_tcp_checksum(&src, &dst, p + 20, 40), 0x6950);
    dst.bytes[3] = 3;
    assert_false(wire_tcp_checksum_ok(&src, &dst, p + 20, 40));
}

static void test_tcp_parse_errors(void **state)
{
    (void)state;
    uint8_t orig[64], p[64];
    struct wire_tcp_hdr t;
    tu_hex_decode(tu_kernel_syn4_hex, orig, sizeof(orig));
    for (size_t len = 0; len < 40; len++) {
        uint8_t *copy = tu_exact_copy(orig + 20, len);
        assert_int_equal(wire_tcp_parse(copy, len, &t), UMPTCP_ERR_TRUNCATED);
        free(copy);
    }
    assert_int_equal(wire_tcp_parse(NULL, 0, &t), UMPTCP_ERR_TRUNCATED);
    for (uint8_t doff = 0; doff < 5; doff++) {
        memcpy(p, orig + 20, 40);
        p[12] = (uint8_t)(doff << 4);
        assert_int_equal(wire_tcp_parse(p, 40, &t), UMPTCP_ERR_BAD_LENGTH);
    }
    memcpy(p, orig + 20, 40);
    p[12] = 0xb0; /* 44-byte header in 40 bytes */
    assert_int_equal(wire_tcp_parse(p, 40, &t), UMPTCP_ERR_TRUNCATED);
    p[12] = 0x50; /* 20-byte header: the rest is payload */
    assert_int_equal(wire_tcp_parse(p, 40, &t), UMPTCP_OK);
    assert_int_equal(t.options_len, 0);
    assert_int_equal(t.payload_len, 20);
    p[12] = 0xfb; /* 60-byte header, reserved bits 1011 kept */
    memset(p + 40, 0, 24);
    assert_int_equal(wire_tcp_parse(p, 64, &t), UMPTCP_OK);
    assert_int_equal(t.hdr_len, 60);
    assert_int_equal(t.reserved, 0x0b);
}

static void test_tcp_write(void **state)
{
    (void)state;
    uint8_t want[128], buf[128];
    size_t n = tu_hex_decode(tu_kernel_syn6_hex, want, sizeof(want)), len = 0;
    struct wire_ip_hdr ip;
    struct wire_tcp_hdr t;
    assert_int_equal(wire_ip_parse(want, n, &ip), UMPTCP_OK);
    assert_int_equal(wire_tcp_parse(ip.payload, ip.payload_len, &t), UMPTCP_OK);
    t.checksum = 0xdead;
    t.hdr_len = 0; /* ignored */
    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(wire_tcp_write(&t, buf, sizeof(buf), &len), UMPTCP_OK);
    assert_int_equal(len, 40);
    assert_int_equal(be16_get(buf + 16), 0xdead);
    wire_tcp_checksum_set(buf, len, &ip.src, &ip.dst);
    assert_memory_equal(buf, want + 40, 40);

    /* Payload after options; in place works too. */
    static const uint8_t data[] = "hello, world";
    t.payload = data;
    t.payload_len = 13;
    assert_int_equal(wire_tcp_write(&t, buf, 53, &len), UMPTCP_OK);
    assert_int_equal(len, 53);
    assert_memory_equal(buf + 40, data, 13);
    t.payload = buf + 40;
    t.options = buf + 20;
    assert_int_equal(wire_tcp_write(&t, buf, 53, &len), UMPTCP_OK);
    assert_memory_equal(buf + 40, data, 13);
    assert_memory_equal(buf + 20, want + 60, 20);

    assert_int_equal(wire_tcp_write(&t, buf, 52, &len), UMPTCP_ERR_NOSPACE);
    t.payload_len = 0;
    assert_int_equal(wire_tcp_write(&t, buf, 39, &len), UMPTCP_ERR_NOSPACE);
    t.options_len = 18;
    assert_int_equal(wire_tcp_write(&t, buf, sizeof(buf), &len), UMPTCP_ERR_BAD_LENGTH);
    t.options_len = 44;
    assert_int_equal(wire_tcp_write(&t, buf, sizeof(buf), &len), UMPTCP_ERR_BAD_LENGTH);
    t.options_len = 40;
    assert_int_equal(wire_tcp_write(&t, buf, sizeof(buf), &len), UMPTCP_OK);
    assert_int_equal(buf[12] >> 4, 15);
    t.options_len = 0;
    t.reserved = 0x01;
    assert_int_equal(wire_tcp_write(&t, buf, sizeof(buf), &len), UMPTCP_OK);
    assert_int_equal(buf[12], 0x51);
    assert_int_equal(len, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_parse_known_syn),
        cmocka_unit_test(test_ipv6_parse_known_syn),
        cmocka_unit_test(test_ip_write_reproduces_captures),
        cmocka_unit_test(test_ip_write_errors),
        cmocka_unit_test(test_ip_truncated_at_every_byte),
        cmocka_unit_test(test_ipv4_header_errors),
        cmocka_unit_test(test_ipv4_fragments_unsupported),
        cmocka_unit_test(test_ipv4_options_and_padding),
        cmocka_unit_test(test_ipv6_extension_chain),
        cmocka_unit_test(test_ipv6_length_and_padding),
        cmocka_unit_test(test_tcp_parse_known_syn),
        cmocka_unit_test(test_tcp_parse_errors),
        cmocka_unit_test(test_tcp_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
