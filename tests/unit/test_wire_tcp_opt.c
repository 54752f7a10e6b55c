/* TCP options (non-MPTCP): parsing, two-pass writing, the 40-byte limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "umptcp/error.h"
#include "wire/tcp_opt.h"

#include <stdlib.h>
#include <string.h>

/* The option block of a Linux SYN: MSS 1460, SACK_PERM, TS, NOP, WS 10. */
static const uint8_t linux_syn_opts[] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08,
                                         0x0a, 0xc9, 0xc5, 0x3b, 0x90, 0x00, 0x00,
                                         0x00, 0x00, 0x01, 0x03, 0x03, 0x0a};

/* Parses a heap copy of exactly len bytes so ASan catches any read past the end. */
static int parse_exact(const uint8_t *p, size_t len, struct wire_tcp_options *o)
{
    uint8_t *copy = tu_exact_copy(p, len);
    int rc = wire_tcp_options_parse(copy, len, o);
    free(copy);
    return rc;
}

/* Writes o, checks the size pass agrees, parses the result back into *back. */
static int write_and_parse(const struct wire_tcp_options *o, uint8_t *buf,
                           struct wire_tcp_options *back)
{
    int size = wire_tcp_options_size(o);
    if (size < 0)
        return size;
    assert_int_equal(size % 4, 0);
    assert_true(size <= WIRE_TCPOPT_SPACE);
    assert_int_equal(wire_tcp_options_write(o, buf, WIRE_TCPOPT_SPACE), size);
    assert_int_equal(wire_tcp_options_parse(buf, (size_t)size, back), UMPTCP_OK);
    return size;
}

static void test_parse_linux_syn(void **state)
{
    (void)state;
    struct wire_tcp_options o;
    assert_int_equal(parse_exact(linux_syn_opts, sizeof(linux_syn_opts), &o), UMPTCP_OK);
    assert_int_equal(o.present,
                     WIRE_OPT_MSS | WIRE_OPT_SACK_PERM | WIRE_OPT_TIMESTAMP | WIRE_OPT_WSCALE);
    assert_int_equal(o.mss, 1460);
    assert_int_equal(o.wscale, 10);
    assert_int_equal(o.ts_val, 0xc9c53b90);
    assert_int_equal(o.ts_ecr, 0);
    assert_int_equal(o.sack_count, 0);
    assert_int_equal(o.mptcp_count, 0);
    assert_int_equal(o.unknown_count, 0);
    assert_int_equal(o.malformed_count, 0);
}

static void test_write_matches_linux_layout(void **state)
{
    (void)state;
    struct wire_tcp_options o = {.present = WIRE_OPT_MSS | WIRE_OPT_SACK_PERM | WIRE_OPT_TIMESTAMP |
                                            WIRE_OPT_WSCALE,
                                 .mss = 1460,
                                 .wscale = 10,
                                 .ts_val = 0xc9c53b90};
    uint8_t buf[40];
    assert_int_equal(wire_tcp_options_size(&o), 20);
    assert_int_equal(wire_tcp_options_write(&o, buf, sizeof(buf)), 20);
    assert_memory_equal(buf, linux_syn_opts, 20);
}

static void test_each_kind_alone(void **state)
{
    (void)state;
    uint8_t buf[40];
    struct wire_tcp_options o, back;

    memset(&o, 0, sizeof(o));
    o.present = WIRE_OPT_MSS;
    o.mss = 536;
    assert_int_equal(write_and_parse(&o, buf, &back), 4);
    assert_memory_equal(buf, "\x02\x04\x02\x18", 4);
    assert_int_equal(back.present, WIRE_OPT_MSS);
    assert_int_equal(back.mss, 536);

    memset(&o, 0, sizeof(o));
    o.present = WIRE_OPT_WSCALE;
    o.wscale = 14;
    assert_int_equal(write_and_parse(&o, buf, &back), 4);
    assert_memory_equal(buf, "\x01\x03\x03\x0e", 4);
    assert_int_equal(back.present, WIRE_OPT_WSCALE);
    assert_int_equal(back.wscale, 14);

    memset(&o, 0, sizeof(o));
    o.present = WIRE_OPT_SACK_PERM;
    assert_int_equal(write_and_parse(&o, buf, &back), 4);
    assert_memory_equal(buf, "\x01\x01\x04\x02", 4);
    assert_int_equal(back.present, WIRE_OPT_SACK_PERM);

    memset(&o, 0, sizeof(o));
    o.present = WIRE_OPT_TIMESTAMP;
    o.ts_val = 0x01020304;
    o.ts_ecr = 0xfffefdfc;
    assert_int_equal(write_and_parse(&o, buf, &back), 12);
    assert_memory_equal(buf, "\x01\x01\x08\x0a\x01\x02\x03\x04\xff\xfe\xfd\xfc", 12);
    assert_int_equal(back.present, WIRE_OPT_TIMESTAMP);
    assert_int_equal(back.ts_val, 0x01020304);
    assert_int_equal(back.ts_ecr, 0xfffefdfc);

    for (uint8_t n = 1; n <= WIRE_MAX_SACK_BLOCKS; n++) {
        memset(&o, 0, sizeof(o));
        o.present = WIRE_OPT_SACK;
        o.sack_count = n;
        for (unsigned i = 0; i < n; i++) {
            o.sack[i].left = 1000u * i + 0x80000000u;
            o.sack[i].right = 1000u * i + 500u;
        }
        assert_int_equal(write_and_parse(&o, buf, &back), 4 + 8 * n);
        assert_memory_equal(buf, "\x01\x01\x05", 3);
        assert_int_equal(buf[3], 2 + 8 * n);
        assert_int_equal(back.present, WIRE_OPT_SACK);
        assert_int_equal(back.sack_count, n);
        assert_memory_equal(back.sack, o.sack, n * sizeof(o.sack[0]));
    }

    assert_int_equal(wire_tcp_options_size(&(struct wire_tcp_options){0}), 0);
    assert_int_equal(wire_tcp_options_write(&(struct wire_tcp_options){0}, NULL, 0), 0);
}

static void test_mptcp_spans_verbatim(void **state)
{
    (void)state;
    /* MP_CAPABLE v1 on a SYN (4 bytes) and a made-up 7-byte kind-30 option. */
    static const uint8_t mpc[] = {0x1e, 0x04, 0x01, 0x81};
    static const uint8_t odd[] = {0x1e, 0x07, 0x20, 0x01, 0xaa, 0xbb, 0xcc};
    struct wire_tcp_options o = {.present = WIRE_OPT_MSS | WIRE_OPT_TIMESTAMP, .mss = 1400};
    o.mptcp[0] = (struct wire_opt_span){mpc, sizeof(mpc)};
    o.mptcp[1] = (struct wire_opt_span){odd, sizeof(odd)};
    o.mptcp_count = 2;
    uint8_t buf[40];
    struct wire_tcp_options back;
    assert_int_equal(write_and_parse(&o, buf, &back), 28); /* 4 + 12 + 4 + 7 = 27 -> 28 */
    assert_memory_equal(buf + 16, mpc, 4);
    assert_memory_equal(buf + 20, odd, 7);
    assert_int_equal(buf[27], WIRE_TCPOPT_NOP);
    assert_int_equal(back.mptcp_count, 2);
    assert_ptr_equal(back.mptcp[0].data, buf + 16);
    assert_int_equal(back.mptcp[0].len, 4);
    assert_ptr_equal(back.mptcp[1].data, buf + 20);
    assert_int_equal(back.mptcp[1].len, 7);
    assert_int_equal(back.present, WIRE_OPT_MSS | WIRE_OPT_TIMESTAMP);

    /* Spans must be whole kind-30 options of the stated length. */
    static const uint8_t bad_len[] = {0x1e, 0x05, 0x01, 0x81};
    o.mptcp[1] = (struct wire_opt_span){bad_len, sizeof(bad_len)};
    assert_int_equal(wire_tcp_options_size(&o), UMPTCP_ERR_INVAL);
    static const uint8_t bad_kind[] = {0x1f, 0x04, 0x01, 0x81};
    o.mptcp[1] = (struct wire_opt_span){bad_kind, sizeof(bad_kind)};
    assert_int_equal(wire_tcp_options_write(&o, buf, sizeof(buf)), UMPTCP_ERR_INVAL);
    o.mptcp[1] = (struct wire_opt_span){NULL, 4};
    assert_int_equal(wire_tcp_options_size(&o), UMPTCP_ERR_INVAL);
    o.mptcp[1] = (struct wire_opt_span){mpc, 1};
    assert_int_equal(wire_tcp_options_size(&o), UMPTCP_ERR_INVAL);
    o.mptcp[1] = (struct wire_opt_span){mpc, 4};
    o.mptcp_count = WIRE_MAX_MPTCP_OPTS + 1;
    assert_int_equal(wire_tcp_options_size(&o), UMPTCP_ERR_INVAL);
}

static void test_parse_mptcp_order_and_overflow(void **state)
{
    (void)state;
    /* Ten 4-byte kind-30 options: the first eight are kept in order, two are counted. */
    uint8_t b[40];
    for (int i = 0; i < 10; i++) {
        b[4 * i] = 0x1e;
        b[4 * i + 1] = 4;
        b[4 * i + 2] = (uint8_t)i;
        b[4 * i + 3] = 0;
    }
    struct wire_tcp_options o;
    assert_int_equal(wire_tcp_options_parse(b, sizeof(b), &o), UMPTCP_OK);
    assert_int_equal(o.mptcp_count, WIRE_MAX_MPTCP_OPTS);
    for (int i = 0; i < WIRE_MAX_MPTCP_OPTS; i++) {
        assert_int_equal(o.mptcp[i].len, 4);
        assert_int_equal(o.mptcp[i].data[2], i);
    }
    assert_int_equal(o.malformed_count, 2);
    assert_int_equal(o.unknown_count, 0);
}

static void test_unknown_and_malformed(void **state)
{
    (void)state;
    struct wire_tcp_options o;
    /* Unknown kind 99 (len 4), kind 34 (TFO-like, len 2), then a good MSS. */
    static const uint8_t unk[] = {99, 4, 0xde, 0xad, 34, 2, 2, 4, 0x05, 0xdc};
    assert_int_equal(parse_exact(unk, sizeof(unk), &o), UMPTCP_OK);
    assert_int_equal(o.unknown_count, 2);
    assert_int_equal(o.malformed_count, 0);
    assert_int_equal(o.present, WIRE_OPT_MSS);
    assert_int_equal(o.mss, 1500);

    /* Each known kind with a wrong length, followed by a good window scale. */
    static const uint8_t bad[][12] = {
        {2, 3, 0x05, 1, 3, 3, 7},             /* MSS length 3 */
        {2, 5, 0x05, 0xb4, 0, 1, 3, 3, 7},    /* MSS length 5 */
        {3, 2, 1, 3, 3, 7},                   /* WSCALE length 2 */
        {4, 3, 0, 1, 3, 3, 7},                /* SACK_PERM length 3 */
        {8, 8, 1, 2, 3, 4, 5, 6, 1, 3, 3, 7}, /* TIMESTAMP length 8 */
        {5, 2, 1, 3, 3, 7},                   /* SACK with no block */
        {5, 9, 0, 0, 0, 1, 0, 0, 0, 1, 1, 3}, /* SACK 2 + 7 (+ 3 3 7 below) */
        {3, 4, 7, 7, 1, 3, 3, 7},             /* WSCALE length 4 */
    };
    static const size_t bad_len[] = {7, 9, 6, 7, 12, 6, 12, 8};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t b[16];
        memcpy(b, bad[i], bad_len[i]);
        size_t n = bad_len[i];
        if (i == 6) { /* finish the window scale that straddles the row */
            b[n++] = 3;
            b[n++] = 7;
        }
        assert_int_equal(parse_exact(b, n, &o), UMPTCP_OK);
        assert_int_equal(o.malformed_count, 1);
        assert_int_equal(o.present, WIRE_OPT_WSCALE);
        assert_int_equal(o.wscale, 7);
    }

    /* A SACK with five blocks does not fit any real header: counted as malformed. */
    uint8_t five[42] = {5, 42};
    assert_int_equal(parse_exact(five, sizeof(five), &o), UMPTCP_OK);
    assert_int_equal(o.malformed_count, 1);
    assert_int_equal(o.present, 0);
}

static void test_eol_nop_and_repeats(void **state)
{
    (void)state;
    struct wire_tcp_options o;
    /* EOL ends parsing: the bad length byte after it is never looked at. */
    static const uint8_t eol[] = {1, 1, 2, 4, 1, 0, 0, 0xff, 1};
    assert_int_equal(parse_exact(eol, sizeof(eol), &o), UMPTCP_OK);
    assert_int_equal(o.present, WIRE_OPT_MSS);
    assert_int_equal(o.mss, 256);
    static const uint8_t nops[] = {1, 1, 1, 1, 1};
    assert_int_equal(parse_exact(nops, sizeof(nops), &o), UMPTCP_OK);
    assert_int_equal(o.present, 0);
    assert_int_equal(parse_exact(nops, 0, &o), UMPTCP_OK);
    assert_int_equal(wire_tcp_options_parse(NULL, 0, &o), UMPTCP_OK);
    /* A repeated option: the later one wins. */
    static const uint8_t twice[] = {2, 4, 0, 100, 2, 4, 0, 200};
    assert_int_equal(parse_exact(twice, sizeof(twice), &o), UMPTCP_OK);
    assert_int_equal(o.mss, 200);
}

static void test_length_errors(void **state)
{
    (void)state;
    struct wire_tcp_options o;
    static const uint8_t len0[] = {1, 99, 0, 1, 1};
    assert_int_equal(parse_exact(len0, sizeof(len0), &o), UMPTCP_ERR_BAD_LENGTH);
    static const uint8_t len1[] = {2, 1, 0, 0};
    assert_int_equal(parse_exact(len1, sizeof(len1), &o), UMPTCP_ERR_BAD_LENGTH);
    static const uint8_t mp_len1[] = {30, 1, 0, 0};
    assert_int_equal(parse_exact(mp_len1, sizeof(mp_len1), &o), UMPTCP_ERR_BAD_LENGTH);
    static const uint8_t past[] = {2, 4, 5, 180, 8, 10, 0, 0, 0, 0, 0, 0};
    assert_int_equal(parse_exact(past, sizeof(past), &o), UMPTCP_ERR_TRUNCATED);
    assert_int_equal(o.mss, 1460); /* what came before the bad option is kept */
    static const uint8_t no_len[] = {1, 1, 1, 3};
    assert_int_equal(parse_exact(no_len, sizeof(no_len), &o), UMPTCP_ERR_TRUNCATED);
    static const uint8_t unk_past[] = {200, 255, 0};
    assert_int_equal(parse_exact(unk_past, sizeof(unk_past), &o), UMPTCP_ERR_TRUNCATED);
}

static void test_every_truncation(void **state)
{
    (void)state;
    /* MSS, SACK_PERM+TS, NOP+WS, MPTCP(8) then 4 NOPs = 40 bytes; option starts at 0,4,6,16,20
     * (the NOPs at 16 and 28..31 are complete options by themselves). */
    uint8_t blk[40];
    memcpy(blk, linux_syn_opts, 20);
    static const uint8_t mp[] = {30, 8, 0x20, 0x01, 1, 2, 3, 4};
    memcpy(blk + 20, mp, 8);
    memset(blk + 28, 1, 12);
    struct wire_tcp_options o;
    assert_int_equal(parse_exact(blk, 40, &o), UMPTCP_OK);
    assert_int_equal(o.mptcp_count, 1);
    static const size_t ends[] = {0, 4, 6, 16, 17, 20, 28};
    for (size_t len = 0; len <= 40; len++) {
        bool boundary = len >= 28;
        for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++)
            boundary = boundary || len == ends[k];
        int rc = parse_exact(blk, len, &o);
        assert_int_equal(rc, boundary ? UMPTCP_OK : UMPTCP_ERR_TRUNCATED);
    }
}

/* Every combination of the fixed options, SACK block counts and MPTCP spans: either it fits
 * in 40 bytes and round-trips with aligned 32-bit fields, or it is refused whole. */
static void test_all_combinations(void **state)
{
    (void)state;
    static const uint8_t mp12[] = {30, 12, 0x20, 0x01, 1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t mp3[] = {30, 3, 0x70};
    int fitted = 0, refused = 0;
    for (uint32_t bits = 0; bits < 32; bits++) {
        for (uint8_t nsack = 1; nsack <= WIRE_MAX_SACK_BLOCKS; nsack++) {
            for (int nmp = 0; nmp <= 2; nmp++) {
                struct wire_tcp_options o = {.present = bits, .mss = 1234, .wscale = 3};
                o.ts_val = 0x11223344;
                o.ts_ecr = 0x55667788;
                o.sack_count = (bits & WIRE_OPT_SACK) ? nsack : 0;
                for (unsigned i = 0; i < o.sack_count; i++)
                    o.sack[i] = (struct wire_sack_block){i * 7u + 1, i * 7u + 5};
                if (nmp >= 1)
                    o.mptcp[o.mptcp_count++] = (struct wire_opt_span){mp12, sizeof(mp12)};
                if (nmp >= 2)
                    o.mptcp[o.mptcp_count++] = (struct wire_opt_span){mp3, sizeof(mp3)};
                size_t raw = ((bits & WIRE_OPT_MSS) ? 4 : 0) +
                             ((bits & WIRE_OPT_TIMESTAMP) ? 12 : 0) +
                             ((bits & WIRE_OPT_WSCALE) ? 4 : 0) +
                             ((bits & WIRE_OPT_SACK_PERM) && !(bits & WIRE_OPT_TIMESTAMP) ? 4 : 0) +
                             ((bits & WIRE_OPT_SACK) ? 4 + 8u * nsack : 0) + (nmp >= 1 ? 12 : 0) +
                             (nmp >= 2 ? 3 : 0);
                uint8_t buf[48];
                memset(buf, 0xaa, sizeof(buf));
                struct wire_tcp_options back;
                int rc = write_and_parse(&o, buf, &back);
                if (raw > 40) {
                    assert_int_equal(rc, UMPTCP_ERR_NOSPACE);
                    assert_int_equal(wire_tcp_options_write(&o, buf, sizeof(buf)),
                                     UMPTCP_ERR_NOSPACE);
                    for (size_t i = 0; i < sizeof(buf); i++)
                        assert_int_equal(buf[i], 0xaa); /* nothing written */
                    refused++;
                    continue;
                }
                fitted++;
                assert_int_equal(rc, (int)((raw + 3) & ~3u));
                assert_int_equal(back.present, bits);
                assert_int_equal(back.unknown_count, 0);
                assert_int_equal(back.malformed_count, 0);
                if (bits & WIRE_OPT_MSS)
                    assert_int_equal(back.mss, 1234);
                if (bits & WIRE_OPT_WSCALE)
                    assert_int_equal(back.wscale, 3);
                if (bits & WIRE_OPT_TIMESTAMP) {
                    assert_int_equal(back.ts_val, 0x11223344);
                    assert_int_equal(back.ts_ecr, 0x55667788);
                }
                assert_int_equal(back.sack_count, o.sack_count);
                assert_memory_equal(back.sack, o.sack, o.sack_count * sizeof(o.sack[0]));
                assert_int_equal(back.mptcp_count, o.mptcp_count);
                for (unsigned i = 0; i < o.mptcp_count; i++) {
                    assert_int_equal(back.mptcp[i].len, o.mptcp[i].len);
                    assert_memory_equal(back.mptcp[i].data, o.mptcp[i].data, o.mptcp[i].len);
                }
                /* Alignment: TS values and SACK blocks start on 4-byte boundaries. */
                for (int i = 0; i < rc;) {
                    if (buf[i] == WIRE_TCPOPT_NOP) {
                        i++;
                        continue;
                    }
                    if (buf[i] == WIRE_TCPOPT_TIMESTAMP || buf[i] == WIRE_TCPOPT_SACK ||
                        buf[i] == WIRE_TCPOPT_MSS)
                        assert_int_equal((i + 2) % 4, buf[i] == WIRE_TCPOPT_MSS ? 2 : 0);
                    i += buf[i + 1];
                }
            }
        }
    }
    assert_true(fitted > 100);
    assert_true(refused > 10);
}

static void test_space_limit_examples(void **state)
{
    (void)state;
    uint8_t buf[40];
    struct wire_tcp_options o = {.present = WIRE_OPT_MSS | WIRE_OPT_WSCALE | WIRE_OPT_SACK_PERM |
                                            WIRE_OPT_TIMESTAMP};
    assert_int_equal(wire_tcp_options_size(&o), 20);
    o.present = WIRE_OPT_TIMESTAMP | WIRE_OPT_SACK;
    o.sack_count = 3;
    assert_int_equal(wire_tcp_options_size(&o), 40);
    assert_int_equal(wire_tcp_options_write(&o, buf, 40), 40);
    assert_int_equal(wire_tcp_options_write(&o, buf, 39), UMPTCP_ERR_NOSPACE);
    assert_int_equal(wire_tcp_options_write(&o, NULL, 40), UMPTCP_ERR_NOSPACE);
    o.sack_count = 4;
    assert_int_equal(wire_tcp_options_size(&o), UMPTCP_ERR_NOSPACE);
    assert_int_equal(wire_tcp_options_write(&o, buf, 40), UMPTCP_ERR_NOSPACE);
    o.present = WIRE_OPT_SACK;
    assert_int_equal(wire_tcp_options_size(&o), 36);
    o.sack_count = 0;
    assert_int_equal(wire_tcp_options_size(&o), UMPTCP_ERR_INVAL);
    o.sack_count = 5;
    assert_int_equal(wire_tcp_options_size(&o), UMPTCP_ERR_INVAL);
    assert_int_equal(wire_tcp_options_size(NULL), UMPTCP_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_linux_syn),
        cmocka_unit_test(test_write_matches_linux_layout),
        cmocka_unit_test(test_each_kind_alone),
        cmocka_unit_test(test_mptcp_spans_verbatim),
        cmocka_unit_test(test_parse_mptcp_order_and_overflow),
        cmocka_unit_test(test_unknown_and_malformed),
        cmocka_unit_test(test_eol_nop_and_repeats),
        cmocka_unit_test(test_length_errors),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_all_combinations),
        cmocka_unit_test(test_space_limit_examples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
