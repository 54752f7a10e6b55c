/* DSS mapping lists (RFC 8684 3.3.1). Receive side: mappings before/with/after their data,
 * identical repeats, stale repeats, conflicts, DATA_FIN and the infinite mapping, the bound,
 * the SSN wrap, the DSS checksum accumulator fed in odd-sized chunks, and a randomized run
 * (reordered and repeated mappings, interleaved consumption) checked against the truth. Send
 * side: contiguous adds, lookups for (re)transmission, ACKs, wrap, bound, many entries. Both:
 * allocation failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "crypto/mptcp_crypto.h"
#include "mptcp/mptcp_map.h"
#include "umptcp/error.h"

#include <stdlib.h>
#include <string.h>

/* Allocation failures: under ASan every malloc above 8 MiB returns NULL, so the NOMEM paths of
 * ring growth run for real. Without ASan those tests are skipped. */
#define TU_ALLOC_LIMIT_MB 8
#include "alloc_limit.h"

#define DSN0 0xfffffffffffff000ull /* random IDSNs can sit near 2^64: cross it */

static struct mptcp_map_dss M(uint32_t ssn, uint64_t dsn, uint16_t dll) {
    return (struct mptcp_map_dss){.ssn = ssn, .dsn = dsn, .dll = dll};
}

static void
rinit(struct mptcp_rmap *m, uint32_t first, size_t max)
{
    assert_int_equal(mptcp_rmap_init(m, first, max), UMPTCP_OK);
}

static void radd(struct mptcp_rmap *m, struct mptcp_map_dss map, int expect)
{
    assert_int_equal(mptcp_rmap_add(m, &map), expect);
}

/* Expects the bytes at the consumption point to map to dsn for len bytes (avail given). */
static void expect_chunk(const struct mptcp_rmap *m, size_t avail, uint64_t dsn, size_t len)
{
    struct mptcp_rmap_chunk c;
    assert_int_equal(mptcp_rmap_lookup(m, mptcp_rmap_consumed(m), avail, &c), UMPTCP_OK);
    assert_true(c.dsn == dsn);
    assert_int_equal(c.len, len);
}

/* ---- receive side ---------------------------------------------------------------------- */

static void test_rmap_basic(void **state)
{
    (void)state;
    struct mptcp_rmap m;
    rinit(&m, 1, 0);
    struct mptcp_rmap_chunk c;
    /* Data first: no mapping yet, the bytes wait. */
    assert_int_equal(mptcp_rmap_lookup(&m, 1, 100, &c), UMPTCP_ERR_AGAIN);
    radd(&m, M(1, DSN0, 100), MPTCP_RMAP_ADDED);
    assert_int_equal(mptcp_rmap_lookup(&m, 1, 40, &c), UMPTCP_OK);
    assert_true(c.dsn == DSN0);
    assert_int_equal(c.len, 40);
    assert_int_equal(c.map_left, 100);
    assert_true(c.map_dsn == DSN0);
    assert_int_equal(c.map_ssn, 1);
    assert_false(c.infinite);
    assert_false(c.data_fin_at_end);
    assert_int_equal(c.csum, MPTCP_RMAP_CSUM_NONE);
    assert_int_equal(mptcp_rmap_consume(&m, 40), UMPTCP_OK);
    assert_int_equal(mptcp_rmap_consumed(&m), 41);
    /* More available than the mapping covers: capped at its end. */
    expect_chunk(&m, 1000, DSN0 + 40, 60);
    /* Lookups below the consumption point are the caller's mistake. */
    assert_int_equal(mptcp_rmap_lookup(&m, 40, 10, &c), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_rmap_consume(&m, 60), UMPTCP_OK);
    assert_int_equal(mptcp_rmap_count(&m), 0);
    assert_int_equal(mptcp_rmap_lookup(&m, 101, 10, &c), UMPTCP_ERR_AGAIN);
    mptcp_rmap_destroy(&m);
}

/* Mappings arrive out of order and ahead of their data; consumption crosses their boundary. */
static void test_rmap_out_of_order_mappings(void **state)
{
    (void)state;
    struct mptcp_rmap m;
    rinit(&m, 1, 0);
    radd(&m, M(201, DSN0 + 5000, 50), MPTCP_RMAP_ADDED); /* a later chunk on another DSN */
    radd(&m, M(1, DSN0, 100), MPTCP_RMAP_ADDED);
    radd(&m, M(101, DSN0 + 100, 100), MPTCP_RMAP_ADDED);
    assert_int_equal(mptcp_rmap_count(&m), 3);
    struct mptcp_rmap_chunk c;
    assert_int_equal(mptcp_rmap_lookup(&m, 150, 10, &c), UMPTCP_OK);
    assert_true(c.dsn == DSN0 + 149);
    assert_int_equal(c.map_left, 51);
    expect_chunk(&m, 300, DSN0, 100);
    assert_int_equal(mptcp_rmap_consume(&m, 150), UMPTCP_OK); /* across the first boundary */
    assert_int_equal(mptcp_rmap_count(&m), 2);
    expect_chunk(&m, 300, DSN0 + 149 + 1, 50);
    assert_int_equal(mptcp_rmap_consume(&m, 50), UMPTCP_OK);
    expect_chunk(&m, 300, DSN0 + 5000, 50);
    /* A gap after the last mapping: AGAIN there, and consuming into it is refused. */
    assert_int_equal(mptcp_rmap_lookup(&m, 251, 5, &c), UMPTCP_ERR_AGAIN);
    assert_int_equal(mptcp_rmap_consume(&m, 51), UMPTCP_ERR_STATE);
    assert_int_equal(mptcp_rmap_consumed(&m), 201);
    assert_int_equal(mptcp_rmap_count(&m), 1);
    mptcp_rmap_destroy(&m);
}

static void test_rmap_gap_between_mappings(void **state)
{
    (void)state;
    struct mptcp_rmap m;
    rinit(&m, 1, 0);
    radd(&m, M(1, 100, 10), MPTCP_RMAP_ADDED);
    radd(&m, M(21, 200, 10), MPTCP_RMAP_ADDED);
    struct mptcp_rmap_chunk c;
    assert_int_equal(mptcp_rmap_lookup(&m, 15, 5, &c), UMPTCP_ERR_AGAIN);
    assert_int_equal(mptcp_rmap_consume(&m, 11), UMPTCP_ERR_STATE); /* byte 11 unmapped */
    assert_int_equal(mptcp_rmap_consume(&m, 10), UMPTCP_OK);
    assert_int_equal(mptcp_rmap_consume(&m, 1), UMPTCP_ERR_STATE);
    /* The hole's mapping arrives late, filling it exactly. */
    radd(&m, M(11, 150, 10), MPTCP_RMAP_ADDED);
    expect_chunk(&m, 100, 150, 10);
    assert_int_equal(mptcp_rmap_consume(&m, 20), UMPTCP_OK);
    assert_int_equal(mptcp_rmap_count(&m), 0);
    mptcp_rmap_destroy(&m);
}

static void test_rmap_duplicates_and_stale(void **state)
{
    (void)state;
    struct mptcp_rmap m;
    rinit(&m, 1, 0);
    radd(&m, M(1, DSN0, 100), MPTCP_RMAP_ADDED);
    radd(&m, M(1, DSN0, 100), MPTCP_RMAP_DUPLICATE);
    assert_int_equal(mptcp_rmap_consume(&m, 30), UMPTCP_OK);
    /* Partly consumed: still known, an identical repeat is a duplicate. */
    radd(&m, M(1, DSN0, 100), MPTCP_RMAP_DUPLICATE);
    assert_int_equal(mptcp_rmap_consume(&m, 70), UMPTCP_OK);
    /* Wholly consumed and dropped: a repeat (retransmitted segment) is stale. */
    radd(&m, M(1, DSN0, 100), MPTCP_RMAP_STALE);
    assert_int_equal(mptcp_rmap_count(&m), 0);
    assert_int_equal(m.duplicates, 2);
    assert_int_equal(m.stale, 1);
    mptcp_rmap_destroy(&m);
}

static void test_rmap_conflicts(void **state)
{
    (void)state;
    struct mptcp_rmap m;
    rinit(&m, 1, 0);
    radd(&m, M(101, 1000, 100), MPTCP_RMAP_ADDED);
    struct mptcp_map_dss bad[] = {
        M(101, 1001, 100), /* same range, other DSN */
        M(101, 1000, 99),  /* same start, other length */
        M(101, 1000, 101), /* longer */
        M(150, 1049, 10),  /* inside and consistent, but not the declared mapping */
        M(51, 950, 60),    /* overlaps the start */
        M(190, 1089, 20),  /* overlaps the end */
        M(1, 900, 300),    /* covers it */
        M(101, 1000, 0),   /* infinite over it */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(mptcp_rmap_add(&m, &bad[i]), UMPTCP_ERR_PROTO);
        assert_int_equal(mptcp_rmap_count(&m), 1);
    }
    /* Flags are part of the mapping too. */
    struct mptcp_map_dss fin = M(101, 1000, 101);
    fin.data_fin = true; /* 100 subflow bytes + DATA_FIN: same subflow range, different map */
    assert_int_equal(mptcp_rmap_add(&m, &fin), UMPTCP_ERR_PROTO);
    struct mptcp_map_dss cs = M(101, 1000, 100);
    cs.has_csum = true;
    assert_int_equal(mptcp_rmap_add(&m, &cs), UMPTCP_ERR_PROTO);
    assert_int_equal(m.conflicts, 10);
    /* Neighbours that only touch are fine. */
    radd(&m, M(201, 1100, 10), MPTCP_RMAP_ADDED);
    radd(&m, M(91, 990, 10), MPTCP_RMAP_ADDED);
    assert_int_equal(mptcp_rmap_count(&m), 3);
    mptcp_rmap_destroy(&m);
}

/* A mapping straddling the consumption point where the old mapping ended there: the bytes
 * below were declared by a mapping already dropped, so this one changes it. */
static void test_rmap_straddle_is_conflict(void **state)
{
    (void)state;
    struct mptcp_rmap m;
    rinit(&m, 1, 0);
    radd(&m, M(1, 500, 50), MPTCP_RMAP_ADDED);
    assert_int_equal(mptcp_rmap_consume(&m, 50), UMPTCP_OK);
    radd(&m, M(41, 540, 20), UMPTCP_ERR_PROTO);
    /* Before any data: a mapping starting at the SYN's sequence number (0) straddles too. */
    struct mptcp_rmap m2;
    rinit(&m2, 1, 0);
    radd(&m2, M(0, 500, 10), UMPTCP_ERR_PROTO);
    radd(&m2, M(1, 500, 10), MPTCP_RMAP_ADDED);
    mptcp_rmap_destroy(&m);
    mptcp_rmap_destroy(&m2);
}

/* RFC 8684 3.3.3: the DATA_FIN is counted in the DLL, not in subflow space. */
static void test_rmap_data_fin(void **state)
{
    (void)state;
    struct mptcp_rmap m;
    rinit(&m, 1, 0);
    struct mptcp_map_dss f = M(1, 80, 11);
    f.data_fin = true; /* the RFC's example: 10 bytes at DSN 80-89, DATA_FIN = 90 */
    radd(&m, f, MPTCP_RMAP_ADDED);
    struct mptcp_rmap_chunk c;
    assert_int_equal(mptcp_rmap_lookup(&m, 1, 100, &c), UMPTCP_OK);
    assert_int_equal(c.len, 10);
    assert_true(c.data_fin_at_end);
    assert_int_equal(mptcp_rmap_consume(&m, 11), UMPTCP_ERR_STATE);
    assert_int_equal(mptcp_rmap_consume(&m, 10), UMPTCP_OK);
    assert_int_equal(mptcp_rmap_count(&m), 0);
    /* A DATA_FIN alone (SSN 0, DLL 1) covers no subflow byte: nothing stored. */
    struct mptcp_map_dss alone = M(0, 90, 1);
    alone.data_fin = true;
    radd(&m, alone, MPTCP_RMAP_EMPTY);
    assert_int_equal(mptcp_rmap_count(&m), 0);
    /* DLL 0 is the infinite mapping, which a DATA_FIN cannot carry. */
    struct mptcp_map_dss inf_fin = M(11, 90, 0);
    inf_fin.data_fin = true;
    radd(&m, inf_fin, UMPTCP_ERR_PROTO);
    assert_int_equal(mptcp_map_sublen(&f), 10);
    assert_int_equal(mptcp_map_sublen(&alone), 0);
    mptcp_rmap_destroy(&m);
}

/* RFC 8684 3.7 fallback: the infinite mapping covers everything from its SSN on, also past the
 * 32-bit subflow sequence wrap. */
static void test_rmap_infinite(void **state)
{
    (void)state;
    struct mptcp_rmap m;
    uint32_t first = 0xfffff000u;
    rinit(&m, first, 0);
    radd(&m, M(first, 1000, 100), MPTCP_RMAP_ADDED);
    struct mptcp_map_dss inf = M(first + 100, 7000, 0);
    inf.has_csum = true; /* the checksum of an infinite mapping is ignored */
    inf.csum = 0;
    radd(&m, inf, MPTCP_RMAP_ADDED);
    radd(&m, M(first + 300, 7200, 10), UMPTCP_ERR_PROTO); /* nothing after it */
    assert_int_equal(mptcp_rmap_consume(&m, 100), UMPTCP_OK);
    struct mptcp_rmap_chunk c;
    assert_int_equal(mptcp_rmap_lookup(&m, first + 100, 123456, &c), UMPTCP_OK);
    assert_true(c.infinite);
    assert_int_equal(c.len, 123456);
    assert_true(c.map_left == SIZE_MAX);
    assert_int_equal(c.csum, MPTCP_RMAP_CSUM_NONE);
    /* The original infinite mapping repeated (an old segment) still maps consistently. */
    assert_int_equal(mptcp_rmap_consume(&m, 1000), UMPTCP_OK);
    radd(&m, inf, MPTCP_RMAP_DUPLICATE);
    struct mptcp_map_dss other = inf;
    other.dsn += 1;
    radd(&m, other, UMPTCP_ERR_PROTO);
    uint64_t dsn = 8000;
    for (int i = 0; i < 9; i++) { /* 9 GiB: the subflow sequence space wraps twice */
        expect_chunk(&m, 1u << 30, dsn, 1u << 30);
        assert_int_equal(mptcp_rmap_consume(&m, 1u << 30), UMPTCP_OK);
        dsn += 1u << 30;
        assert_int_equal(mptcp_rmap_count(&m), 1);
    }
    expect_chunk(&m, 5, dsn, 5);
    /* A repeat consistent with the current position is a duplicate too. */
    radd(&m, M(mptcp_rmap_consumed(&m) + 7, dsn + 7, 0), MPTCP_RMAP_DUPLICATE);
    mptcp_rmap_destroy(&m);
}

static void test_rmap_ssn_wrap(void **state)
{
    (void)state;
    struct mptcp_rmap m;
    uint32_t first = 0xffffff00u;
    rinit(&m, first, 0);
    radd(&m, M(first + 0x80, DSN0 + 0x80, 0x100), MPTCP_RMAP_ADDED); /* crosses 2^32 */
    radd(&m, M(first, DSN0, 0x80), MPTCP_RMAP_ADDED);
    radd(&m, M(first + 0x180, DSN0 + 0x180, 0x10), MPTCP_RMAP_ADDED);
    struct mptcp_rmap_chunk c;
    assert_int_equal(mptcp_rmap_lookup(&m, 5, 1, &c), UMPTCP_OK); /* after the wrap */
    assert_true(c.dsn == DSN0 + 0x105);
    assert_int_equal(mptcp_rmap_consume(&m, 0x190), UMPTCP_OK);
    assert_int_equal(mptcp_rmap_consumed(&m), 0x90);
    assert_int_equal(mptcp_rmap_count(&m), 0);
    radd(&m, M(first + 0x80, DSN0 + 0x80, 0x100), MPTCP_RMAP_STALE);
    mptcp_rmap_destroy(&m);
}

static void test_rmap_bound(void **state)
{
    (void)state;
    struct mptcp_rmap m;
    rinit(&m, 1, 4);
    for (uint32_t i = 0; i < 4; i++)
        radd(&m, M(1 + 10 * i, 100 + 10 * i, 10), MPTCP_RMAP_ADDED);
    radd(&m, M(51, 150, 10), UMPTCP_ERR_NOMEM);
    radd(&m, M(41, 140, 10), MPTCP_RMAP_ADDED); /* the next needed one: the reserve */
    radd(&m, M(51, 150, 10), UMPTCP_ERR_NOMEM);
    /* A duplicate still answers (no room needed). */
    radd(&m, M(11, 110, 10), MPTCP_RMAP_DUPLICATE);
    assert_int_equal(mptcp_rmap_count(&m), 5);
    assert_int_equal(mptcp_rmap_consume(&m, 10), UMPTCP_OK);
    radd(&m, M(71, 170, 10), UMPTCP_ERR_NOMEM); /* back at the bound, not the first gap */
    radd(&m, M(51, 150, 10), MPTCP_RMAP_ADDED); /* the first gap: the reserve again */
    assert_int_equal(mptcp_rmap_consume(&m, 20), UMPTCP_OK);
    radd(&m, M(71, 170, 10), MPTCP_RMAP_ADDED); /* below the bound now */
    assert_int_equal(mptcp_rmap_count(&m), 4);
    mptcp_rmap_destroy(&m);

    /* Full of mappings for out-of-order data above a hole: the hole's own mapping (the one
     * delivery waits for) still gets in, once; other mappings do not. */
    rinit(&m, 1, 3);
    radd(&m, M(101, 1100, 10), MPTCP_RMAP_ADDED);
    radd(&m, M(111, 1110, 10), MPTCP_RMAP_ADDED);
    radd(&m, M(131, 1130, 10), MPTCP_RMAP_ADDED);
    radd(&m, M(51, 1050, 50), UMPTCP_ERR_NOMEM); /* not at the first unmapped byte (1) */
    radd(&m, M(121, 1120, 10), UMPTCP_ERR_NOMEM);
    radd(&m, M(1, 1000, 50), MPTCP_RMAP_ADDED); /* the reserve */
    assert_int_equal(mptcp_rmap_count(&m), 4);
    radd(&m, M(51, 1050, 50), UMPTCP_ERR_NOMEM); /* now at the first gap, but reserve used */
    assert_int_equal(mptcp_rmap_consume(&m, 50), UMPTCP_OK);
    radd(&m, M(51, 1050, 50), MPTCP_RMAP_ADDED); /* reserve again */
    assert_int_equal(mptcp_rmap_consume(&m, 70), UMPTCP_OK);
    radd(&m, M(121, 1120, 10), MPTCP_RMAP_ADDED);
    expect_chunk(&m, 100, 1120, 10);
    assert_int_equal(mptcp_rmap_init(&m, 1, MPTCP_MAP_MAX_LIMIT + 1), UMPTCP_ERR_INVAL);
    struct mptcp_rmap m2;
    rinit(&m2, 1, 0);
    assert_int_equal(m2.max_maps, MPTCP_MAP_DEFAULT_MAX);
    assert_int_equal(mptcp_rmap_add(&m2, NULL), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_rmap_add(NULL, NULL), UMPTCP_ERR_INVAL);
    mptcp_rmap_destroy(&m);
    mptcp_rmap_destroy(&m2);
}

/* ---- DSS checksum ---------------------------------------------------------------------- */

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (uint8_t)(seed >> 24);
    }
}

static struct mptcp_map_dss csum_map(uint32_t ssn, uint64_t dsn, const uint8_t *payload,
                                     uint16_t len, bool fin)
{
    struct mptcp_map_dss d = M(ssn, dsn, (uint16_t)(len + (fin ? 1 : 0)));
    d.data_fin = fin;
    d.has_csum = true;
    d.csum = mptcp_crypto_dss_csum(dsn, ssn, d.dll, payload, len);
    return d;
}

static enum mptcp_rmap_csum_state csum_state_at(const struct mptcp_rmap *m, uint32_t ssn)
{
    struct mptcp_rmap_chunk c;
    assert_int_equal(mptcp_rmap_lookup(m, ssn, 1, &c), UMPTCP_OK);
    return c.csum;
}

/* Odd-sized chunks, a feed spanning two mappings, re-feeding, a gap, and an odd DLL with
 * DATA_FIN: the verdict comes at the last byte and gates consumption. */
static void test_rmap_csum_pass(void **state)
{
    (void)state;
    uint8_t pay[2001];
    fill(pay, sizeof(pay), 11);
    struct mptcp_rmap m;
    rinit(&m, 1, 0);
    radd(&m, csum_map(1, DSN0 + 3, pay, 1001, false), MPTCP_RMAP_ADDED);
    radd(&m, csum_map(1002, DSN0 + 1004, pay + 1001, 1000, true), MPTCP_RMAP_ADDED);
    assert_int_equal(csum_state_at(&m, 1), MPTCP_RMAP_CSUM_PENDING);
    size_t off = 0, step = 1;
    while (off < 1000) {
        size_t n = step < 1000 - off ? step : 1000 - off;
        assert_int_equal(mptcp_rmap_csum_feed(&m, (uint32_t)(1 + off), pay + off, n), (int)n);
        off += n;
        step += 2; /* 1, 3, 5, ...: odd offsets everywhere */
        assert_int_equal(csum_state_at(&m, 1), MPTCP_RMAP_CSUM_PENDING);
    }
    assert_int_equal(mptcp_rmap_consume(&m, 10), UMPTCP_ERR_STATE); /* not verified yet */
    /* Re-feeding what was fed is skipped; a gap is refused. */
    assert_int_equal(mptcp_rmap_csum_feed(&m, 1, pay, 500), 0);
    assert_int_equal(mptcp_rmap_csum_feed(&m, 1005, pay, 5), UMPTCP_ERR_INVAL);
    /* One feed finishing the first mapping and running into the second. */
    assert_int_equal(mptcp_rmap_csum_feed(&m, 901, pay + 900, 700), 600);
    assert_int_equal(mptcp_rmap_csum_cursor(&m), 1601);
    assert_int_equal(csum_state_at(&m, 1), MPTCP_RMAP_CSUM_PASS);
    assert_int_equal(csum_state_at(&m, 1002), MPTCP_RMAP_CSUM_PENDING);
    assert_int_equal(mptcp_rmap_consume(&m, 1001), UMPTCP_OK);
    assert_int_equal(mptcp_rmap_csum_feed(&m, 1601, pay + 1600, 401), 401);
    assert_int_equal(csum_state_at(&m, 1002), MPTCP_RMAP_CSUM_PASS);
    assert_int_equal(mptcp_rmap_consume(&m, 1000), UMPTCP_OK);
    assert_int_equal(m.csum_failures, 0);
    mptcp_rmap_destroy(&m);
}

static void test_rmap_csum_fail(void **state)
{
    (void)state;
    uint8_t pay[301];
    fill(pay, sizeof(pay), 5);
    struct mptcp_rmap m;
    rinit(&m, 1, 0);
    struct mptcp_map_dss d = csum_map(1, 777, pay, 301, false);
    radd(&m, d, MPTCP_RMAP_ADDED);
    pay[150] ^= 0x40; /* a middlebox rewrote a byte */
    assert_int_equal(mptcp_rmap_csum_feed(&m, 1, pay, 301), 301);
    struct mptcp_rmap_chunk c;
    assert_int_equal(mptcp_rmap_lookup(&m, 1, 301, &c), UMPTCP_OK);
    assert_int_equal(c.csum, MPTCP_RMAP_CSUM_FAIL);
    assert_true(c.map_dsn == 777); /* MP_FAIL carries the mapping's DSN (3.7) */
    assert_int_equal(mptcp_rmap_consume(&m, 1), UMPTCP_ERR_STATE);
    assert_int_equal(m.csum_failures, 1);
    mptcp_rmap_destroy(&m);

    /* The same data with a wrong DSN in the pseudo-header fails too (64-bit DSN is covered). */
    pay[150] ^= 0x40;
    rinit(&m, 1, 0);
    d.dsn += (uint64_t)1 << 32;
    radd(&m, d, MPTCP_RMAP_ADDED);
    assert_int_equal(mptcp_rmap_csum_feed(&m, 1, pay, 301), 301);
    assert_int_equal(csum_state_at(&m, 1), MPTCP_RMAP_CSUM_FAIL);
    mptcp_rmap_destroy(&m);
}

/* An independent RFC 1071 sum over Figure 10's pseudo-header followed by the payload, byte by
 * byte: the checksum the peer would send, computed without the library. */
static uint16_t naive_dss_csum(uint64_t dsn, uint32_t ssn, uint16_t dll, const uint8_t *p, size_t n)
{
    uint8_t hdr[16] = {0};
    for (int i = 0; i < 8; i++)
        hdr[i] = (uint8_t)(dsn >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        hdr[8 + i] = (uint8_t)(ssn >> (24 - 8 * i));
    hdr[12] = (uint8_t)(dll >> 8);
    hdr[13] = (uint8_t)dll;
    uint64_t sum = 0;
    for (size_t i = 0; i < 16; i += 2)
        sum += (uint64_t)(hdr[i] << 8 | hdr[i + 1]);
    for (size_t i = 0; i < n; i++)
        sum += (i & 1) ? p[i] : (uint64_t)p[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void test_rmap_csum_independent(void **state)
{
    (void)state;
    uint8_t pay[777];
    fill(pay, sizeof(pay), 77);
    for (int wrong = 0; wrong < 2; wrong++) {
        struct mptcp_rmap m;
        rinit(&m, 0x7ffffff0u, 0);
        struct mptcp_map_dss d = M(0x7ffffff0u, 0x0123456789abcdefull, 778);
        d.data_fin = true;
        d.has_csum = true;
        d.csum = (uint16_t)(naive_dss_csum(d.dsn, d.ssn, d.dll, pay, sizeof(pay)) + wrong);
        radd(&m, d, MPTCP_RMAP_ADDED);
        for (size_t off = 0; off < sizeof(pay); off += 100) {
            size_t n = sizeof(pay) - off < 100 ? sizeof(pay) - off : 100;
            assert_int_equal(mptcp_rmap_csum_feed(&m, d.ssn + (uint32_t)off, pay + off, n), (int)n);
        }
        assert_int_equal(csum_state_at(&m, d.ssn),
                         wrong ? MPTCP_RMAP_CSUM_FAIL : MPTCP_RMAP_CSUM_PASS);
        mptcp_rmap_destroy(&m);
    }
}

/* Data fed before its mapping arrives stops at the unmapped byte; fed again later it counts. */
static void test_rmap_csum_mapping_after_data(void **state)
{
    (void)state;
    uint8_t pay[64];
    fill(pay, sizeof(pay), 9);
    struct mptcp_rmap m;
    rinit(&m, 1, 0);
    assert_int_equal(mptcp_rmap_csum_feed(&m, 1, pay, 64), 0);
    radd(&m, csum_map(1, 5, pay, 31, false), MPTCP_RMAP_ADDED);
    assert_int_equal(mptcp_rmap_csum_feed(&m, 1, pay, 64), 31);
    radd(&m, csum_map(32, 36, pay + 31, 33, false), MPTCP_RMAP_ADDED);
    assert_int_equal(mptcp_rmap_csum_feed(&m, 1, pay, 64), 33);
    assert_int_equal(mptcp_rmap_consume(&m, 64), UMPTCP_OK);
    /* A mapping without a checksum lets the cursor pass without a verdict. */
    radd(&m, M(65, 100, 10), MPTCP_RMAP_ADDED);
    assert_int_equal(mptcp_rmap_csum_feed(&m, 65, pay, 10), 10);
    assert_int_equal(csum_state_at(&m, 65), MPTCP_RMAP_CSUM_NONE);
    assert_int_equal(mptcp_rmap_csum_feed(&m, 1, NULL, 5), UMPTCP_ERR_INVAL);
    mptcp_rmap_destroy(&m);
}

/* ---- randomized receive run --------------------------------------------------------------- */

struct rng {
    uint64_t s;
};

static uint32_t rnd(struct rng *r, uint32_t n)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s % n);
}

/* A subflow of chunks (random lengths, DSNs jumping as when other subflows carry data in
 * between); mappings are delivered in a random order, some twice, and the consumer moves
 * whatever is mapped after each delivery. Every consumed byte gets the true DSN. */
static void test_rmap_random(void **state)
{
    (void)state;
    enum { N = 400 };
    struct mptcp_map_dss maps[N];
    uint32_t first = 0xfff00000u, ssn = first;
    uint64_t dsn = DSN0;
    struct rng r = {0x9e3779b97f4a7c15ull};
    for (int i = 0; i < N; i++) {
        uint16_t len = (uint16_t)(1 + rnd(&r, 5000));
        maps[i] = M(ssn, dsn, len);
        ssn += len;
        dsn += len + rnd(&r, 3) * 1000u;
    }
    int order[N];
    for (int i = 0; i < N; i++)
        order[i] = i;
    for (int i = N - 1; i > 0; i--) { /* shuffle, but keep it roughly in order */
        int j = i - (int)rnd(&r, 8);
        j = j < 0 ? 0 : j;
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    struct mptcp_rmap m;
    rinit(&m, first, 64);
    int next_truth = 0;
    uint32_t truth_off = 0; /* bytes of maps[next_truth] already consumed */
    for (int k = 0; k < N; k++) {
        const struct mptcp_map_dss *d = &maps[order[k]];
        int rc = mptcp_rmap_add(&m, d);
        assert_true(rc == MPTCP_RMAP_ADDED);
        if (rnd(&r, 4) == 0) { /* a repeat: duplicate, or stale when already consumed */
            rc = mptcp_rmap_add(&m, d);
            assert_true(rc == MPTCP_RMAP_DUPLICATE || rc == MPTCP_RMAP_STALE);
        }
        for (;;) {
            struct mptcp_rmap_chunk c;
            size_t avail = 1 + rnd(&r, 7000);
            if (mptcp_rmap_lookup(&m, mptcp_rmap_consumed(&m), avail, &c) != UMPTCP_OK)
                break;
            assert_true(next_truth < N);
            assert_true(c.dsn == maps[next_truth].dsn + truth_off);
            assert_int_equal(c.map_left, maps[next_truth].dll - truth_off);
            assert_int_equal(mptcp_rmap_consume(&m, c.len), UMPTCP_OK);
            truth_off += (uint32_t)c.len;
            if (truth_off == maps[next_truth].dll) {
                next_truth++;
                truth_off = 0;
            }
        }
    }
    assert_int_equal(next_truth, N);
    assert_int_equal(mptcp_rmap_count(&m), 0);
    assert_int_equal(mptcp_rmap_consumed(&m), ssn);
    mptcp_rmap_destroy(&m);
}

static void test_covers_segment(void **state)
{
    (void)state;
    struct mptcp_map_dss d = M(100, 5, 50); /* [100, 150) */
    assert_true(mptcp_map_covers_segment(&d, 100, 10));
    assert_true(mptcp_map_covers_segment(&d, 140, 100));
    assert_true(mptcp_map_covers_segment(&d, 50, 51));
    assert_false(mptcp_map_covers_segment(&d, 50, 50));
    assert_false(mptcp_map_covers_segment(&d, 150, 10));
    assert_false(mptcp_map_covers_segment(&d, 120, 0));
    struct mptcp_map_dss w = M(0xfffffff0u, 5, 0x20); /* across the wrap */
    assert_true(mptcp_map_covers_segment(&w, 5, 5));
    assert_false(mptcp_map_covers_segment(&w, 0x10, 5));
    struct mptcp_map_dss fin = M(0, 9, 1);
    fin.data_fin = true;
    assert_true(mptcp_map_covers_segment(&fin, 777, 0));
    fin.ssn = 3;
    assert_false(mptcp_map_covers_segment(&fin, 3, 0));
    struct mptcp_map_dss inf = M(500, 9, 0);
    assert_true(mptcp_map_covers_segment(&inf, 500, 0));
    assert_true(mptcp_map_covers_segment(&inf, 400, 100));
    assert_true(mptcp_map_covers_segment(&inf, 600, 10));
    assert_false(mptcp_map_covers_segment(&inf, 400, 99));
    assert_false(mptcp_map_covers_segment(NULL, 1, 1));
}

/* ---- send side ---------------------------------------------------------------------------- */

static void sinit(struct mptcp_smap *m, size_t max)
{
    assert_int_equal(mptcp_smap_init(m, max), UMPTCP_OK);
}

static void test_smap_basic(void **state)
{
    (void)state;
    struct mptcp_smap m;
    sinit(&m, 0);
    struct mptcp_smap_lookup l;
    assert_int_equal(mptcp_smap_lookup(&m, 1, &l), UMPTCP_ERR_NOTFOUND);
    assert_int_equal(mptcp_smap_add(&m, 1, DSN0, 1400, false, 0x1234), UMPTCP_OK);
    assert_int_equal(mptcp_smap_add(&m, 1401, DSN0 + 9000, 2800, false, 0), UMPTCP_OK);
    assert_int_equal(mptcp_smap_add(&m, 4201, DSN0 + 11800, 10, true, 0), UMPTCP_OK);
    /* Not contiguous in subflow space: refused. */
    assert_int_equal(mptcp_smap_add(&m, 4210, 1, 10, false, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_smap_add(&m, 4212, 1, 10, false, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_smap_lookup(&m, 1, &l), UMPTCP_OK);
    assert_true(l.dsn == DSN0 && l.map_dsn == DSN0);
    assert_int_equal(l.map_ssn, 1);
    assert_int_equal(l.map_len, 1400);
    assert_int_equal(l.map_dll, 1400);
    assert_int_equal(l.csum, 0x1234);
    assert_int_equal(l.left, 1400);
    /* A retransmission starting mid-mapping gets the whole mapping and where to cut. */
    assert_int_equal(mptcp_smap_lookup(&m, 2801, &l), UMPTCP_OK);
    assert_true(l.dsn == DSN0 + 9000 + 1400);
    assert_true(l.map_dsn == DSN0 + 9000);
    assert_int_equal(l.map_ssn, 1401);
    assert_int_equal(l.left, 1400);
    assert_int_equal(mptcp_smap_lookup(&m, 4210, &l), UMPTCP_OK);
    assert_true(l.data_fin);
    assert_int_equal(l.map_dll, 11);
    assert_int_equal(l.left, 1);
    assert_int_equal(mptcp_smap_lookup(&m, 4211, &l), UMPTCP_ERR_NOTFOUND);
    assert_int_equal(mptcp_smap_lookup(&m, 0, &l), UMPTCP_ERR_NOTFOUND);
    /* ACKs free whole mappings only. */
    assert_int_equal(mptcp_smap_ack(&m, 1400), 0);
    assert_int_equal(mptcp_smap_ack(&m, 1401), 1);
    assert_int_equal(mptcp_smap_lookup(&m, 1400, &l), UMPTCP_ERR_NOTFOUND);
    assert_int_equal(mptcp_smap_ack(&m, 1401), 0);
    assert_int_equal(mptcp_smap_ack(&m, 1), 0); /* an old ACK frees nothing */
    assert_int_equal(mptcp_smap_count(&m), 2);
    assert_true(mptcp_smap_at(&m, 0)->dsn == DSN0 + 9000);
    assert_true(mptcp_smap_at(&m, 1)->data_fin);
    assert_null(mptcp_smap_at(&m, 2));
    assert_int_equal(mptcp_smap_ack(&m, 4212), 2); /* the subflow FIN acked too */
    assert_int_equal(mptcp_smap_count(&m), 0);
    /* Empty again: the next mapping must still continue the subflow sequence. */
    assert_int_equal(mptcp_smap_add(&m, 1, 5, 5, false, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_smap_add(&m, 4211, 5, 5, false, 0), UMPTCP_OK);
    mptcp_smap_destroy(&m);
}

static void test_smap_lengths(void **state)
{
    (void)state;
    struct mptcp_smap m;
    sinit(&m, 0);
    assert_int_equal(mptcp_smap_add(&m, 1, 5, 0, false, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_smap_add(&m, 1, 5, 0, true, 0), UMPTCP_OK); /* DATA_FIN alone */
    assert_int_equal(mptcp_smap_count(&m), 0);
    assert_int_equal(mptcp_smap_add(&m, 1, 5, UINT16_MAX, true, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_smap_add(&m, 1, 5, UINT16_MAX, false, 0), UMPTCP_OK);
    assert_int_equal(mptcp_smap_add(&m, 1 + UINT16_MAX, 5 + UINT16_MAX, UINT16_MAX - 1, true, 0),
                     UMPTCP_OK);
    struct mptcp_smap_lookup l;
    assert_int_equal(mptcp_smap_lookup(&m, 1 + UINT16_MAX, &l), UMPTCP_OK);
    assert_int_equal(l.map_dll, UINT16_MAX);
    assert_int_equal(mptcp_smap_add(NULL, 1, 5, 5, false, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(mptcp_smap_init(&m, MPTCP_MAP_MAX_LIMIT + 1), UMPTCP_ERR_INVAL);
    mptcp_smap_destroy(&m);
    mptcp_smap_destroy(NULL);
}

/* Thousands of one-segment mappings across the 32-bit wrap: every byte looked up, ACKs in
 * random steps, the bound refusing and recovering. */
static void test_smap_many(void **state)
{
    (void)state;
    enum { N = 5000 };
    struct mptcp_smap m;
    sinit(&m, N);
    uint32_t first = 0xffff0000u, ssn = first;
    uint64_t dsn = DSN0;
    static uint32_t starts[N + 1];
    static uint64_t dsns[N];
    struct rng r = {12345};
    for (int i = 0; i < N; i++) {
        uint16_t len = (uint16_t)(1 + rnd(&r, 1460));
        starts[i] = ssn;
        dsns[i] = dsn;
        assert_int_equal(mptcp_smap_add(&m, ssn, dsn, len, false, 0), UMPTCP_OK);
        ssn += len;
        dsn += len + rnd(&r, 2) * 7777u;
    }
    starts[N] = ssn;
    assert_int_equal(mptcp_smap_add(&m, ssn, dsn, 1, false, 0), UMPTCP_ERR_NOMEM);
    for (int k = 0; k < 20000; k++) {
        int i = (int)rnd(&r, N);
        uint32_t span = starts[i + 1] - starts[i];
        uint32_t into = rnd(&r, span);
        struct mptcp_smap_lookup l;
        assert_int_equal(mptcp_smap_lookup(&m, starts[i] + into, &l), UMPTCP_OK);
        assert_int_equal(l.map_ssn, starts[i]);
        assert_true(l.dsn == dsns[i] + into);
        assert_int_equal(l.left, span - into);
    }
    int acked = 0;
    while (acked < N) {
        int to = acked + 1 + (int)rnd(&r, 50);
        to = to > N ? N : to;
        /* ACK somewhere inside mapping `to - 1`'s successor: frees exactly to - acked. */
        uint32_t ack = starts[to] + (to < N ? rnd(&r, starts[to + 1] - starts[to]) : 0);
        assert_int_equal(mptcp_smap_ack(&m, ack), (size_t)(to - acked));
        acked = to;
        assert_int_equal(mptcp_smap_count(&m), (size_t)(N - acked));
        if (acked < N) {
            assert_int_equal(mptcp_smap_at(&m, 0)->ssn, starts[acked]);
        }
    }
    assert_int_equal(mptcp_smap_add(&m, ssn, dsn, 1, false, 0), UMPTCP_OK);
    mptcp_smap_destroy(&m);
}

static void test_alloc_failure(void **state)
{
    (void)state;
#ifndef HAVE_ALLOC_LIMIT
    skip();
#else
    struct mptcp_smap s;
    sinit(&s, MPTCP_MAP_MAX_LIMIT);
    uint32_t ssn = 1;
    int rc;
    while ((rc = mptcp_smap_add(&s, ssn, ssn, 1, false, 0)) == UMPTCP_OK)
        ssn++;
    assert_int_equal(rc, UMPTCP_ERR_NOMEM);
    size_t n = mptcp_smap_count(&s);
    assert_true(n >= 1024 && n < MPTCP_MAP_MAX_LIMIT && n == s.cap);
    struct mptcp_smap_lookup l;
    assert_int_equal(mptcp_smap_lookup(&s, ssn - 1, &l), UMPTCP_OK);
    assert_int_equal(mptcp_smap_ack(&s, 2), 1);
    assert_int_equal(mptcp_smap_add(&s, ssn, ssn, 1, false, 0), UMPTCP_OK);
    mptcp_smap_destroy(&s);

    struct mptcp_rmap m;
    rinit(&m, 1, MPTCP_MAP_MAX_LIMIT);
    ssn = 1;
    while ((rc = mptcp_rmap_add(&m, &(struct mptcp_map_dss){.ssn = ssn, .dsn = ssn, .dll = 1})) ==
           MPTCP_RMAP_ADDED)
        ssn++;
    assert_int_equal(rc, UMPTCP_ERR_NOMEM);
    n = mptcp_rmap_count(&m);
    assert_true(n >= 1024 && n < MPTCP_MAP_MAX_LIMIT && n == m.cap);
    expect_chunk(&m, 10, 1, 1);
    assert_int_equal(mptcp_rmap_consume(&m, 3), UMPTCP_OK);
    radd(&m, M(ssn, ssn, 1), MPTCP_RMAP_ADDED);
    mptcp_rmap_destroy(&m);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rmap_basic),
        cmocka_unit_test(test_rmap_out_of_order_mappings),
        cmocka_unit_test(test_rmap_gap_between_mappings),
        cmocka_unit_test(test_rmap_duplicates_and_stale),
        cmocka_unit_test(test_rmap_conflicts),
        cmocka_unit_test(test_rmap_straddle_is_conflict),
        cmocka_unit_test(test_rmap_data_fin),
        cmocka_unit_test(test_rmap_infinite),
        cmocka_unit_test(test_rmap_ssn_wrap),
        cmocka_unit_test(test_rmap_bound),
        cmocka_unit_test(test_rmap_csum_pass),
        cmocka_unit_test(test_rmap_csum_fail),
        cmocka_unit_test(test_rmap_csum_independent),
        cmocka_unit_test(test_rmap_csum_mapping_after_data),
        cmocka_unit_test(test_rmap_random),
        cmocka_unit_test(test_covers_segment),
        cmocka_unit_test(test_smap_basic),
        cmocka_unit_test(test_smap_lengths),
        cmocka_unit_test(test_smap_many),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
