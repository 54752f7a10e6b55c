/* Receive buffer and reassembly: in-order and reverse delivery, a random permutation of 10,000
 * overlapping segments checked byte for byte against a model, duplicates and DSACK blocks
 * (RFC 2883), bytes beyond the window, SACK block order (RFC 2018 4), the interval limit, the
 * window, and capacity growth. Sequence numbers start near 2^32 throughout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "tcp/tcp_rcvbuf.h"
#include "umptcp/error.h"

#include <stdlib.h>
#include <string.h>

/* Allocation failures: under ASan, its documented start-up hook makes every malloc above
 * 64 MiB return NULL, so the UMPTCP_ERR_NOMEM paths run for real. Without ASan those
 * tests are skipped. */
#define TU_ALLOC_LIMIT_MB 64
#include "alloc_limit.h"

#define NEAR_WRAP 0xfffff000u

static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static uint8_t *make_stream(size_t n, uint32_t seed)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng_next(&seed);
    return p;
}

static void init_rb(struct tcp_rcvbuf *rb, uint32_t isn, size_t cap, size_t max_cap, size_t max_iv)
{
    struct tcp_rcvbuf_config cfg = {
        .capacity = cap, .max_capacity = max_cap, .max_intervals = max_iv};
    assert_int_equal(tcp_rcvbuf_init(rb, isn, &cfg), UMPTCP_OK);
}

static void insert_ok(struct tcp_rcvbuf *rb, uint32_t seq, const uint8_t *d, size_t len,
                      struct tcp_rcvbuf_insert_result *res)
{
    assert_int_equal(tcp_rcvbuf_insert(rb, seq, d, len, res), UMPTCP_OK);
}

static void test_init_rejects(void **state)
{
    (void)state;
    struct tcp_rcvbuf rb;
    struct tcp_rcvbuf_config cfg = {.capacity = 0};
    assert_int_equal(tcp_rcvbuf_init(&rb, 1, &cfg), UMPTCP_ERR_INVAL);
    cfg = (struct tcp_rcvbuf_config){.capacity = 100, .max_capacity = 50};
    assert_int_equal(tcp_rcvbuf_init(&rb, 1, &cfg), UMPTCP_ERR_INVAL);
    cfg = (struct tcp_rcvbuf_config){.capacity = 100, .max_capacity = (1u << 30) + 1};
    assert_int_equal(tcp_rcvbuf_init(&rb, 1, &cfg), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_rcvbuf_init(&rb, 1, NULL), UMPTCP_ERR_INVAL);
    cfg = (struct tcp_rcvbuf_config){.capacity = 100};
    assert_int_equal(tcp_rcvbuf_init(&rb, 1, &cfg), UMPTCP_OK);
    struct tcp_rcvbuf_insert_result res;
    assert_int_equal(tcp_rcvbuf_insert(&rb, 1, NULL, 5, &res), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_rcvbuf_insert(&rb, 1, "", (size_t)1 << 31, &res), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_rcvbuf_insert(&rb, 1, NULL, 0, &res), UMPTCP_OK);
    assert_int_equal(res.stored + res.in_order + res.dropped, 0);
    /* RCV.NXT can be set while empty (the SYN arrived), not once data is held. */
    assert_int_equal(tcp_rcvbuf_reset_rcv_nxt(&rb, 0xfffffffeu), UMPTCP_OK);
    assert_int_equal(tcp_rcvbuf_rcv_nxt(&rb), 0xfffffffeu);
    assert_int_equal(tcp_rcvbuf_right_edge(&rb), 0xfffffffeu + 100);
    insert_ok(&rb, 0xffffffffu, (const uint8_t *)"x", 1, &res);
    assert_true(res.out_of_order);
    assert_int_equal(tcp_rcvbuf_reset_rcv_nxt(&rb, 5), UMPTCP_ERR_STATE);
    insert_ok(&rb, 0xfffffffeu, (const uint8_t *)"y", 1, &res);
    assert_int_equal(res.in_order, 2);
    assert_int_equal(tcp_rcvbuf_reset_rcv_nxt(&rb, 5), UMPTCP_ERR_STATE);
    assert_int_equal(tcp_rcvbuf_set_capacity(&rb, 101), UMPTCP_ERR_INVAL); /* above max */
    assert_int_equal(tcp_rcvbuf_set_capacity(&rb, 99), UMPTCP_ERR_INVAL);  /* shrink */
    tcp_rcvbuf_destroy(&rb);
}

static void test_in_order_and_window(void **state)
{
    (void)state;
    struct tcp_rcvbuf rb;
    struct tcp_rcvbuf_insert_result res;
    uint8_t *s = make_stream(3000, 1);
    uint8_t out[3000];
    init_rb(&rb, NEAR_WRAP + 0xf00, 1000, 0, 0); /* wraps after 0x100 bytes */
    uint32_t isn = NEAR_WRAP + 0xf00;
    assert_int_equal(tcp_rcvbuf_window(&rb), 1000);
    insert_ok(&rb, isn, s, 400, &res);
    assert_int_equal(res.in_order, 400);
    assert_int_equal(res.stored, 400);
    assert_false(res.out_of_order);
    assert_false(res.has_dsack);
    assert_int_equal(tcp_rcvbuf_rcv_nxt(&rb), isn + 400);
    assert_int_equal(tcp_rcvbuf_window(&rb), 600);
    assert_int_equal(tcp_rcvbuf_right_edge(&rb), isn + 1000);
    insert_ok(&rb, isn + 400, s + 400, 600, &res);
    assert_int_equal(res.in_order, 600);
    assert_int_equal(tcp_rcvbuf_window(&rb), 0);
    /* Zero window: everything beyond is dropped and counted. */
    insert_ok(&rb, isn + 1000, s + 1000, 10, &res);
    assert_int_equal(res.dropped, 10);
    assert_int_equal(rb.dropped_beyond_window, 10);
    /* Reading moves the right edge; the window never shrinks. */
    assert_int_equal(tcp_rcvbuf_read(&rb, out, 300), 300);
    assert_memory_equal(out, s, 300);
    assert_int_equal(tcp_rcvbuf_window(&rb), 300);
    assert_int_equal(tcp_rcvbuf_right_edge(&rb), isn + 1300);
    /* Ring wrap: write 300 more, read all 1000 back. */
    insert_ok(&rb, isn + 1000, s + 1000, 300, &res);
    assert_int_equal(res.in_order, 300);
    assert_int_equal(tcp_rcvbuf_read(&rb, out, sizeof(out)), 1000);
    assert_memory_equal(out, s + 300, 1000);
    assert_int_equal(tcp_rcvbuf_read(&rb, out, sizeof(out)), 0);
    free(s);
    tcp_rcvbuf_destroy(&rb);
}

static void test_reverse_order(void **state)
{
    (void)state;
    struct tcp_rcvbuf rb;
    struct tcp_rcvbuf_insert_result res;
    const size_t seg = 100, n = 100;
    uint8_t *s = make_stream(seg * n, 2);
    uint8_t *out = malloc(seg * n);
    assert_non_null(out);
    uint32_t isn = NEAR_WRAP + 0xfd0;
    init_rb(&rb, isn, seg * n, 0, 4);
    for (size_t i = n; i-- > 1;) {
        insert_ok(&rb, isn + (uint32_t)(i * seg), s + i * seg, seg, &res);
        assert_true(res.out_of_order);
        assert_int_equal(res.in_order, 0);
        assert_int_equal(res.stored, seg);
        assert_int_equal(tcp_rcvbuf_ooo_count(&rb), 1); /* adjacent runs merge */
        assert_int_equal(tcp_rcvbuf_ooo_bytes(&rb), (n - i) * seg);
        /* Out-of-order data sits inside the window already offered. */
        assert_int_equal(tcp_rcvbuf_window(&rb), seg * n);
    }
    insert_ok(&rb, isn, s, seg, &res);
    assert_false(res.out_of_order);
    assert_true(res.filled_gap);
    assert_int_equal(res.in_order, seg * n);
    assert_int_equal(tcp_rcvbuf_ooo_count(&rb), 0);
    assert_int_equal(tcp_rcvbuf_ooo_bytes(&rb), 0);
    assert_int_equal(tcp_rcvbuf_read(&rb, out, seg * n), seg * n);
    assert_memory_equal(out, s, seg * n);
    free(s);
    free(out);
    tcp_rcvbuf_destroy(&rb);
}

/* 10,000 segments of random size, each stretched by random overlaps on both sides, inserted
 * in a random order (plus random duplicates), checked after every insert against a bitmap
 * model; the result must equal the original bytes exactly. */
static void run_permutation(size_t max_iv, uint32_t seed)
{
    const size_t nseg = 10000;
    uint32_t r = seed;
    size_t *starts = malloc((nseg + 1) * sizeof(size_t));
    assert_non_null(starts);
    starts[0] = 0;
    for (size_t i = 0; i < nseg; i++)
        starts[i + 1] = starts[i] + 1 + rng_next(&r) % 1400;
    const size_t total = starts[nseg];
    uint8_t *s = make_stream(total, seed + 1);
    uint8_t *have = calloc(total, 1);
    size_t *order = malloc(2 * nseg * sizeof(size_t));
    assert_true(have != NULL && order != NULL);
    size_t norder = 0;
    for (size_t i = 0; i < nseg; i++) {
        order[norder++] = i;
        if (rng_next(&r) % 8 == 0)
            order[norder++] = i; /* duplicate delivery */
    }
    for (size_t i = norder; i > 1; i--) {
        size_t j = rng_next(&r) % i, t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    const uint32_t isn = 0xffff0000u;
    struct tcp_rcvbuf rb;
    init_rb(&rb, isn, total, 0, max_iv);
    size_t model_nxt = 0, model_have = 0, in_order_sum = 0, stored_sum = 0, max_count = 0;
    for (size_t k = 0; k < norder; k++) {
        size_t i = order[k];
        size_t a = starts[i], b = starts[i + 1];
        size_t back = rng_next(&r) % 200, fwd = rng_next(&r) % 200;
        a = a > back ? a - back : 0;
        b = b + fwd < total ? b + fwd : total;
        struct tcp_rcvbuf_insert_result res;
        insert_ok(&rb, isn + (uint32_t)a, s + a, b - a, &res);
        in_order_sum += res.in_order;
        stored_sum += res.stored;
        assert_int_equal(res.stored + res.duplicate + res.dropped, b - a);
        size_t fresh = 0;
        if (res.dropped == 0) {
            for (size_t x = a; x < b; x++) {
                fresh += !have[x];
                have[x] = 1;
            }
            assert_int_equal(res.stored, fresh);
            assert_int_equal(res.duplicate, (b - a) - fresh);
            assert_int_equal(res.has_dsack, fresh < b - a);
        } else {
            assert_true(rb.dropped_interval_limit > 0);
            assert_int_equal(res.stored, 0);
        }
        model_have += fresh;
        size_t before = model_nxt;
        while (model_nxt < total && have[model_nxt])
            model_nxt++;
        assert_int_equal(res.in_order, model_nxt - before);
        assert_int_equal(tcp_rcvbuf_rcv_nxt(&rb), isn + (uint32_t)model_nxt);
        assert_int_equal(tcp_rcvbuf_ooo_bytes(&rb), model_have - model_nxt);
        assert_true(tcp_rcvbuf_ooo_count(&rb) <= max_iv);
        if (tcp_rcvbuf_ooo_count(&rb) > max_count)
            max_count = tcp_rcvbuf_ooo_count(&rb);
    }
    if (max_iv < 100) {
        assert_true(rb.dropped_interval_limit > 0);
        assert_int_equal(max_count, max_iv);
    } else {
        assert_int_equal(rb.dropped_interval_limit, 0);
        assert_true(max_count > 500); /* the permutation really was out of order */
    }
    /* With a small interval limit some segments were dropped: deliver everything again in
     * order (a retransmission), which always fits. */
    for (size_t i = 0; i < nseg && model_nxt < total; i++) {
        struct tcp_rcvbuf_insert_result res;
        size_t a = starts[i], b = starts[i + 1];
        insert_ok(&rb, isn + (uint32_t)a, s + a, b - a, &res);
        in_order_sum += res.in_order;
        stored_sum += res.stored;
    }
    assert_int_equal(in_order_sum, total);
    assert_int_equal(stored_sum, total);
    assert_int_equal(tcp_rcvbuf_readable(&rb), total);
    assert_int_equal(tcp_rcvbuf_ooo_count(&rb), 0);
    uint8_t *out = malloc(total);
    assert_non_null(out);
    assert_int_equal(tcp_rcvbuf_read(&rb, out, total), total);
    assert_memory_equal(out, s, total);
    char h1[65], h2[65];
    tu_sha256_hex(out, total, h1);
    tu_sha256_hex(s, total, h2);
    assert_string_equal(h1, h2);
    free(out);
    free(s);
    free(have);
    free(order);
    free(starts);
    tcp_rcvbuf_destroy(&rb);
}

static void test_random_permutation(void **state)
{
    (void)state;
    run_permutation(20000, 7);
}

static void test_random_permutation_interval_limit(void **state)
{
    (void)state;
    run_permutation(8, 99);
}

/* A stream through a small buffer: random segments around the window (old, in window, beyond
 * it), random reads in between; the ring wraps and grows; what is read is the stream. */
static void test_stream_with_reads(void **state)
{
    (void)state;
    const size_t total = 2u << 20;
    uint8_t *s = make_stream(total, 11);
    uint8_t *out = malloc(total);
    assert_non_null(out);
    const uint32_t isn = 0xfffe0000u;
    struct tcp_rcvbuf rb;
    init_rb(&rb, isn, 20000, 65536, 16);
    uint32_t r = 77;
    size_t nread = 0;
    for (int iter = 0; iter < 400000 && nread < total; iter++) {
        size_t nxt = (size_t)(tcp_rcvbuf_rcv_nxt(&rb) - isn);
        size_t lo = nxt > 3000 ? nxt - 3000 : 0;
        size_t a = lo + rng_next(&r) % (tcp_rcvbuf_window(&rb) + 6000);
        size_t len = 1 + rng_next(&r) % 1500;
        if (rng_next(&r) % 4 == 0)
            a = nxt; /* keep the stream moving */
        if (a >= total)
            continue;
        if (a + len > total)
            len = total - a;
        struct tcp_rcvbuf_insert_result res;
        insert_ok(&rb, isn + (uint32_t)a, s + a, len, &res);
        assert_int_equal(res.stored + res.duplicate + res.dropped, len);
        if (rng_next(&r) % 3 == 0)
            nread += tcp_rcvbuf_read(&rb, out + nread, rng_next(&r) % 30000);
        if (iter == 1000)
            assert_int_equal(tcp_rcvbuf_set_capacity(&rb, 65536), UMPTCP_OK);
    }
    assert_int_equal(nread, total);
    assert_memory_equal(out, s, total);
    assert_true(rb.dropped_beyond_window > 0);
    assert_true(rb.duplicate_bytes > 0);
    free(out);
    free(s);
    tcp_rcvbuf_destroy(&rb);
}

static void test_duplicates_and_dsack(void **state)
{
    (void)state;
    struct tcp_rcvbuf rb;
    struct tcp_rcvbuf_insert_result res;
    uint8_t *s = make_stream(1000, 3);
    uint32_t isn = 0xffffff80u;
    init_rb(&rb, isn, 1000, 0, 0);
    insert_ok(&rb, isn, s, 100, &res);
    /* Fully old data: all duplicate, DSACK = the segment. */
    insert_ok(&rb, isn + 10, s + 10, 50, &res);
    assert_int_equal(res.duplicate, 50);
    assert_int_equal(res.stored, 0);
    assert_true(res.has_dsack);
    assert_int_equal(res.dsack.left, isn + 10);
    assert_int_equal(res.dsack.right, isn + 60);
    /* Partly old: the old part is the DSACK block, the rest is stored. */
    insert_ok(&rb, isn + 80, s + 80, 40, &res);
    assert_true(res.has_dsack);
    assert_int_equal(res.dsack.left, isn + 80);
    assert_int_equal(res.dsack.right, isn + 100);
    assert_int_equal(res.duplicate, 20);
    assert_int_equal(res.stored, 20);
    assert_int_equal(res.in_order, 20);
    /* Out-of-order block [300,400), then a duplicate inside it: DSACK = the duplicate, and
     * the SACK option is DSACK, then the block containing it (RFC 2883 4). */
    insert_ok(&rb, isn + 500, s + 500, 50, &res); /* another block, received first */
    insert_ok(&rb, isn + 300, s + 300, 100, &res);
    assert_false(res.has_dsack);
    insert_ok(&rb, isn + 500, s + 500, 10, &res); /* block 500 becomes the latest */
    insert_ok(&rb, isn + 320, s + 320, 30, &res);
    assert_true(res.has_dsack);
    assert_int_equal(res.dsack.left, isn + 320);
    assert_int_equal(res.dsack.right, isn + 350);
    assert_true(res.out_of_order);
    struct wire_sack_block blk[4];
    size_t n = tcp_rcvbuf_sack_blocks(&rb, &res.dsack, blk, 4);
    assert_int_equal(n, 3);
    assert_int_equal(blk[0].left, isn + 320);
    assert_int_equal(blk[0].right, isn + 350);
    assert_int_equal(blk[1].left, isn + 300);
    assert_int_equal(blk[1].right, isn + 400);
    assert_int_equal(blk[2].left, isn + 500);
    assert_int_equal(blk[2].right, isn + 550);
    /* A segment spanning a hole and part of a block: stores the hole, DSACK = overlap. */
    insert_ok(&rb, isn + 250, s + 250, 100, &res);
    assert_int_equal(res.stored, 50);
    assert_int_equal(res.duplicate, 50);
    assert_true(res.has_dsack);
    assert_int_equal(res.dsack.left, isn + 300);
    assert_int_equal(res.dsack.right, isn + 350);
    assert_int_equal(tcp_rcvbuf_ooo_count(&rb), 2);
    assert_int_equal(rb.duplicate_bytes, 50 + 20 + 10 + 30 + 50);
    free(s);
    tcp_rcvbuf_destroy(&rb);
}

/* A retransmission with different bytes for data already held does not overwrite it. */
static void test_first_copy_wins(void **state)
{
    (void)state;
    struct tcp_rcvbuf rb;
    struct tcp_rcvbuf_insert_result res;
    uint8_t a[20], b[20], out[20];
    memset(a, 'a', sizeof(a));
    memset(b, 'b', sizeof(b));
    init_rb(&rb, 0, 100, 0, 0);
    insert_ok(&rb, 5, a, 10, &res); /* [5,15) out of order */
    insert_ok(&rb, 0, b, 20, &res); /* covers it */
    assert_int_equal(res.in_order, 20);
    assert_int_equal(tcp_rcvbuf_read(&rb, out, 20), 20);
    assert_memory_equal(out, "bbbbbaaaaaaaaaabbbbb", 20);
    tcp_rcvbuf_destroy(&rb);
}

static void test_beyond_window(void **state)
{
    (void)state;
    struct tcp_rcvbuf rb;
    struct tcp_rcvbuf_insert_result res;
    uint8_t *s = make_stream(1000, 4);
    uint32_t isn = 0xfffffff0u;
    init_rb(&rb, isn, 100, 0, 0);
    insert_ok(&rb, isn + 90, s + 90, 30, &res); /* straddles the right edge (wrapped) */
    assert_int_equal(res.stored, 10);
    assert_int_equal(res.dropped, 20);
    insert_ok(&rb, isn + 200, s + 200, 30, &res); /* entirely beyond */
    assert_int_equal(res.stored, 0);
    assert_int_equal(res.dropped, 30);
    assert_int_equal(rb.dropped_beyond_window, 50);
    insert_ok(&rb, isn + 50, s + 50, 60, &res); /* touches [90,100), trimmed at 100 */
    assert_int_equal(res.dropped, 10);
    assert_int_equal(res.stored, 40);
    assert_int_equal(res.duplicate, 10);
    assert_int_equal(tcp_rcvbuf_ooo_count(&rb), 1);
    assert_int_equal(rb.ivs[0].start, isn + 50);
    assert_int_equal(rb.ivs[0].end, isn + 100);
    free(s);
    tcp_rcvbuf_destroy(&rb);
}

/* RFC 2018 4: block 1 = the block with the latest segment; then the most recently updated. */
static void test_sack_order(void **state)
{
    (void)state;
    struct tcp_rcvbuf rb;
    struct tcp_rcvbuf_insert_result res;
    uint8_t *s = make_stream(10000, 5);
    uint32_t isn = 0xfffffc00u;
    init_rb(&rb, isn, 10000, 0, 0);
    struct wire_sack_block blk[4];
    assert_int_equal(tcp_rcvbuf_sack_blocks(&rb, NULL, blk, 4), 0);
    const uint32_t at[] = {1000, 3000, 5000, 7000, 9000};
    for (size_t i = 0; i < 5; i++)
        insert_ok(&rb, isn + at[i], s + at[i], 100, &res);
    size_t n = tcp_rcvbuf_sack_blocks(&rb, NULL, blk, 4);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < 4; i++) { /* 9000, 7000, 5000, 3000 */
        assert_int_equal(blk[i].left, isn + at[4 - i]);
        assert_int_equal(blk[i].right, isn + at[4 - i] + 100);
    }
    /* Extend the 3000 block: it moves to the front, the rest keep their order. */
    insert_ok(&rb, isn + 3100, s + 3100, 50, &res);
    n = tcp_rcvbuf_sack_blocks(&rb, NULL, blk, 3);
    assert_int_equal(n, 3);
    assert_int_equal(blk[0].left, isn + 3000);
    assert_int_equal(blk[0].right, isn + 3150);
    assert_int_equal(blk[1].left, isn + 9000);
    assert_int_equal(blk[2].left, isn + 7000);
    /* Join 5000 and 7000 with a segment: the merged block is first. */
    insert_ok(&rb, isn + 5100, s + 5100, 1900, &res);
    n = tcp_rcvbuf_sack_blocks(&rb, NULL, blk, 4);
    assert_int_equal(n, 4);
    assert_int_equal(blk[0].left, isn + 5000);
    assert_int_equal(blk[0].right, isn + 7100);
    assert_int_equal(blk[1].left, isn + 3000);
    assert_int_equal(blk[2].left, isn + 9000);
    assert_int_equal(blk[3].left, isn + 1000);
    /* In-order data swallowing the 1000 block removes it from the list. */
    insert_ok(&rb, isn, s, 1000, &res);
    assert_int_equal(res.in_order, 1100);
    assert_true(res.filled_gap);
    n = tcp_rcvbuf_sack_blocks(&rb, NULL, blk, 4);
    assert_int_equal(n, 3);
    assert_int_equal(blk[2].left, isn + 9000);
    /* max 0 writes nothing; with a DSACK and max 1 only the DSACK. */
    assert_int_equal(tcp_rcvbuf_sack_blocks(&rb, NULL, blk, 0), 0);
    struct wire_sack_block d = {isn + 5, isn + 10};
    assert_int_equal(tcp_rcvbuf_sack_blocks(&rb, &d, blk, 1), 1);
    assert_int_equal(blk[0].left, isn + 5);
    free(s);
    tcp_rcvbuf_destroy(&rb);
}

static void test_interval_limit(void **state)
{
    (void)state;
    struct tcp_rcvbuf rb;
    struct tcp_rcvbuf_insert_result res;
    uint8_t *s = make_stream(2000, 6);
    uint32_t isn = 0xffffffffu;
    init_rb(&rb, isn, 2000, 0, 3);
    for (uint32_t i = 1; i <= 3; i++) {
        insert_ok(&rb, isn + i * 100, s + i * 100, 10, &res);
        assert_int_equal(res.stored, 10);
    }
    /* A fourth separate interval is the newest: dropped and counted. */
    insert_ok(&rb, isn + 1000, s + 1000, 10, &res);
    assert_int_equal(res.stored, 0);
    assert_int_equal(res.dropped, 10);
    assert_int_equal(rb.dropped_interval_limit, 10);
    assert_int_equal(tcp_rcvbuf_ooo_count(&rb), 3);
    /* Extending or joining existing intervals is still accepted. */
    insert_ok(&rb, isn + 110, s + 110, 90, &res); /* joins 100 and 200 */
    assert_int_equal(res.stored, 90);
    assert_int_equal(tcp_rcvbuf_ooo_count(&rb), 2);
    insert_ok(&rb, isn + 1000, s + 1000, 10, &res); /* room again */
    assert_int_equal(res.stored, 10);
    /* In-order data never needs an interval. */
    insert_ok(&rb, isn, s, 50, &res);
    assert_int_equal(res.in_order, 50);
    free(s);
    tcp_rcvbuf_destroy(&rb);
}

static void test_capacity_growth_and_peek(void **state)
{
    (void)state;
    struct tcp_rcvbuf rb;
    struct tcp_rcvbuf_insert_result res;
    uint8_t *s = make_stream(100000, 8);
    uint32_t isn = 0xfffffff8u;
    init_rb(&rb, isn, 5000, 100000, 0);
    insert_ok(&rb, isn, s, 4000, &res);
    insert_ok(&rb, isn + 4500, s + 4500, 1000, &res);
    assert_int_equal(res.stored, 500); /* edge at 5000 */
    assert_int_equal(tcp_rcvbuf_set_capacity(&rb, 60000), UMPTCP_OK);
    assert_int_equal(tcp_rcvbuf_window(&rb), 56000);
    insert_ok(&rb, isn + 5000, s + 5000, 50000, &res); /* grows the ring, keeps the bytes */
    assert_int_equal(res.stored, 50000);
    insert_ok(&rb, isn + 4000, s + 4000, 500, &res);
    assert_int_equal(res.in_order, 51000);
    /* Zero-copy read through peek/consume. */
    struct tcp_rcvbuf_span sp[2];
    int n = tcp_rcvbuf_peek(&rb, sp);
    assert_true(n >= 1);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        assert_memory_equal(sp[i].data, s + total, sp[i].len);
        total += sp[i].len;
    }
    assert_int_equal(total, 55000);
    assert_int_equal(tcp_rcvbuf_consume(&rb, 55001), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_rcvbuf_consume(&rb, 54990), UMPTCP_OK);
    assert_int_equal(tcp_rcvbuf_readable(&rb), 10);
    /* The ring now wraps: insert more, read back. */
    insert_ok(&rb, isn + 55000, s + 55000, 40000, &res);
    assert_int_equal(res.in_order, 40000);
    uint8_t *out = malloc(40010);
    assert_non_null(out);
    assert_int_equal(tcp_rcvbuf_read(&rb, out, 40010), 40010);
    assert_memory_equal(out, s + 54990, 40010);
    free(out);
    free(s);
    tcp_rcvbuf_destroy(&rb);
}

/* The ring cannot grow past 64 MiB here: bytes that would need more are dropped and counted,
 * everything else keeps working. */
static void test_growth_failure(void **state)
{
    (void)state;
#ifndef HAVE_ALLOC_LIMIT
    skip();
#else
    struct tcp_rcvbuf rb;
    struct tcp_rcvbuf_insert_result res;
    uint8_t d[100];
    memset(d, 7, sizeof(d));
    const uint32_t isn = 0xfffffff0u;
    init_rb(&rb, isn, (size_t)1 << 30, 0, 0);
    insert_ok(&rb, isn + (100u << 20), d, 100, &res); /* needs a 128 MiB ring */
    assert_int_equal(res.stored, 0);
    assert_int_equal(res.dropped, 100);
    assert_int_equal(rb.dropped_nomem, 100);
    assert_int_equal(tcp_rcvbuf_ooo_count(&rb), 0);
    insert_ok(&rb, isn + (10u << 20), d, 100, &res); /* 16 MiB is fine */
    assert_int_equal(res.stored, 100);
    insert_ok(&rb, isn, d, 100, &res);
    assert_int_equal(res.in_order, 100);
    assert_int_equal(tcp_rcvbuf_ooo_count(&rb), 1);
    tcp_rcvbuf_destroy(&rb);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects),
        cmocka_unit_test(test_in_order_and_window),
        cmocka_unit_test(test_reverse_order),
        cmocka_unit_test(test_random_permutation),
        cmocka_unit_test(test_random_permutation_interval_limit),
        cmocka_unit_test(test_stream_with_reads),
        cmocka_unit_test(test_duplicates_and_dsack),
        cmocka_unit_test(test_first_copy_wins),
        cmocka_unit_test(test_beyond_window),
        cmocka_unit_test(test_sack_order),
        cmocka_unit_test(test_interval_limit),
        cmocka_unit_test(test_capacity_growth_and_peek),
        cmocka_unit_test(test_growth_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
