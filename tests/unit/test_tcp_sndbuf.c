/* Send buffer: writes up to the capacity, peeks by sequence number across the ring wrap and
 * the 2^32 sequence wrap, acks, offsets, and large buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "tcp/tcp_sndbuf.h"
#include "umptcp/error.h"

#include <stdlib.h>
#include <string.h>

/* Allocation failures: under ASan, its documented start-up hook makes every malloc above
 * 64 MiB return NULL, so the UMPTCP_ERR_NOMEM paths run for real. Without ASan those
 * tests are skipped. */
#define TU_ALLOC_LIMIT_MB 64
#include "alloc_limit.h"

/* Deterministic byte pattern: byte at offset i. */
static uint8_t pattern(uint64_t i)
{
    return (uint8_t)((i * 2654435761u) >> 13);
}

static void fill(uint8_t *buf, uint64_t off, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = pattern(off + i);
}

/* Reads [seq, seq+len) through peek and checks it matches the pattern from offset off. */
static void check_peek(const struct tcp_sndbuf *sb, uint32_t seq, size_t len, uint64_t off)
{
    struct tcp_sndbuf_span sp[2];
    int n = tcp_sndbuf_peek(sb, seq, len, sp);
    assert_true(n >= 0);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        for (size_t j = 0; j < sp[i].len; j++)
            assert_int_equal(sp[i].data[j], pattern(off + total + j));
        total += sp[i].len;
    }
    assert_int_equal(total, len);
}

static void test_init_rejects(void **state)
{
    (void)state;
    struct tcp_sndbuf sb;
    assert_int_equal(tcp_sndbuf_init(&sb, 1, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_sndbuf_init(&sb, 1, ((size_t)1 << 30) + 1), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_sndbuf_init(&sb, 1, (size_t)1 << 30), UMPTCP_OK);
    assert_null(sb.ring); /* nothing allocated before the first write */
    tcp_sndbuf_destroy(&sb);
}

static void test_full_and_short_writes(void **state)
{
    (void)state;
    struct tcp_sndbuf sb;
    uint8_t buf[1000];
    fill(buf, 0, sizeof(buf));
    assert_int_equal(tcp_sndbuf_init(&sb, 0xfffffff0u, 100), UMPTCP_OK);
    assert_int_equal(tcp_sndbuf_write(&sb, buf, 60), 60);
    assert_int_equal(tcp_sndbuf_free_space(&sb), 40);
    /* Short write: only the free space is accepted. */
    assert_int_equal(tcp_sndbuf_write(&sb, buf + 60, 100), 40);
    assert_int_equal(tcp_sndbuf_used(&sb), 100);
    /* Full: 0, not an error. */
    assert_int_equal(tcp_sndbuf_write(&sb, buf, 1), 0);
    assert_int_equal(tcp_sndbuf_end_seq(&sb), 0xfffffff0u + 100); /* wrapped past 2^32 */
    check_peek(&sb, 0xfffffff0u, 100, 0);
    /* Ack 30 bytes (crossing nothing), then write again: ring wraps. */
    assert_int_equal(tcp_sndbuf_ack(&sb, 0xfffffff0u + 30), 30);
    assert_int_equal(tcp_sndbuf_write(&sb, buf + 100, 30), 30);
    check_peek(&sb, 0xfffffff0u + 30, 100, 30);
    tcp_sndbuf_destroy(&sb);
}

static void test_ack_bounds(void **state)
{
    (void)state;
    struct tcp_sndbuf sb;
    uint8_t buf[50];
    fill(buf, 0, sizeof(buf));
    uint32_t iss1 = 0xffffffd0u;
    assert_int_equal(tcp_sndbuf_init(&sb, iss1, 1000), UMPTCP_OK);
    assert_int_equal(tcp_sndbuf_write(&sb, buf, 50), 50);
    /* Past the end (bytes never written): refused, nothing changes. */
    assert_int_equal(tcp_sndbuf_ack(&sb, iss1 + 51), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_sndbuf_ack(&sb, iss1 - 1), UMPTCP_ERR_INVAL); /* old */
    assert_int_equal(tcp_sndbuf_used(&sb), 50);
    assert_int_equal(tcp_sndbuf_ack(&sb, iss1), 0); /* duplicate */
    assert_int_equal(tcp_sndbuf_ack(&sb, iss1 + 48), 48);
    assert_int_equal(tcp_sndbuf_una(&sb), iss1 + 48);
    assert_int_equal(tcp_sndbuf_una_offset(&sb), 48);
    assert_int_equal(tcp_sndbuf_ack(&sb, iss1 + 47), UMPTCP_ERR_INVAL); /* now old */
    assert_int_equal(tcp_sndbuf_ack(&sb, iss1 + 50), 2);
    assert_int_equal(tcp_sndbuf_used(&sb), 0);
    assert_int_equal(tcp_sndbuf_ack(&sb, iss1 + 50), 0);
    tcp_sndbuf_destroy(&sb);
}

static void test_peek_and_copy_ranges(void **state)
{
    (void)state;
    struct tcp_sndbuf sb;
    uint8_t buf[300], out[300];
    fill(buf, 0, sizeof(buf));
    uint32_t s = 0xffffff00u;
    assert_int_equal(tcp_sndbuf_init(&sb, s, 300), UMPTCP_OK);
    assert_int_equal(tcp_sndbuf_write(&sb, buf, 300), 300);
    struct tcp_sndbuf_span sp[2];
    /* seq before SND.UNA or past the end is invalid; at the end gives nothing. */
    assert_int_equal(tcp_sndbuf_peek(&sb, s - 1, 10, sp), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_sndbuf_peek(&sb, s + 301, 10, sp), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_sndbuf_peek(&sb, s + 300, 10, sp), 0);
    /* Clamped at the end. */
    assert_int_equal(tcp_sndbuf_copy(&sb, s + 290, 100, out), 10);
    assert_memory_equal(out, buf + 290, 10);
    check_peek(&sb, s + 255, 45, 255); /* across the 2^32 sequence wrap */
    assert_int_equal(tcp_sndbuf_copy(&sb, s + 250, 10, out), 10);
    assert_memory_equal(out, buf + 250, 10);
    assert_int_equal(tcp_sndbuf_copy(&sb, s - 5, 10, out), UMPTCP_ERR_INVAL);
    tcp_sndbuf_destroy(&sb);
}

static void test_offsets(void **state)
{
    (void)state;
    struct tcp_sndbuf sb;
    uint8_t buf[100];
    fill(buf, 0, sizeof(buf));
    uint32_t s = 0xfffffffeu;
    assert_int_equal(tcp_sndbuf_init(&sb, s, 100), UMPTCP_OK);
    assert_int_equal(tcp_sndbuf_write(&sb, buf, 100), 100);
    assert_int_equal(tcp_sndbuf_ack(&sb, s + 10), 10);
    uint64_t off;
    uint32_t seq;
    assert_int_equal(tcp_sndbuf_seq_to_offset(&sb, s + 10, &off), UMPTCP_OK);
    assert_int_equal(off, 10);
    assert_int_equal(tcp_sndbuf_seq_to_offset(&sb, s + 100, &off), UMPTCP_OK);
    assert_int_equal(off, 100);
    assert_int_equal(tcp_sndbuf_seq_to_offset(&sb, s + 9, &off), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_sndbuf_offset_to_seq(&sb, 57, &seq), UMPTCP_OK);
    assert_int_equal(seq, s + 57);
    assert_int_equal(seq, 55u); /* wrapped */
    assert_int_equal(tcp_sndbuf_offset_to_seq(&sb, 9, &seq), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_sndbuf_offset_to_seq(&sb, 101, &seq), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_sndbuf_end_offset(&sb), 100);
    tcp_sndbuf_destroy(&sb);
}

static void test_capacity_change(void **state)
{
    (void)state;
    struct tcp_sndbuf sb;
    uint8_t buf[200];
    fill(buf, 0, sizeof(buf));
    assert_int_equal(tcp_sndbuf_init(&sb, 7, 100), UMPTCP_OK);
    assert_int_equal(tcp_sndbuf_write(&sb, buf, 80), 80);
    assert_int_equal(tcp_sndbuf_set_capacity(&sb, 79), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_sndbuf_set_capacity(&sb, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_sndbuf_set_capacity(&sb, 80), UMPTCP_OK);
    assert_int_equal(tcp_sndbuf_write(&sb, buf + 80, 10), 0);
    assert_int_equal(tcp_sndbuf_set_capacity(&sb, 200), UMPTCP_OK);
    assert_int_equal(tcp_sndbuf_ack(&sb, 7 + 50), 50);
    assert_int_equal(tcp_sndbuf_write(&sb, buf + 80, 120), 120); /* grows the ring */
    check_peek(&sb, 57, 150, 50);
    tcp_sndbuf_destroy(&sb);
}

/* A 4 MiB buffer used as a stream: write in odd-sized chunks, ack in other chunks, every peek
 * matches, the ring wraps many times, and growth happened only a few times. */
static void test_large_stream(void **state)
{
    (void)state;
    const size_t cap = 4u << 20;
    struct tcp_sndbuf sb;
    uint32_t s = 0xfff00000u;
    assert_int_equal(tcp_sndbuf_init(&sb, s, cap), UMPTCP_OK);
    uint8_t *chunk = malloc(300000);
    assert_non_null(chunk);
    uint64_t written = 0, acked = 0;
    uint32_t rng = 12345;
    for (int round = 0; round < 400; round++) {
        rng = rng * 1103515245u + 12345u;
        size_t want = (rng >> 8) % 300000;
        fill(chunk, written, want);
        ssize_t n = tcp_sndbuf_write(&sb, chunk, want);
        assert_true(n >= 0);
        size_t expect = want < cap - (size_t)(written - acked) ? want : cap - (written - acked);
        assert_int_equal((size_t)n, expect);
        written += (uint64_t)n;
        /* Peek a random range of the buffered bytes. */
        size_t used = (size_t)(written - acked);
        size_t off = used ? (rng >> 4) % used : 0;
        check_peek(&sb, s + (uint32_t)acked + (uint32_t)off, used - off < 5000 ? used - off : 5000,
                   acked + off);
        /* Ack a random part. */
        rng = rng * 1103515245u + 12345u;
        size_t a = used ? (rng >> 8) % (used + 1) : 0;
        assert_int_equal(tcp_sndbuf_ack(&sb, s + (uint32_t)(acked + a)), (ssize_t)a);
        acked += a;
        assert_int_equal(tcp_sndbuf_una_offset(&sb), acked);
    }
    assert_true(written > 3 * cap); /* wrapped around many times */
    assert_true(sb.ring_size <= cap);
    free(chunk);
    tcp_sndbuf_destroy(&sb);
}

/* The ring cannot grow past 64 MiB here: a write that needs more is refused (nothing
 * changes) or accepts what still fits. */
static void test_growth_failure(void **state)
{
    (void)state;
#ifndef HAVE_ALLOC_LIMIT
    skip();
#else
    const size_t chunk = 16u << 20;
    uint8_t *buf = malloc(chunk);
    assert_non_null(buf);
    fill(buf, 0, chunk);
    struct tcp_sndbuf sb;
    uint32_t s = 0xfff00000u;
    assert_int_equal(tcp_sndbuf_init(&sb, s, (size_t)1 << 30), UMPTCP_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(tcp_sndbuf_write(&sb, buf, chunk), (ssize_t)chunk);
    assert_int_equal(sb.ring_size, 4 * chunk); /* 64 MiB: the largest allowed */
    assert_int_equal(tcp_sndbuf_write(&sb, buf, chunk), UMPTCP_ERR_NOMEM);
    assert_int_equal(tcp_sndbuf_used(&sb), 4 * chunk);
    assert_int_equal(sb.ring_size, 4 * chunk);
    /* After an ACK of 1 MiB, 1 MiB fits in the storage held: a short write. */
    assert_int_equal(tcp_sndbuf_ack(&sb, s + (1u << 20)), 1 << 20);
    assert_int_equal(tcp_sndbuf_write(&sb, buf, chunk), 1 << 20);
    assert_int_equal(tcp_sndbuf_write(&sb, buf, chunk), UMPTCP_ERR_NOMEM);
    check_peek(&sb, s + (4 * (uint32_t)chunk) - 10, 10, chunk - 10);
    check_peek(&sb, s + (4 * (uint32_t)chunk), 1000, 0);
    free(buf);
    tcp_sndbuf_destroy(&sb);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects), cmocka_unit_test(test_full_and_short_writes),
        cmocka_unit_test(test_ack_bounds),   cmocka_unit_test(test_peek_and_copy_ranges),
        cmocka_unit_test(test_offsets),      cmocka_unit_test(test_capacity_change),
        cmocka_unit_test(test_large_stream), cmocka_unit_test(test_growth_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
