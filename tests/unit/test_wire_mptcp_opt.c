/* MPTCP option codec (RFC 8684 section 3): round trips of every form, byte layouts typed in
 * from the RFC figures, truncations, wrong lengths, unassigned subtypes, writer limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "umptcp/error.h"
#include "wire/mptcp_opt.h"

#include <stdlib.h>
#include <string.h>

static const uint64_t KEY_A = 0x0123456789abcdefull;
static const uint64_t KEY_B = 0xfedcba9876543210ull;

/* Parses a heap copy of exactly len bytes, so that ASan sees any read past the option. */
static int parse_exact(const uint8_t *bytes, size_t len, struct wire_mptcp_opt *out)
{
    uint8_t *copy = tu_exact_copy(bytes, len);
    int r = wire_mptcp_parse(copy, len, out);
    free(copy);
    return r;
}

/* Writes o, checks the size and every refusal of a short buffer, parses it back (equal),
 * writes the parsed struct again (same bytes), and checks that every truncation fails. */
static void roundtrip(const struct wire_mptcp_opt *o, int expected_len, uint8_t *out_bytes)
{
    uint8_t buf[64], again[64];
    assert_int_equal(wire_mptcp_size(o), expected_len);
    for (int cap = 0; cap < expected_len; cap++)
        assert_int_equal(wire_mptcp_write(o, buf, (size_t)cap), UMPTCP_ERR_NOSPACE);
    memset(buf, 0xee, sizeof(buf));
    assert_int_equal(wire_mptcp_write(o, buf, sizeof(buf)), expected_len);
    assert_int_equal(buf[expected_len], 0xee); /* nothing written past the option */
    assert_int_equal(buf[0], 30);
    assert_int_equal(buf[1], expected_len);
    assert_int_equal(buf[2] >> 4, o->subtype);

    struct wire_mptcp_opt p;
    assert_int_equal(wire_mptcp_parse(buf, (size_t)expected_len, &p), expected_len);
    assert_true(wire_mptcp_equal(o, &p));
    assert_true(wire_mptcp_equal(&p, o));
    assert_int_equal(wire_mptcp_write(&p, again, sizeof(again)), expected_len);
    assert_memory_equal(buf, again, (size_t)expected_len);

    for (int k = 0; k < expected_len; k++)
        assert_int_equal(parse_exact(buf, (size_t)k, &p), UMPTCP_ERR_TRUNCATED);
    assert_int_equal(parse_exact(buf, (size_t)expected_len, &p), expected_len);
    /* Bytes after the option are not part of it. */
    assert_int_equal(wire_mptcp_parse(buf, sizeof(buf), &p), expected_len);
    if (out_bytes != NULL)
        memcpy(out_bytes, buf, (size_t)expected_len);
}

/* Parses known bytes and checks they write back identically. */
static void parse_known(const uint8_t *bytes, size_t len, struct wire_mptcp_opt *out)
{
    uint8_t buf[64];
    assert_int_equal(wire_mptcp_parse(bytes, len, out), (int)len);
    assert_int_equal(wire_mptcp_write(out, buf, sizeof(buf)), (int)len);
    assert_memory_equal(buf, bytes, len);
}

/* ---- MP_CAPABLE ---- */

static struct wire_mptcp_opt make_mpc(uint8_t form, uint8_t flags, bool csum)
{
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_CAPABLE};
    o.u.mpc = (struct wire_mp_capable){.form = form,
                                       .version = 1,
                                       .flags = flags,
                                       .snd_key = KEY_A,
                                       .rcv_key = KEY_B,
                                       .dll = 1460,
                                       .csum_present = csum,
                                       .csum = 0xbeef};
    return o;
}

static void test_mpc_roundtrip_every_form(void **state)
{
    (void)state;
    const uint8_t flag_sets[] = {0x81, 0x01, 0xa1, 0x1f};
    for (size_t i = 0; i < sizeof(flag_sets); i++) {
        struct wire_mptcp_opt o = make_mpc(WIRE_MPC_SYN, flag_sets[i], false);
        roundtrip(&o, 4, NULL);
        o = make_mpc(WIRE_MPC_SYNACK, flag_sets[i], false);
        roundtrip(&o, 12, NULL);
        o = make_mpc(WIRE_MPC_ACK, flag_sets[i], false);
        roundtrip(&o, 20, NULL);
        o = make_mpc(WIRE_MPC_ACK_DATA, flag_sets[i], false);
        roundtrip(&o, 22, NULL);
        o = make_mpc(WIRE_MPC_ACK_DATA, flag_sets[i], true);
        roundtrip(&o, 24, NULL);
    }
}

/* Figure 4, typed in: SYN with A and H; third ACK with Key-A then Key-B; ACK+data. */
static void test_mpc_known_bytes(void **state)
{
    (void)state;
    struct wire_mptcp_opt o;
    const uint8_t syn[] = {0x1e, 0x04, 0x01, 0x81};
    parse_known(syn, sizeof(syn), &o);
    assert_int_equal(o.subtype, WIRE_MPTCP_MP_CAPABLE);
    assert_int_equal(o.u.mpc.form, WIRE_MPC_SYN);
    assert_int_equal(o.u.mpc.version, 1);
    assert_int_equal(o.u.mpc.flags, WIRE_MPC_FLAG_A | WIRE_MPC_FLAG_H);

    const uint8_t ack[] = {0x1e, 0x14, 0x01, 0x01, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
                           0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
    parse_known(ack, sizeof(ack), &o);
    assert_int_equal(o.u.mpc.form, WIRE_MPC_ACK);
    assert_true(o.u.mpc.snd_key == KEY_A);
    assert_true(o.u.mpc.rcv_key == KEY_B);

    const uint8_t data[] = {0x1e, 0x18, 0x01, 0x81, 1,  2,  3,  4,  5,    6,    7,    8,
                            9,    10,   11,   12,   13, 14, 15, 16, 0x05, 0xb4, 0x12, 0x34};
    parse_known(data, sizeof(data), &o);
    assert_int_equal(o.u.mpc.form, WIRE_MPC_ACK_DATA);
    assert_true(o.u.mpc.snd_key == 0x0102030405060708ull);
    assert_true(o.u.mpc.rcv_key == 0x090a0b0c0d0e0f10ull);
    assert_int_equal(o.u.mpc.dll, 1460);
    assert_true(o.u.mpc.csum_present);
    assert_int_equal(o.u.mpc.csum, 0x1234);
}

static void test_mpc_version_and_flags(void **state)
{
    (void)state;
    struct wire_mptcp_opt o;
    /* RFC 6824 (v0) SYN: version 0 with the sender's key; reported, with the key. */
    const uint8_t v0[] = {0x1e, 0x0c, 0x00, 0x81, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(wire_mptcp_parse(v0, sizeof(v0), &o), UMPTCP_ERR_BAD_VERSION);
    assert_int_equal(o.subtype, WIRE_MPTCP_MP_CAPABLE);
    assert_int_equal(o.u.mpc.version, 0);
    assert_int_equal(o.u.mpc.flags, 0x81);
    assert_true(o.u.mpc.snd_key == 0x0102030405060708ull);
    /* An unknown version wins over an unknown Length. */
    const uint8_t v2[] = {0x1e, 0x05, 0x02, 0x01, 0x00};
    assert_int_equal(wire_mptcp_parse(v2, sizeof(v2), &o), UMPTCP_ERR_BAD_VERSION);
    assert_int_equal(o.u.mpc.version, 2);
    /* B=1 and D..H all 0 make the option invalid; the fields are still there. */
    const uint8_t b_set[] = {0x1e, 0x04, 0x01, 0x41};
    assert_int_equal(wire_mptcp_parse(b_set, sizeof(b_set), &o), UMPTCP_ERR_BAD_FLAGS);
    assert_int_equal(o.u.mpc.flags, 0x41);
    const uint8_t no_crypto[] = {0x1e, 0x04, 0x01, 0x80};
    assert_int_equal(wire_mptcp_parse(no_crypto, sizeof(no_crypto), &o), UMPTCP_ERR_BAD_FLAGS);
    assert_int_equal(o.u.mpc.flags, 0x80);
    /* Any one of D..H is enough for the codec; C is fine. */
    const uint8_t d_only[] = {0x1e, 0x04, 0x01, 0x30};
    assert_int_equal(wire_mptcp_parse(d_only, sizeof(d_only), &o), 4);
    /* The writer can still produce a v0 option (to test peers), and it parses back as v0. */
    struct wire_mptcp_opt w = make_mpc(WIRE_MPC_SYNACK, 0x81, false);
    w.u.mpc.version = 0;
    uint8_t buf[32];
    assert_int_equal(wire_mptcp_write(&w, buf, sizeof(buf)), 12);
    assert_int_equal(buf[2], 0x00);
    assert_int_equal(wire_mptcp_parse(buf, 12, &o), UMPTCP_ERR_BAD_VERSION);
    assert_true(wire_mptcp_equal(&w, &o));
}

/* ---- MP_JOIN ---- */

static struct wire_mptcp_opt make_join(uint8_t form, bool backup)
{
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_JOIN};
    o.u.join = (struct wire_mp_join){
        .form = form, .backup = backup, .addr_id = 7, .token = 0xa1b2c3d4, .nonce = 0x11223344};
    for (int i = 0; i < 20; i++)
        o.u.join.hmac[i] = (uint8_t)(0xc0 + i);
    return o;
}

static void test_join_roundtrip_every_form(void **state)
{
    (void)state;
    for (int backup = 0; backup <= 1; backup++) {
        uint8_t bytes[64];
        struct wire_mptcp_opt o = make_join(WIRE_JOIN_SYN, backup);
        roundtrip(&o, 12, bytes);
        assert_int_equal(bytes[2], 0x10 | backup);
        o = make_join(WIRE_JOIN_SYNACK, backup);
        roundtrip(&o, 16, bytes);
        assert_int_equal(bytes[2], 0x10 | backup);
        o = make_join(WIRE_JOIN_ACK, backup);
        roundtrip(&o, 24, bytes);
        assert_int_equal(bytes[2], 0x10); /* Figure 7: no B bit, reserved */
        assert_int_equal(bytes[3], 0x00);
    }
}

/* Figures 5-7, typed in. */
static void test_join_known_bytes(void **state)
{
    (void)state;
    struct wire_mptcp_opt o;
    const uint8_t syn[] = {0x1e, 0x0c, 0x11, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
    parse_known(syn, sizeof(syn), &o);
    assert_int_equal(o.u.join.form, WIRE_JOIN_SYN);
    assert_true(o.u.join.backup);
    assert_int_equal(o.u.join.addr_id, 5);
    assert_int_equal(o.u.join.token, 0xdeadbeef);
    assert_int_equal(o.u.join.nonce, 0x01020304);

    const uint8_t synack[] = {0x1e, 0x10, 0x10, 0x00, 1,    2,    3,    4,
                              5,    6,    7,    8,    0xaa, 0xbb, 0xcc, 0xdd};
    parse_known(synack, sizeof(synack), &o);
    assert_int_equal(o.u.join.form, WIRE_JOIN_SYNACK);
    assert_false(o.u.join.backup);
    assert_memory_equal(o.u.join.hmac, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_int_equal(o.u.join.nonce, 0xaabbccdd);

    uint8_t ack[24] = {0x1e, 0x18, 0x10, 0x00};
    for (int i = 0; i < 20; i++)
        ack[4 + i] = (uint8_t)(100 + i);
    parse_known(ack, sizeof(ack), &o);
    assert_int_equal(o.u.join.form, WIRE_JOIN_ACK);
    assert_memory_equal(o.u.join.hmac, ack + 4, 20);
}

/* ---- DSS ---- */

static struct wire_mptcp_opt make_dss(unsigned flags, bool csum)
{
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_DSS};
    struct wire_dss *d = &o.u.dss;
    wire_dss_set_flags(d, (uint8_t)flags);
    d->csum_present = csum;
    d->data_ack = 0x1111222233334444ull;
    d->dsn = 0x5555666677778888ull;
    d->ssn = 0x9999aaaa;
    d->dll = 0xbbcc;
    d->csum = 0xddee;
    return o;
}

static int dss_expected_len(unsigned flags, bool csum)
{
    int n = 4;
    if (flags & WIRE_DSS_FLAG_A)
        n += (flags & WIRE_DSS_FLAG_a) ? 8 : 4;
    if (flags & WIRE_DSS_FLAG_M)
        n += ((flags & WIRE_DSS_FLAG_m) ? 8 : 4) + 6 + (csum ? 2 : 0);
    return n;
}

static void test_dss_all_flag_combinations(void **state)
{
    (void)state;
    for (unsigned flags = 0; flags < 32; flags++) {
        for (int csum = 0; csum <= ((flags & WIRE_DSS_FLAG_M) ? 1 : 0); csum++) {
            struct wire_mptcp_opt o = make_dss(flags, csum);
            int len = dss_expected_len(flags, csum);
            uint8_t bytes[64];
            roundtrip(&o, len, bytes);
            assert_int_equal(bytes[2], 0x20);
            assert_int_equal(bytes[3], flags);
            struct wire_mptcp_opt p;
            assert_int_equal(wire_mptcp_parse(bytes, (size_t)len, &p), len);
            const struct wire_dss *d = &p.u.dss;
            assert_int_equal(d->csum_present, csum);
            /* 4-byte fields carry the low 32 bits and are not expanded by the parser. */
            if (flags & WIRE_DSS_FLAG_A)
                assert_true(d->data_ack ==
                            ((flags & WIRE_DSS_FLAG_a) ? 0x1111222233334444ull : 0x33334444ull));
            else
                assert_true(d->data_ack == 0);
            if (flags & WIRE_DSS_FLAG_M) {
                assert_true(d->dsn ==
                            ((flags & WIRE_DSS_FLAG_m) ? 0x5555666677778888ull : 0x77778888ull));
                assert_int_equal(d->ssn, 0x9999aaaa);
                assert_int_equal(d->dll, 0xbbcc);
                assert_int_equal(d->csum, csum ? 0xddee : 0);
            } else {
                assert_true(d->dsn == 0 && d->ssn == 0 && d->dll == 0);
            }
            /* Any other Length contradicts the flags. */
            for (int bad = 3; bad <= 40; bad++) {
                if (bad == dss_expected_len(flags, false) ||
                    ((flags & WIRE_DSS_FLAG_M) && bad == dss_expected_len(flags, true)))
                    continue;
                uint8_t b[40] = {0x1e, (uint8_t)bad, 0x20, (uint8_t)flags};
                assert_int_equal(wire_mptcp_parse(b, sizeof(b), &p), UMPTCP_ERR_BAD_LENGTH);
                assert_int_equal(parse_exact(b, (size_t)bad, &p), UMPTCP_ERR_BAD_LENGTH);
            }
        }
    }
}

/* Figure 9, typed in: A and M with 4-byte fields and a checksum; a DATA_FIN with 8-byte
 * fields and no checksum; a bare Data ACK. */
static void test_dss_known_bytes(void **state)
{
    (void)state;
    struct wire_mptcp_opt o;
    const uint8_t am[] = {0x1e, 0x14, 0x20, 0x05, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
                          0x20, 0x00, 0x00, 0x00, 0x00, 0x01, 0x05, 0xa0, 0xab, 0xcd};
    parse_known(am, sizeof(am), &o);
    assert_int_equal(o.subtype, WIRE_MPTCP_DSS);
    assert_true(o.u.dss.has_ack && !o.u.dss.ack64 && o.u.dss.has_map && !o.u.dss.dsn64);
    assert_false(o.u.dss.data_fin);
    assert_true(o.u.dss.data_ack == 0x1000);
    assert_true(o.u.dss.dsn == 0x2000);
    assert_int_equal(o.u.dss.ssn, 1);
    assert_int_equal(o.u.dss.dll, 1440);
    assert_true(o.u.dss.csum_present);
    assert_int_equal(o.u.dss.csum, 0xabcd);

    const uint8_t fin[] = {0x1e, 0x1a, 0x20, 0x1f, 0, 0, 0, 1, 0, 0, 0, 2, 0,
                           0,    0,    3,    0,    0, 0, 4, 0, 0, 0, 0, 0, 1};
    parse_known(fin, sizeof(fin), &o);
    assert_true(o.u.dss.data_fin && o.u.dss.ack64 && o.u.dss.dsn64);
    assert_true(o.u.dss.data_ack == 0x100000002ull);
    assert_true(o.u.dss.dsn == 0x300000004ull);
    assert_int_equal(o.u.dss.ssn, 0);
    assert_int_equal(o.u.dss.dll, 1);
    assert_false(o.u.dss.csum_present);

    const uint8_t ack_only[] = {0x1e, 0x08, 0x20, 0x01, 0xff, 0xff, 0xff, 0xfe};
    parse_known(ack_only, sizeof(ack_only), &o);
    assert_true(o.u.dss.has_ack && !o.u.dss.has_map);
    assert_true(o.u.dss.data_ack == 0xfffffffeull);

    /* Reserved bits (byte 2 low nibble, byte 3 high bits) are ignored and written as 0. */
    const uint8_t rsv[] = {0x1e, 0x08, 0x2f, 0xe1, 0xff, 0xff, 0xff, 0xfe};
    struct wire_mptcp_opt r;
    assert_int_equal(wire_mptcp_parse(rsv, sizeof(rsv), &r), 8);
    assert_true(wire_mptcp_equal(&o, &r));
    uint8_t buf[16];
    assert_int_equal(wire_mptcp_write(&r, buf, sizeof(buf)), 8);
    assert_memory_equal(buf, ack_only, sizeof(ack_only));
}

/* ---- ADD_ADDR ---- */

static struct wire_mptcp_opt make_add_addr(int family, bool port, bool echo)
{
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_ADD_ADDR};
    struct wire_add_addr *a = &o.u.add_addr;
    a->echo = echo;
    a->addr_id = 9;
    assert_int_equal(umptcp_addr_parse(&a->addr, family == 4 ? "192.0.2.77" : "2001:db8::4:5"), 0);
    a->has_port = port;
    a->port = port ? 8443 : 0;
    if (!echo)
        memcpy(a->hmac, "\x0f\x1e\x2d\x3c\x4b\x5a\x69\x78", 8);
    return o;
}

static void test_add_addr_every_form(void **state)
{
    (void)state;
    const struct {
        int family;
        bool port, echo;
        int len;
    } cases[] = {
        {4, false, false, 16}, {4, true, false, 18}, {6, false, false, 28}, {6, true, false, 30},
        {4, false, true, 8},   {4, true, true, 10},  {6, false, true, 20},  {6, true, true, 22},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct wire_mptcp_opt o = make_add_addr(cases[i].family, cases[i].port, cases[i].echo);
        uint8_t bytes[64];
        roundtrip(&o, cases[i].len, bytes);
        assert_int_equal(bytes[2], 0x30 | cases[i].echo);
        struct wire_mptcp_opt p;
        assert_int_equal(wire_mptcp_parse(bytes, (size_t)cases[i].len, &p), cases[i].len);
        assert_int_equal(p.u.add_addr.addr.family, cases[i].family);
        assert_int_equal(p.u.add_addr.has_port, cases[i].port);
        assert_int_equal(p.u.add_addr.port, cases[i].port ? 8443 : 0);
    }
}

/* Figure 12, typed in. */
static void test_add_addr_known_bytes(void **state)
{
    (void)state;
    struct wire_mptcp_opt o;
    const uint8_t v4[] = {0x1e, 0x12, 0x30, 0x07, 0xc0, 0xa8, 0x01, 0x02, 0x1f,
                          0x90, 1,    2,    3,    4,    5,    6,    7,    8};
    parse_known(v4, sizeof(v4), &o);
    char text[UMPTCP_ADDR_STRLEN];
    assert_false(o.u.add_addr.echo);
    assert_int_equal(o.u.add_addr.addr_id, 7);
    assert_string_equal(umptcp_addr_format(&o.u.add_addr.addr, text, sizeof(text)), "192.168.1.2");
    assert_true(o.u.add_addr.has_port);
    assert_int_equal(o.u.add_addr.port, 8080);
    assert_memory_equal(o.u.add_addr.hmac, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);

    uint8_t v6echo[20] = {0x1e, 0x14, 0x31, 0x02, 0xfd};
    v6echo[19] = 0x01;
    parse_known(v6echo, sizeof(v6echo), &o);
    assert_true(o.u.add_addr.echo);
    assert_false(o.u.add_addr.has_port);
    assert_string_equal(umptcp_addr_format(&o.u.add_addr.addr, text, sizeof(text)), "fd00::1");
}

/* ---- REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST, MP_EXPERIMENTAL ---- */

static void test_remove_addr(void **state)
{
    (void)state;
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_REMOVE_ADDR};
    for (int n = 1; n <= WIRE_MPTCP_MAX_RM_IDS; n++) {
        o.u.rm_addr.count = (uint8_t)n;
        for (int i = 0; i < n; i++)
            o.u.rm_addr.ids[i] = (uint8_t)(255 - 3 * i);
        roundtrip(&o, 3 + n, NULL);
    }
    const uint8_t three[] = {0x1e, 0x06, 0x40, 0x01, 0x00, 0xff}; /* Figure 13 */
    parse_known(three, sizeof(three), &o);
    assert_int_equal(o.u.rm_addr.count, 3);
    assert_memory_equal(o.u.rm_addr.ids, "\x01\x00\xff", 3);
    o.u.rm_addr.count = 0;
    assert_int_equal(wire_mptcp_size(&o), UMPTCP_ERR_INVAL);
    o.u.rm_addr.count = WIRE_MPTCP_MAX_RM_IDS + 1;
    assert_int_equal(wire_mptcp_size(&o), UMPTCP_ERR_INVAL);
}

static void test_mp_prio(void **state)
{
    (void)state;
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_PRIO};
    uint8_t bytes[8];
    for (int b = 0; b <= 1; b++) {
        o.u.prio = (struct wire_mp_prio){.backup = b};
        roundtrip(&o, 3, bytes);
        assert_memory_equal(bytes, b ? "\x1e\x03\x51" : "\x1e\x03\x50", 3); /* Figure 11 */
        /* The RFC 6824 (v0) form with an address ID is accepted and kept. */
        o.u.prio = (struct wire_mp_prio){.backup = b, .has_addr_id = true, .addr_id = 4};
        roundtrip(&o, 4, bytes);
        assert_int_equal(bytes[3], 4);
    }
}

static void test_fail_fastclose(void **state)
{
    (void)state;
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_FAIL};
    o.u.fail.dsn = 0x8877665544332211ull;
    roundtrip(&o, 12, NULL);
    o = (struct wire_mptcp_opt){.subtype = WIRE_MPTCP_MP_FASTCLOSE};
    o.u.fastclose.rcv_key = KEY_B;
    roundtrip(&o, 12, NULL);

    const uint8_t fail[] = {0x1e, 0x0c, 0x60, 0x00, 0, 0, 0, 1, 0, 0, 0, 2}; /* Figure 16 */
    parse_known(fail, sizeof(fail), &o);
    assert_int_equal(o.subtype, WIRE_MPTCP_MP_FAIL);
    assert_true(o.u.fail.dsn == 0x100000002ull);
    const uint8_t fc[] = {0x1e, 0x0c, 0x70, 0x00, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
    parse_known(fc, sizeof(fc), &o); /* Figure 14 */
    assert_int_equal(o.subtype, WIRE_MPTCP_MP_FASTCLOSE);
    assert_true(o.u.fastclose.rcv_key == KEY_B);
    /* Reserved bits are ignored. */
    const uint8_t fc_rsv[] = {0x1e, 0x0c, 0x7f, 0xff, 0xfe, 0xdc,
                              0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
    struct wire_mptcp_opt r;
    assert_int_equal(wire_mptcp_parse(fc_rsv, sizeof(fc_rsv), &r), 12);
    assert_true(wire_mptcp_equal(&o, &r));
}

static void test_tcprst(void **state)
{
    (void)state;
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_TCPRST};
    uint8_t bytes[8];
    for (unsigned flags = 0; flags < 16; flags++) {
        for (unsigned reason = 0; reason <= WIRE_TCPRST_MIDDLEBOX + 1; reason++) {
            o.u.tcprst =
                (struct wire_mp_tcprst){.flags = (uint8_t)flags, .reason = (uint8_t)reason};
            roundtrip(&o, 4, bytes);
            assert_int_equal(bytes[2], 0x80 | flags);
            assert_int_equal(bytes[3], reason);
        }
    }
    const uint8_t t_mbox[] = {0x1e, 0x04, 0x81, 0x06}; /* Figure 15: T=1, middlebox */
    parse_known(t_mbox, sizeof(t_mbox), &o);
    assert_int_equal(o.u.tcprst.flags, WIRE_TCPRST_FLAG_T);
    assert_int_equal(o.u.tcprst.reason, WIRE_TCPRST_MIDDLEBOX);
    o.u.tcprst.flags = 0x10;
    assert_int_equal(wire_mptcp_size(&o), UMPTCP_ERR_INVAL);
}

static void test_experimental(void **state)
{
    (void)state;
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_EXPERIMENTAL};
    for (int n = 0; n <= WIRE_MPTCP_MAX_EXP_DATA; n++) {
        o.u.exp.nibble = (uint8_t)(n & 0xf);
        o.u.exp.len = (uint8_t)n;
        for (int i = 0; i < n; i++)
            o.u.exp.data[i] = (uint8_t)(i * 7);
        roundtrip(&o, 3 + n, NULL);
    }
}

/* ---- errors ---- */

/* Valid Lengths of each subtype (with the flags/bits used in the probe below). */
static bool length_valid(unsigned subtype, unsigned low_nibble, int len)
{
    switch (subtype) {
    case WIRE_MPTCP_MP_CAPABLE:
        return len == 4 || len == 12 || len == 20 || len == 22 || len == 24;
    case WIRE_MPTCP_MP_JOIN:
        return len == 12 || len == 16 || len == 24;
    case WIRE_MPTCP_ADD_ADDR:
        if (low_nibble & 1)
            return len == 8 || len == 10 || len == 20 || len == 22;
        return len == 16 || len == 18 || len == 28 || len == 30;
    case WIRE_MPTCP_REMOVE_ADDR:
        return len >= 4;
    case WIRE_MPTCP_MP_PRIO:
        return len == 3 || len == 4;
    case WIRE_MPTCP_MP_FAIL:
    case WIRE_MPTCP_MP_FASTCLOSE:
        return len == 12;
    case WIRE_MPTCP_MP_TCPRST:
        return len == 4;
    case WIRE_MPTCP_MP_EXPERIMENTAL:
        return true;
    default:
        return false;
    }
}

static void test_wrong_lengths(void **state)
{
    (void)state;
    const unsigned subtypes[] = {0, 1, 3, 4, 5, 6, 7, 8, 0xf}; /* DSS: see its own test */
    for (size_t s = 0; s < sizeof(subtypes) / sizeof(subtypes[0]); s++) {
        for (unsigned nib = 0; nib <= 1; nib++) {
            unsigned low = subtypes[s] == WIRE_MPTCP_MP_CAPABLE ? 1 : nib; /* version 1 */
            for (int len = 0; len <= 255; len++) {
                uint8_t b[256] = {0x1e, (uint8_t)len, (uint8_t)(subtypes[s] << 4 | low), 0x01};
                struct wire_mptcp_opt o;
                int want = len >= 3 && len <= 40 && length_valid(subtypes[s], low, len)
                               ? len
                               : UMPTCP_ERR_BAD_LENGTH;
                assert_int_equal(wire_mptcp_parse(b, sizeof(b), &o), want);
                assert_int_equal(o.subtype, len >= 3 ? subtypes[s] : 0);
                if (len >= 2)
                    assert_int_equal(parse_exact(b, (size_t)len, &o), want);
            }
        }
    }
}

static void test_unassigned_subtypes_and_bad_input(void **state)
{
    (void)state;
    struct wire_mptcp_opt o;
    for (unsigned st = 0x9; st <= 0xe; st++) {
        for (int len = 3; len <= 40; len++) {
            uint8_t b[40] = {0x1e, (uint8_t)len, (uint8_t)(st << 4)};
            assert_int_equal(wire_mptcp_parse(b, sizeof(b), &o), UMPTCP_ERR_BAD_SUBTYPE);
            assert_int_equal(o.subtype, st);
        }
    }
    const uint8_t not_mptcp[] = {0x02, 0x04, 0x05, 0xb4};
    assert_int_equal(wire_mptcp_parse(not_mptcp, sizeof(not_mptcp), &o), UMPTCP_ERR_PROTO);
    assert_int_equal(wire_mptcp_parse(NULL, 4, &o), UMPTCP_ERR_INVAL);
    assert_int_equal(wire_mptcp_parse(not_mptcp, 4, NULL), UMPTCP_ERR_INVAL);
    const uint8_t short_len[] = {0x1e, 0x02, 0x50};
    assert_int_equal(wire_mptcp_parse(short_len, sizeof(short_len), &o), UMPTCP_ERR_BAD_LENGTH);
}

static void test_writer_refuses_impossible_structs(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct wire_mptcp_opt o = make_mpc(4, 0x81, false); /* no such form */
    assert_int_equal(wire_mptcp_size(&o), UMPTCP_ERR_INVAL);
    assert_int_equal(wire_mptcp_write(&o, buf, sizeof(buf)), UMPTCP_ERR_INVAL);
    o = make_mpc(WIRE_MPC_SYN, 0x81, false);
    o.u.mpc.version = 16;
    assert_int_equal(wire_mptcp_size(&o), UMPTCP_ERR_INVAL);
    o = make_join(3, false);
    assert_int_equal(wire_mptcp_size(&o), UMPTCP_ERR_INVAL);
    o = make_dss(WIRE_DSS_FLAG_A, true); /* checksum without a mapping */
    assert_int_equal(wire_mptcp_size(&o), UMPTCP_ERR_INVAL);
    o = make_add_addr(4, false, false);
    o.u.add_addr.addr.family = UMPTCP_AF_NONE;
    assert_int_equal(wire_mptcp_size(&o), UMPTCP_ERR_INVAL);
    o = (struct wire_mptcp_opt){.subtype = 0x9};
    assert_int_equal(wire_mptcp_size(&o), UMPTCP_ERR_INVAL);
    o = (struct wire_mptcp_opt){.subtype = WIRE_MPTCP_MP_EXPERIMENTAL};
    o.u.exp.len = WIRE_MPTCP_MAX_EXP_DATA + 1;
    assert_int_equal(wire_mptcp_size(&o), UMPTCP_ERR_INVAL);
    assert_int_equal(wire_mptcp_size(NULL), UMPTCP_ERR_INVAL);
    o = make_dss(31, true);
    assert_int_equal(wire_mptcp_write(&o, NULL, 100), UMPTCP_ERR_NOSPACE);
    assert_int_equal(wire_mptcp_size(&o), 28); /* RFC 8684 3.3: the longest DSS */
}

/* Fields a form does not carry do not matter for equality, and the writer ignores them. */
static void test_equal_ignores_unused_fields(void **state)
{
    (void)state;
    struct wire_mptcp_opt a = make_join(WIRE_JOIN_ACK, true), b = make_join(WIRE_JOIN_ACK, false);
    b.u.join.token = 1;
    assert_true(wire_mptcp_equal(&a, &b));
    b.u.join.hmac[19] ^= 1;
    assert_false(wire_mptcp_equal(&a, &b));
    a = make_dss(WIRE_DSS_FLAG_A | WIRE_DSS_FLAG_M, false);
    b = a;
    b.u.dss.data_ack ^= 1ull << 40; /* not on the wire with a 4-byte Data ACK */
    b.u.dss.dsn ^= 1ull << 40;
    assert_true(wire_mptcp_equal(&a, &b));
    b.u.dss.ssn++;
    assert_false(wire_mptcp_equal(&a, &b));
    a = make_mpc(WIRE_MPC_SYN, 0x81, false);
    b = a;
    b.u.mpc.snd_key = 0;
    assert_true(wire_mptcp_equal(&a, &b));
    b.u.mpc.flags = 0x01;
    assert_false(wire_mptcp_equal(&a, &b));
    b = make_join(WIRE_JOIN_SYN, false);
    assert_false(wire_mptcp_equal(&a, &b));
}

/* ---- printing ---- */

static void expect_format(const struct wire_mptcp_opt *o, const char *want)
{
    char buf[WIRE_MPTCP_FORMAT_MAX];
    assert_int_equal(wire_mptcp_format(o, buf, sizeof(buf)), (int)strlen(want));
    assert_string_equal(buf, want);
}

static void test_format(void **state)
{
    (void)state;
    struct wire_mptcp_opt o = make_dss(WIRE_DSS_FLAG_A | WIRE_DSS_FLAG_M | WIRE_DSS_FLAG_F, true);
    o.u.dss.data_ack = 5;
    o.u.dss.dsn = 1000;
    o.u.dss.ssn = 1;
    o.u.dss.dll = 100;
    o.u.dss.csum = 0xab12;
    expect_format(&o, "DSS ack32=5 dsn32=1000 ssn=1 len=100 csum=0xab12 fin");
    o = make_mpc(WIRE_MPC_ACK, 0x81, false);
    expect_format(&o, "MP_CAPABLE v1 flags=0x81[AH] skey=0x0123456789abcdef "
                      "rkey=0xfedcba9876543210");
    o = make_join(WIRE_JOIN_SYN, true);
    expect_format(&o, "MP_JOIN syn id=7 token=0xa1b2c3d4 nonce=0x11223344 backup");
    o = make_add_addr(4, true, true);
    expect_format(&o, "ADD_ADDR id=9 192.0.2.77 port=8443 echo");
    o = (struct wire_mptcp_opt){.subtype = WIRE_MPTCP_MP_TCPRST};
    o.u.tcprst = (struct wire_mp_tcprst){.flags = WIRE_TCPRST_FLAG_T, .reason = 2};
    expect_format(&o, "MP_TCPRST reason=2 flags=0x1 transient");

    /* The longest lines fit in WIRE_MPTCP_FORMAT_MAX. */
    char buf[WIRE_MPTCP_FORMAT_MAX];
    o = (struct wire_mptcp_opt){.subtype = WIRE_MPTCP_REMOVE_ADDR};
    o.u.rm_addr.count = WIRE_MPTCP_MAX_RM_IDS;
    memset(o.u.rm_addr.ids, 255, sizeof(o.u.rm_addr.ids));
    assert_true(wire_mptcp_format(&o, buf, sizeof(buf)) > 0);
    o = make_dss(31, true);
    o.u.dss.data_ack = o.u.dss.dsn = UINT64_MAX;
    assert_true(wire_mptcp_format(&o, buf, sizeof(buf)) > 0);
    o = make_add_addr(6, true, false);
    memset(o.u.add_addr.addr.bytes, 0x12, 16);
    assert_true(wire_mptcp_format(&o, buf, sizeof(buf)) > 0);
    o = make_mpc(WIRE_MPC_ACK_DATA, 0xff, true);
    o.u.mpc.version = 15;
    assert_true(wire_mptcp_format(&o, buf, sizeof(buf)) > 0);

    /* Too small: an error and a terminated prefix. */
    assert_int_equal(wire_mptcp_format(&o, buf, 8), UMPTCP_ERR_NOSPACE);
    assert_string_equal(buf, "MP_CAPA");
    assert_int_equal(wire_mptcp_format(&o, NULL, 0), UMPTCP_ERR_NOSPACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mpc_roundtrip_every_form),
        cmocka_unit_test(test_mpc_known_bytes),
        cmocka_unit_test(test_mpc_version_and_flags),
        cmocka_unit_test(test_join_roundtrip_every_form),
        cmocka_unit_test(test_join_known_bytes),
        cmocka_unit_test(test_dss_all_flag_combinations),
        cmocka_unit_test(test_dss_known_bytes),
        cmocka_unit_test(test_add_addr_every_form),
        cmocka_unit_test(test_add_addr_known_bytes),
        cmocka_unit_test(test_remove_addr),
        cmocka_unit_test(test_mp_prio),
        cmocka_unit_test(test_fail_fastclose),
        cmocka_unit_test(test_tcprst),
        cmocka_unit_test(test_experimental),
        cmocka_unit_test(test_wrong_lengths),
        cmocka_unit_test(test_unassigned_subtypes_and_bad_input),
        cmocka_unit_test(test_writer_refuses_impossible_structs),
        cmocka_unit_test(test_equal_ignores_unused_fields),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
