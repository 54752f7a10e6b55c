/* Scoreboard / retransmission queue: cumulative and selective ACKs, Karn samples, DSACK
 * detection (RFC 2883), RFC 6675 IsLost / pipe / NextSeg / rescue, RACK time-based loss with
 * the reordering window and its DSACK adaptation (RFC 8985 6), RTO marking, TLP (RFC 8985 7),
 * memory bounds, and a randomized run checking every counter against a brute-force recount.
 * Sequence numbers start just below 2^32 so every test crosses the wrap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "tcp/tcp_rtx.h"
#include "tcp/tcp_seq.h"
#include "umptcp/error.h"

#include <string.h>

/* Allocation failures: under ASan, its documented start-up hook makes every malloc above
 * 8 MiB return NULL, so the UMPTCP_ERR_NOMEM paths run for real. Without ASan those
 * tests are skipped. */
#define TU_ALLOC_LIMIT_MB 8
#include "alloc_limit.h"

#define MS 1000000ull
#define SMSS 1000u
#define ISS 0xffffe000u /* the wrap comes after 8 segments */

static uint32_t S(unsigned i) /* start of segment i */
{
    return ISS + i * SMSS;
}

static void setup(struct tcp_rtx *rtx, bool islost, size_t max_segs)
{
    struct tcp_rtx_config cfg = {.smss = SMSS, .rfc6675_islost = islost, .max_segs = max_segs};
    assert_int_equal(tcp_rtx_init(rtx, ISS, &cfg), UMPTCP_OK);
}

/* Sends n new segments of SMSS, segment i at time t0 + i*step. */
static void send_n(struct tcp_rtx *rtx, unsigned n, uint64_t t0, uint64_t step)
{
    for (unsigned i = 0; i < n; i++) {
        uint32_t seq = tcp_rtx_snd_nxt(rtx);
        assert_int_equal(tcp_rtx_on_send(rtx, seq, SMSS, t0 + i * step, TCP_RTX_SEND_NEW),
                         UMPTCP_OK);
    }
}

/* Recounts everything from the entries and compares with the incremental counters. */
static void check_invariants(const struct tcp_rtx *rtx)
{
    uint32_t expect_seq = tcp_rtx_snd_una(rtx);
    uint32_t sacked = 0, lost = 0, retrans = 0, need = 0, ssegs = 0, pipe = 0;
    for (size_t i = 0; i < tcp_rtx_seg_count(rtx); i++) {
        const struct tcp_rtx_seg *s = tcp_rtx_seg_at(rtx, i);
        assert_int_equal(s->seq, expect_seq); /* contiguous, sorted */
        assert_true(tcp_seq_lt(s->seq, s->end));
        uint32_t len = s->end - s->seq;
        expect_seq = s->end;
        if (s->flags & TCP_RTX_SACKED) {
            sacked += len;
            ssegs++;
            continue;
        }
        lost += (s->flags & TCP_RTX_LOST) ? len : 0;
        retrans += (s->flags & TCP_RTX_RETRANS) ? len : 0;
        if ((s->flags & (TCP_RTX_LOST | TCP_RTX_RETRANS)) == TCP_RTX_LOST)
            need += len;
        /* RFC 6675 SetPipe per octet: (a) not lost -> 1, (b) retransmitted -> 1 more. */
        pipe += (s->flags & TCP_RTX_LOST) ? 0 : len;
        pipe += (s->flags & TCP_RTX_RETRANS) ? len : 0;
    }
    assert_int_equal(expect_seq, tcp_rtx_snd_nxt(rtx));
    assert_int_equal(sacked, tcp_rtx_sacked_bytes(rtx));
    assert_int_equal(ssegs, tcp_rtx_sacked_segs(rtx));
    assert_int_equal(lost, tcp_rtx_lost_bytes(rtx));
    assert_int_equal(retrans, rtx->retrans_bytes);
    assert_int_equal(need, tcp_rtx_need_rtx_bytes(rtx));
    assert_int_equal(pipe, tcp_rtx_pipe(rtx));
}

/* RFC 6675 IsLost computed straight from its definition over every entry. */
static bool brute_is_lost(const struct tcp_rtx *rtx, uint32_t seq)
{
    uint32_t segs = 0, bytes = 0;
    for (size_t i = 0; i < tcp_rtx_seg_count(rtx); i++) {
        const struct tcp_rtx_seg *s = tcp_rtx_seg_at(rtx, i);
        if (!(s->flags & TCP_RTX_SACKED))
            continue;
        if (tcp_seq_gt(s->seq, seq))
            segs++;
        if (tcp_seq_gt(s->seq, seq))
            bytes += s->end - s->seq;
        else if (tcp_seq_gt(s->end, seq + 1))
            bytes += s->end - (seq + 1); /* the octets above seq */
    }
    return segs >= 3 || bytes > 2 * SMSS;
}

static int ack(struct tcp_rtx *rtx, uint32_t cum, const struct wire_sack_block *blk, size_t n,
               uint64_t now, uint64_t min_rtt, struct tcp_rtx_ack_result *res)
{
    struct tcp_rtx_ack a = {.ack = cum, .sack = blk, .n_sack = n, .now = now};
    int rc = tcp_rtx_on_ack(rtx, &a, min_rtt, res);
    check_invariants(rtx);
    return rc;
}

static void sack1(struct tcp_rtx *rtx, uint32_t cum, uint32_t l, uint32_t r, uint64_t now,
                  struct tcp_rtx_ack_result *res)
{
    struct wire_sack_block b = {l, r};
    assert_int_equal(ack(rtx, cum, &b, 1, now, 0, res), UMPTCP_OK);
}

static void test_init_and_send(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_config bad = {.smss = 0};
    assert_int_equal(tcp_rtx_init(&rtx, ISS, &bad), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_rtx_init(&rtx, ISS, NULL), UMPTCP_ERR_INVAL);
    setup(&rtx, false, 0);
    assert_int_equal(tcp_rtx_pipe(&rtx), 0);
    assert_int_equal(tcp_rtx_on_send(&rtx, ISS + 1, 10, 0, 0), UMPTCP_ERR_INVAL); /* gap */
    assert_int_equal(tcp_rtx_on_send(&rtx, ISS, 0, 0, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_rtx_on_send(&rtx, ISS, 0x80000000u, 0, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(tcp_rtx_on_send(&rtx, ISS, 10, 0, TCP_RTX_SEND_RETRANSMIT),
                     UMPTCP_ERR_INVAL); /* nothing sent yet */
    send_n(&rtx, 10, 0, MS);
    check_invariants(&rtx);
    assert_int_equal(tcp_rtx_snd_nxt(&rtx), S(10));
    assert_true(S(10) < ISS); /* wrapped */
    assert_int_equal(tcp_rtx_flight(&rtx), 10 * SMSS);
    assert_int_equal(tcp_rtx_pipe(&rtx), 10 * SMSS);
    assert_int_equal(tcp_rtx_seg_count(&rtx), 10);
    assert_int_equal(tcp_rtx_find(&rtx, S(9) + 5)->seq, S(9));
    assert_null(tcp_rtx_find(&rtx, S(10)));
    assert_null(tcp_rtx_find(&rtx, ISS - 1));
    /* A retransmission outside [SND.UNA, SND.NXT) is refused. */
    assert_int_equal(tcp_rtx_on_send(&rtx, S(9), 2 * SMSS, 0, TCP_RTX_SEND_RETRANSMIT),
                     UMPTCP_ERR_INVAL);
    tcp_rtx_destroy(&rtx);
}

static void test_cumulative_ack_and_karn(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    setup(&rtx, false, 0);
    send_n(&rtx, 10, 0, MS); /* segment i sent at i ms */
    assert_int_equal(ack(&rtx, S(11), NULL, 0, 50 * MS, 0, &res), UMPTCP_ERR_INVAL);
    assert_int_equal(ack(&rtx, ISS - 1, NULL, 0, 50 * MS, 0, &res), UMPTCP_ERR_INVAL);
    /* Ack 3 segments at 50 ms: the RTT sample is from the most recently sent (2 ms). */
    assert_int_equal(ack(&rtx, S(3), NULL, 0, 50 * MS, 0, &res), UMPTCP_OK);
    assert_int_equal(res.acked_bytes, 3 * SMSS);
    assert_int_equal(res.acked_segs, 3);
    assert_int_equal(res.delivered_bytes, 3 * SMSS);
    assert_true(res.has_rtt_sample);
    assert_int_equal(res.rtt_sample_ns, 48 * MS);
    assert_int_equal(tcp_rtx_snd_una(&rtx), S(3));
    assert_int_equal(tcp_rtx_pipe(&rtx), 7 * SMSS);
    /* Karn: retransmit segment 3, then its ACK gives no sample... */
    assert_int_equal(tcp_rtx_on_send(&rtx, S(3), SMSS, 60 * MS, TCP_RTX_SEND_RETRANSMIT), 0);
    assert_int_equal(tcp_rtx_pipe(&rtx), 8 * SMSS); /* retransmitted, not lost: counts twice */
    assert_int_equal(ack(&rtx, S(4), NULL, 0, 70 * MS, 0, &res), UMPTCP_OK);
    assert_false(res.has_rtt_sample);
    /* ...but segment 4 (never retransmitted) acked with 4' (retransmitted) does. */
    assert_int_equal(tcp_rtx_on_send(&rtx, S(5), SMSS, 80 * MS, TCP_RTX_SEND_RETRANSMIT), 0);
    assert_int_equal(ack(&rtx, S(6), NULL, 0, 90 * MS, 0, &res), UMPTCP_OK);
    assert_true(res.has_rtt_sample);
    assert_int_equal(res.rtt_sample_ns, 86 * MS);
    /* A partial ACK trims the entry. */
    assert_int_equal(ack(&rtx, S(6) + 100, NULL, 0, 91 * MS, 0, &res), UMPTCP_OK);
    assert_int_equal(res.acked_bytes, 100);
    assert_int_equal(res.acked_segs, 0);
    assert_int_equal(tcp_rtx_seg_at(&rtx, 0)->seq, S(6) + 100);
    assert_int_equal(tcp_rtx_pipe(&rtx), 4 * SMSS - 100);
    /* A duplicate ACK changes nothing. */
    assert_int_equal(ack(&rtx, S(6) + 100, NULL, 0, 92 * MS, 0, &res), UMPTCP_OK);
    assert_int_equal(res.acked_bytes + res.sacked_bytes + res.delivered_bytes, 0);
    assert_false(res.has_rtt_sample);
    assert_int_equal(ack(&rtx, S(10), NULL, 0, 100 * MS, 0, &res), UMPTCP_OK);
    assert_int_equal(tcp_rtx_seg_count(&rtx), 0);
    assert_int_equal(tcp_rtx_pipe(&rtx), 0);
    tcp_rtx_destroy(&rtx);
}

static void test_sack_scoreboard(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    setup(&rtx, false, 0);
    send_n(&rtx, 10, 0, MS);
    sack1(&rtx, S(0), S(3), S(5), 20 * MS, &res);
    assert_int_equal(res.sacked_bytes, 2 * SMSS);
    assert_int_equal(res.delivered_bytes, 2 * SMSS);
    assert_true(res.new_sack_info);
    assert_true(res.has_high_sacked);
    assert_int_equal(res.high_sacked, S(5));
    assert_true(res.has_rtt_sample); /* SACKed, never retransmitted: 20 - 4 ms */
    assert_int_equal(res.rtt_sample_ns, 16 * MS);
    assert_int_equal(tcp_rtx_sacked_segs(&rtx), 2);
    assert_int_equal(tcp_rtx_pipe(&rtx), 8 * SMSS);
    /* The same block again: nothing new (not a "duplicate acknowledgment" per RFC 6675 2). */
    sack1(&rtx, S(0), S(3), S(5), 21 * MS, &res);
    assert_int_equal(res.sacked_bytes, 0);
    assert_false(res.new_sack_info);
    assert_false(res.has_dsack);
    /* A block ending inside segment 7 splits it. */
    sack1(&rtx, S(0), S(7) + 500, S(8), 22 * MS, &res);
    assert_int_equal(res.sacked_bytes, 500);
    assert_int_equal(tcp_rtx_seg_count(&rtx), 11);
    assert_int_equal(res.high_sacked, S(8));
    /* Blocks overlapping both SACKed and new data, several per ACK, in any order. */
    struct wire_sack_block blk[3] = {{S(8) + 200, S(9)}, {S(1) + 10, S(2) + 20}, {S(3), S(6)}};
    assert_int_equal(ack(&rtx, S(0), blk, 3, 23 * MS, 0, &res), UMPTCP_OK);
    assert_int_equal(res.sacked_bytes, 800 + 1010 + 1000);
    assert_int_equal(tcp_rtx_seg_count(&rtx), 14); /* splits at S8+200, S1+10, S2+20 */
    /* Invalid blocks are ignored and counted: beyond SND.NXT, reversed, empty. */
    struct wire_sack_block badb[3] = {{S(9), S(11)}, {S(6), S(5)}, {S(6), S(6)}};
    assert_int_equal(ack(&rtx, S(0), badb, 3, 24 * MS, 0, &res), UMPTCP_OK);
    assert_int_equal(res.invalid_sack_blocks, 3);
    assert_int_equal(res.sacked_bytes, 0);
    /* Cumulative ACK over SACKed data: DeliveredData = acked + change in SACKed bytes. */
    uint32_t before = tcp_rtx_sacked_bytes(&rtx);
    assert_int_equal(ack(&rtx, S(6), NULL, 0, 25 * MS, 0, &res), UMPTCP_OK);
    assert_int_equal(res.acked_bytes, 6 * SMSS);
    assert_int_equal(res.delivered_bytes, 6 * SMSS - (before - tcp_rtx_sacked_bytes(&rtx)));
    /* A stale block below SND.UNA is neither new nor invalid nor a DSACK when not first. */
    struct wire_sack_block stale[2] = {{S(8), S(8) + 100}, {S(2), S(3)}};
    assert_int_equal(ack(&rtx, S(6), stale, 2, 26 * MS, 0, &res), UMPTCP_OK);
    assert_int_equal(res.invalid_sack_blocks, 0);
    assert_false(res.has_dsack);
    assert_int_equal(ack(&rtx, S(10), NULL, 0, 27 * MS, 0, &res), UMPTCP_OK);
    assert_false(res.has_high_sacked);
    tcp_rtx_destroy(&rtx);
}

/* RFC 2883 4: D-SACK when the first block is below the cumulative ACK or inside the second. */
static void test_dsack_detection(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    setup(&rtx, false, 0);
    send_n(&rtx, 10, 0, MS);
    assert_int_equal(ack(&rtx, S(4), NULL, 0, 10 * MS, 0, &res), UMPTCP_OK);
    sack1(&rtx, S(4), S(1), S(2), 11 * MS, &res); /* below SEG.ACK */
    assert_true(res.has_dsack);
    assert_int_equal(res.dsack.left, S(1));
    assert_int_equal(res.dsack.right, S(2));
    assert_int_equal(res.sacked_bytes, 0);
    struct wire_sack_block inside[2] = {{S(6) + 100, S(6) + 300}, {S(6), S(8)}};
    assert_int_equal(ack(&rtx, S(4), inside, 2, 12 * MS, 0, &res), UMPTCP_OK);
    assert_true(res.has_dsack);
    assert_int_equal(res.dsack.left, S(6) + 100);
    assert_int_equal(res.sacked_bytes, 2 * SMSS); /* the second block is still processed */
    assert_int_equal(tcp_rtx_seg_count(&rtx), 6); /* no split at the DSACK edges */
    struct wire_sack_block normal[2] = {{S(9), S(10)}, {S(6), S(8)}};
    assert_int_equal(ack(&rtx, S(4), normal, 2, 13 * MS, 0, &res), UMPTCP_OK);
    assert_false(res.has_dsack);
    assert_int_equal(res.sacked_bytes, SMSS);
    assert_int_equal(rtx.dsacks, 2);
    tcp_rtx_destroy(&rtx);
}

/* RFC 6675 IsLost: 3 SACKed segments above, or more than 2*SMSS SACKed bytes above. */
static void test_islost_and_marking(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    setup(&rtx, false, 0);
    send_n(&rtx, 10, 0, MS);
    sack1(&rtx, S(0), S(9), S(10), 20 * MS, &res);
    assert_false(tcp_rtx_is_lost(&rtx, S(0)));
    sack1(&rtx, S(0), S(8), S(9), 21 * MS, &res);
    assert_false(tcp_rtx_is_lost(&rtx, S(0))); /* 2 segments, 2000 bytes: not more than 2*SMSS */
    assert_int_equal(tcp_rtx_mark_lost_rfc6675(&rtx), 0);
    sack1(&rtx, S(0), S(6), S(7), 22 * MS, &res);
    assert_true(tcp_rtx_is_lost(&rtx, S(0)));
    assert_true(tcp_rtx_is_lost(&rtx, S(5)));
    assert_true(tcp_rtx_is_lost(&rtx, S(6) - 1));
    assert_true(tcp_rtx_is_lost(&rtx, S(6)));        /* 999 + 2000 SACKed bytes above */
    assert_false(tcp_rtx_is_lost(&rtx, S(6) + 999)); /* above it only 2 segments, 2000 */
    assert_false(tcp_rtx_is_lost(&rtx, S(7)));
    assert_false(tcp_rtx_is_lost(&rtx, S(9) + 5));
    for (uint32_t k = 0; k < 10 * SMSS; k += 97)
        assert_int_equal(tcp_rtx_is_lost(&rtx, S(0) + k), brute_is_lost(&rtx, S(0) + k));
    /* Marking: segments 0-5 lost (6000 bytes); 7 is un-SACKed but only 2 SACKed above. */
    assert_int_equal(tcp_rtx_mark_lost_rfc6675(&rtx), 6 * SMSS);
    check_invariants(&rtx);
    assert_int_equal(tcp_rtx_lost_bytes(&rtx), 6 * SMSS);
    assert_int_equal(tcp_rtx_pipe(&rtx), 10 * SMSS - 3 * SMSS - 6 * SMSS);
    assert_int_equal(tcp_rtx_mark_lost_rfc6675(&rtx), 0); /* idempotent */
    /* The byte rule alone: one SACKed 2001-byte segment above. */
    struct tcp_rtx r2;
    setup(&r2, false, 0);
    assert_int_equal(tcp_rtx_on_send(&r2, ISS, 500, 0, 0), 0);
    assert_int_equal(tcp_rtx_on_send(&r2, ISS + 500, 2001, 0, 0), 0);
    sack1(&r2, ISS, ISS + 500, ISS + 2501, MS, &res);
    assert_true(tcp_rtx_is_lost(&r2, ISS));
    assert_int_equal(tcp_rtx_mark_lost_rfc6675(&r2), 500);
    tcp_rtx_destroy(&r2);
    /* The segment rule alone: three SACKed 100-byte segments above. */
    setup(&r2, false, 0);
    for (int i = 0; i < 7; i++)
        assert_int_equal(tcp_rtx_on_send(&r2, ISS + (uint32_t)i * 100, 100, 0, 0), 0);
    sack1(&r2, ISS, ISS + 400, ISS + 500, MS, &res);
    sack1(&r2, ISS, ISS + 600, ISS + 700, MS, &res);
    assert_false(tcp_rtx_is_lost(&r2, ISS + 399));
    sack1(&r2, ISS, ISS + 200, ISS + 300, MS, &res);
    assert_true(tcp_rtx_is_lost(&r2, ISS + 199));
    assert_false(tcp_rtx_is_lost(&r2, ISS + 300));
    assert_int_equal(tcp_rtx_mark_lost_rfc6675(&r2), 200);
    tcp_rtx_destroy(&r2);
    tcp_rtx_destroy(&rtx);
}

static void test_nextseg_rules(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    struct tcp_rtx_next nx;
    setup(&rtx, false, 0);
    send_n(&rtx, 10, 0, MS);
    tcp_rtx_next_seg(&rtx, false, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_NONE); /* (5) */
    tcp_rtx_next_seg(&rtx, true, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_NEW); /* (2) */
    assert_int_equal(nx.seq, S(10));
    /* SACK segments 6, 7, 8: IsLost for 0-5; segment 9 is above every SACK. */
    sack1(&rtx, S(0), S(6), S(9), 30 * MS, &res);
    tcp_rtx_mark_lost_rfc6675(&rtx);
    tcp_rtx_enter_recovery(&rtx);
    assert_true(tcp_rtx_in_recovery(&rtx));
    /* (1) comes before new data. */
    tcp_rtx_next_seg(&rtx, true, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_RETRANSMIT);
    assert_int_equal(nx.seq, S(0));
    assert_int_equal(nx.len, SMSS);
    for (unsigned i = 0; i < 6; i++) {
        tcp_rtx_next_seg(&rtx, false, &nx);
        assert_int_equal(nx.kind, TCP_RTX_NEXT_RETRANSMIT);
        assert_int_equal(nx.seq, S(i));
        uint32_t pipe = tcp_rtx_pipe(&rtx);
        assert_int_equal(tcp_rtx_on_send(&rtx, nx.seq, nx.len, 31 * MS, TCP_RTX_SEND_RETRANSMIT),
                         0);
        assert_int_equal(tcp_rtx_pipe(&rtx), pipe + SMSS);
        check_invariants(&rtx);
    }
    /* Nothing lost is left; segment 9 is not below the highest SACK: no (3). RescueRxt was
     * set by the first retransmission (end of segment 0) and HighACK is not above it. */
    tcp_rtx_next_seg(&rtx, true, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_NEW);
    tcp_rtx_next_seg(&rtx, false, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_NONE);
    assert_int_equal(ack(&rtx, S(1), NULL, 0, 40 * MS, 0, &res), 0); /* HighACK = RescueRxt */
    tcp_rtx_next_seg(&rtx, false, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_NONE);
    assert_int_equal(ack(&rtx, S(2), NULL, 0, 41 * MS, 0, &res), 0);
    /* (4) rescue: the last SMSS of the highest un-SACKed segment (9), once. */
    tcp_rtx_next_seg(&rtx, false, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_RESCUE);
    assert_int_equal(nx.seq, S(9));
    assert_int_equal(nx.len, SMSS);
    assert_int_equal(tcp_rtx_on_send(&rtx, nx.seq, nx.len, 42 * MS, TCP_RTX_SEND_RESCUE), 0);
    assert_int_equal(ack(&rtx, S(3), NULL, 0, 43 * MS, 0, &res), 0);
    tcp_rtx_next_seg(&rtx, false, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_NONE);
    assert_false(res.recovery_exited);
    /* RFC 6675 5 (A): the ACK of RecoveryPoint ends recovery. */
    assert_int_equal(ack(&rtx, S(10), NULL, 0, 50 * MS, 0, &res), 0);
    assert_true(res.recovery_exited);
    assert_false(tcp_rtx_in_recovery(&rtx));
    tcp_rtx_destroy(&rtx);
}

/* Rule (3): un-SACKed, not lost segments below the highest SACK, lowest first, in recovery
 * only; a segment larger than SMSS is sent SMSS at a time. */
static void test_nextseg_rule3_and_big_segments(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    struct tcp_rtx_next nx;
    setup(&rtx, false, 0);
    assert_int_equal(tcp_rtx_on_send(&rtx, ISS, 2500, 0, 0), 0); /* a TSO-sized entry */
    send_n(&rtx, 3, MS, MS);
    sack1(&rtx, ISS, ISS + 2500, ISS + 3500, 10 * MS, &res);
    tcp_rtx_next_seg(&rtx, false, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_NONE); /* not in recovery: no (3) */
    tcp_rtx_enter_recovery(&rtx);
    tcp_rtx_next_seg(&rtx, false, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_RETRANSMIT_3);
    assert_int_equal(nx.seq, ISS);
    assert_int_equal(nx.len, SMSS);
    uint32_t pipe = tcp_rtx_pipe(&rtx);
    assert_int_equal(tcp_rtx_on_send(&rtx, nx.seq, nx.len, 11 * MS, TCP_RTX_SEND_RETRANSMIT), 0);
    check_invariants(&rtx);
    assert_int_equal(tcp_rtx_pipe(&rtx), pipe + SMSS); /* not lost: counted twice */
    assert_int_equal(tcp_rtx_seg_count(&rtx), 5);      /* split at ISS + 1000 */
    tcp_rtx_next_seg(&rtx, false, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_RETRANSMIT_3);
    assert_int_equal(nx.seq, ISS + 1000);
    /* Once lost, the retransmitted part counts once; the rest is (1). */
    tcp_rtx_mark_lost_rfc6675(&rtx); /* only one SACKed segment: nothing */
    assert_int_equal(tcp_rtx_lost_bytes(&rtx), 0);
    uint32_t lost = tcp_rtx_on_rto(&rtx, 12 * MS);
    check_invariants(&rtx);
    assert_int_equal(lost, 2500 + 2000); /* RACK.rtt 0: everything un-SACKed sent before now */
    tcp_rtx_next_seg(&rtx, false, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_RETRANSMIT);
    assert_int_equal(nx.seq, ISS);
    tcp_rtx_destroy(&rtx);
}

/* RFC 8985 6.2 step 5: lost when sent more than RACK.rtt + reo_wnd before the RACK segment's
 * delivery; the reordering timer covers the rest. */
static void test_rack_time_loss(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    struct tcp_rtx_loss_result lr;
    setup(&rtx, false, 0);
    send_n(&rtx, 6, 0, MS); /* 0..5 ms */
    /* Segment 4 (sent at 4 ms) SACKed at 20 ms: RACK.rtt = 16 ms. min_RTT 10 ms -> reo_wnd
     * 2.5 ms (no reordering seen, 1 SACKed segment, not in recovery). */
    struct wire_sack_block b = {S(4), S(5)};
    struct tcp_rtx_ack a = {.ack = S(0), .sack = &b, .n_sack = 1, .now = 20 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, 10 * MS, &res), 0);
    assert_int_equal(tcp_rtx_rack_rtt(&rtx), 16 * MS);
    tcp_rtx_detect_loss(&rtx, 20 * MS, 30 * MS, &lr);
    check_invariants(&rtx);
    assert_int_equal(tcp_rtx_reo_wnd(&rtx), 2500000);
    /* seg0 deadline 18.5, seg1 19.5: lost. seg2 20.5, seg3 21.5: wait. seg5: sent after. */
    assert_int_equal(lr.lost_bytes, 2 * SMSS);
    assert_int_equal(lr.lost_segs, 2);
    assert_int_equal(lr.reo_timeout, 21500000);
    assert_int_equal(tcp_rtx_need_rtx_bytes(&rtx), 2 * SMSS);
    /* The timer fires at 21.5 ms: 2 and 3 are lost now, no timer left. */
    tcp_rtx_detect_loss(&rtx, 21500000, 30 * MS, &lr);
    assert_int_equal(lr.lost_bytes, 2 * SMSS);
    assert_int_equal(lr.reo_timeout, 0);
    assert_int_equal(tcp_rtx_find(&rtx, S(5))->flags & TCP_RTX_LOST, 0);
    /* A retransmission of 0 that is itself older than the RACK segment by rtt+reo_wnd is
     * deemed lost again (RETRANS cleared, needs another retransmission). */
    assert_int_equal(tcp_rtx_on_send(&rtx, S(0), SMSS, 22 * MS, TCP_RTX_SEND_RETRANSMIT), 0);
    assert_int_equal(tcp_rtx_on_send(&rtx, S(1), SMSS, 23 * MS, TCP_RTX_SEND_RETRANSMIT), 0);
    b = (struct wire_sack_block){S(1), S(2)}; /* 1' delivered at 40 ms (17 ms after) */
    a = (struct tcp_rtx_ack){.ack = S(0), .sack = &b, .n_sack = 1, .now = 40 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, 10 * MS, &res), 0);
    assert_int_equal(tcp_rtx_rack_rtt(&rtx), 17 * MS);
    tcp_rtx_detect_loss(&rtx, 40 * MS, 30 * MS, &lr);
    check_invariants(&rtx);
    /* reo_wnd 2.5 ms (2 SACKed segments, no recovery): segment 5 (5 + 17 + 2.5 <= 40) is
     * lost; 0' (sent at 22) waits until 41.5 ms. */
    assert_int_equal(lr.lost_bytes, SMSS);
    assert_int_equal(lr.reo_timeout, 41500000);
    assert_int_not_equal(tcp_rtx_find(&rtx, S(5))->flags & TCP_RTX_LOST, 0);
    assert_int_not_equal(tcp_rtx_find(&rtx, S(0))->flags & TCP_RTX_RETRANS, 0);
    tcp_rtx_detect_loss(&rtx, 41500000, 30 * MS, &lr);
    check_invariants(&rtx);
    assert_int_equal(lr.lost_bytes, SMSS);
    assert_int_equal(tcp_rtx_find(&rtx, S(0))->flags & TCP_RTX_RETRANS, 0);
    assert_int_equal(tcp_rtx_need_rtx_bytes(&rtx), 4 * SMSS); /* 0 again, 2, 3, 5 */
    tcp_rtx_destroy(&rtx);
}

/* RFC 8985 6.2 step 3: only never-retransmitted segments delivered below RACK.fack show
 * reordering. */
static void test_reordering_detection(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    setup(&rtx, false, 0);
    send_n(&rtx, 6, 0, MS);
    sack1(&rtx, S(0), S(4), S(5), 10 * MS, &res); /* fack = S(5) */
    assert_int_equal(tcp_rtx_on_send(&rtx, S(0), SMSS, 11 * MS, TCP_RTX_SEND_RETRANSMIT), 0);
    assert_int_equal(ack(&rtx, S(1), NULL, 0, 30 * MS, 0, &res), 0);
    assert_false(rtx.rack_reordering_seen); /* 0 was retransmitted: its ACK proves nothing */
    sack1(&rtx, S(1), S(2), S(3), 31 * MS, &res);
    assert_true(rtx.rack_reordering_seen); /* 2 arrived after 4 without a retransmission */
    tcp_rtx_destroy(&rtx);
}

/* RFC 8985 6.2 step 2: a retransmitted segment acked too soon (less than min_RTT after the
 * retransmission, or with a TSecr older than it) does not update RACK. */
static void test_rack_ignores_spurious_timing(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    setup(&rtx, false, 0);
    send_n(&rtx, 4, 0, MS);
    assert_int_equal(tcp_rtx_on_send(&rtx, S(0), SMSS, 30 * MS, TCP_RTX_SEND_RETRANSMIT), 0);
    struct tcp_rtx_ack a = {.ack = S(1), .now = 32 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, 10 * MS, &res), 0); /* 2 ms < min_RTT */
    assert_false(rtx.rack_valid);
    assert_false(res.has_rtt_sample);
    assert_int_equal(tcp_rtx_on_send(&rtx, S(1), SMSS, 40 * MS, TCP_RTX_SEND_RETRANSMIT), 0);
    a = (struct tcp_rtx_ack){.ack = S(2), .now = 60 * MS, .has_tsecr = true, .tsecr_ns = 39 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, 10 * MS, &res), 0); /* echoes the original */
    assert_false(rtx.rack_valid);
    a = (struct tcp_rtx_ack){.ack = S(3), .now = 61 * MS, .has_tsecr = true, .tsecr_ns = 61 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, 10 * MS, &res), 0); /* segment 2: original */
    assert_true(rtx.rack_valid);
    assert_int_equal(tcp_rtx_rack_rtt(&rtx), 59 * MS);
    tcp_rtx_destroy(&rtx);
}

/* RFC 8985 6.2 steps 3-4: reordering detection and the window's DSACK adaptation. */
static void test_reo_wnd_adaptation(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    struct tcp_rtx_loss_result lr;
    const uint64_t min_rtt = 40 * MS, srtt = 100 * MS;
    setup(&rtx, false, 0);
    send_n(&rtx, 40, 0, 0);
    struct tcp_rtx_ack a = {.ack = S(1), .now = 50 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, min_rtt, &res), 0);
    tcp_rtx_detect_loss(&rtx, 50 * MS, srtt, &lr);
    assert_int_equal(tcp_rtx_reo_wnd(&rtx), 10 * MS); /* min_RTT / 4 */
    /* In recovery without reordering seen: 0. */
    tcp_rtx_enter_recovery(&rtx);
    tcp_rtx_detect_loss(&rtx, 50 * MS, srtt, &lr);
    assert_int_equal(tcp_rtx_reo_wnd(&rtx), 0);
    /* A DSACK: multiplier 2 for this round (until SND.UNA passes SND.NXT of now). */
    struct wire_sack_block d = {S(0), S(1)};
    a = (struct tcp_rtx_ack){.ack = S(2), .sack = &d, .n_sack = 1, .now = 51 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, min_rtt, &res), 0);
    assert_true(res.has_dsack);
    assert_int_equal(rtx.rack_reo_wnd_mult, 2);
    /* Another DSACK in the same round changes nothing. */
    a.ack = S(3);
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, min_rtt, &res), 0);
    assert_int_equal(rtx.rack_reo_wnd_mult, 2);
    /* Reordering: SACK 10, then segment 5 (never retransmitted) is delivered below fack. */
    struct wire_sack_block s10 = {S(10), S(11)};
    a = (struct tcp_rtx_ack){.ack = S(3), .sack = &s10, .n_sack = 1, .now = 52 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, min_rtt, &res), 0);
    assert_false(rtx.rack_reordering_seen);
    a = (struct tcp_rtx_ack){.ack = S(6), .now = 53 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, min_rtt, &res), 0);
    assert_true(rtx.rack_reordering_seen);
    tcp_rtx_detect_loss(&rtx, 53 * MS, srtt, &lr);
    assert_int_equal(tcp_rtx_reo_wnd(&rtx), 20 * MS); /* in recovery, but reordering seen */
    /* Next round: the recovery ends (ACK of RecoveryPoint = S(40)). More data, and a DSACK
     * once SND.UNA >= dsack_round: multiplier 3. */
    a = (struct tcp_rtx_ack){.ack = S(40), .now = 60 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, min_rtt, &res), 0);
    assert_true(res.recovery_exited);
    send_n(&rtx, 10, 61 * MS, 0);
    d = (struct wire_sack_block){S(39), S(40)};
    a = (struct tcp_rtx_ack){.ack = S(41), .sack = &d, .n_sack = 1, .now = 70 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, min_rtt, &res), 0);
    assert_int_equal(rtx.rack_reo_wnd_mult, 3);
    tcp_rtx_detect_loss(&rtx, 70 * MS, srtt, &lr);
    assert_int_equal(tcp_rtx_reo_wnd(&rtx), 30 * MS);
    /* Capped at SRTT. */
    rtx.rack_reo_wnd_mult = 20;
    tcp_rtx_detect_loss(&rtx, 70 * MS, srtt, &lr);
    assert_int_equal(tcp_rtx_reo_wnd(&rtx), srtt);
    /* 16 DSACK-free recoveries reset the multiplier to 1. */
    rtx.rack_reo_wnd_mult = 3;
    a = (struct tcp_rtx_ack){.ack = S(50), .now = 80 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, min_rtt, &res), 0); /* the DSACK round ends */
    for (int i = 0; i < 16; i++) {
        assert_int_equal(rtx.rack_reo_wnd_mult, 3);
        send_n(&rtx, 1, 90 * MS, 0);
        tcp_rtx_enter_recovery(&rtx);
        a = (struct tcp_rtx_ack){.ack = tcp_rtx_snd_nxt(&rtx), .now = 95 * MS};
        assert_int_equal(tcp_rtx_on_ack(&rtx, &a, min_rtt, &res), 0);
        assert_true(res.recovery_exited);
    }
    assert_int_equal(rtx.rack_reo_wnd_mult, 1);
    tcp_rtx_destroy(&rtx);
}

/* RFC 8985 6.3: on RTO, SND.UNA's segment and those older than RACK.rtt + reo_wnd are lost. */
static void test_rto_marking(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    struct tcp_rtx_loss_result lr;
    setup(&rtx, false, 0);
    send_n(&rtx, 2, 0, 0);
    struct tcp_rtx_ack a = {.ack = S(1), .now = 10 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, 10 * MS, &res), 0); /* RACK.rtt 10 ms */
    tcp_rtx_detect_loss(&rtx, 10 * MS, 10 * MS, &lr);             /* reo_wnd 2.5 ms */
    send_n(&rtx, 3, 100 * MS, 50 * MS);                           /* at 100, 150, 200 ms */
    /* RTO at 210 ms: seg 1 (SND.UNA) always; 2 (100 + 12.5 <= 210) and 3 (162.5); not 4. */
    uint32_t lost = tcp_rtx_on_rto(&rtx, 210 * MS);
    check_invariants(&rtx);
    assert_int_equal(lost, 3 * SMSS);
    assert_int_equal(tcp_rtx_find(&rtx, S(4))->flags & TCP_RTX_LOST, 0);
    assert_true(tcp_rtx_in_recovery(&rtx));
    assert_int_equal(tcp_rtx_pipe(&rtx), SMSS);
    /* A retransmission in flight at RTO time is lost too. */
    assert_int_equal(tcp_rtx_on_send(&rtx, S(1), SMSS, 211 * MS, TCP_RTX_SEND_RETRANSMIT), 0);
    assert_int_equal(tcp_rtx_pipe(&rtx), 2 * SMSS);
    lost = tcp_rtx_on_rto(&rtx, 500 * MS);
    check_invariants(&rtx);
    assert_int_equal(lost, 2 * SMSS); /* 1' and 4 */
    assert_int_equal(tcp_rtx_pipe(&rtx), 0);
    assert_int_equal(tcp_rtx_need_rtx_bytes(&rtx), 4 * SMSS);
    tcp_rtx_destroy(&rtx);
}

/* RFC 8985 7.2: PTO = 2*SRTT (+ max_ack_delay with one segment in flight), 1 s without SRTT,
 * never after the RTO; not armed in recovery or with SACKed data. */
static void test_tlp_pto(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    setup(&rtx, false, 0);
    const uint64_t now = 1000 * MS, srtt = 10 * MS, rto = now + 300 * MS;
    assert_int_equal(tcp_rtx_tlp_pto(&rtx, now, true, srtt, rto), 0); /* nothing in flight */
    send_n(&rtx, 1, now, 0);
    assert_int_equal(tcp_rtx_tlp_pto(&rtx, now, true, srtt, rto), now + 20 * MS + 200 * MS);
    assert_int_equal(tcp_rtx_tlp_pto(&rtx, now, true, srtt, now + 100 * MS), now + 100 * MS);
    send_n(&rtx, 2, now, 0);
    assert_int_equal(tcp_rtx_tlp_pto(&rtx, now, true, srtt, rto), now + 20 * MS);
    assert_int_equal(tcp_rtx_tlp_pto(&rtx, now, false, 0, now + 3000 * MS), now + 1000 * MS);
    assert_int_equal(tcp_rtx_tlp_pto(&rtx, now, false, 0, rto), rto);
    assert_int_equal(tcp_rtx_tlp_pto(&rtx, now, true, srtt, 0), now + 20 * MS); /* no RTO */
    sack1(&rtx, S(0), S(2), S(3), now + 5 * MS, &res);
    assert_int_equal(tcp_rtx_tlp_pto(&rtx, now, true, srtt, rto), 0);
    struct tcp_rtx r2;
    struct tcp_rtx_config cfg = {.smss = SMSS, .max_ack_delay_ns = 40 * MS};
    assert_int_equal(tcp_rtx_init(&r2, 5, &cfg), 0);
    assert_int_equal(tcp_rtx_on_send(&r2, 5, 10, now, 0), 0);
    assert_int_equal(tcp_rtx_tlp_pto(&r2, now, true, srtt, rto), now + 60 * MS);
    tcp_rtx_enter_recovery(&r2);
    assert_int_equal(tcp_rtx_tlp_pto(&r2, now, true, srtt, rto), 0);
    tcp_rtx_destroy(&r2);
    tcp_rtx_destroy(&rtx);
}

/* RFC 8985 7.3 / 7.4: which segment to probe, one probe at a time, and the ACK of a probe. */
static void test_tlp_probe_and_ack(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    struct tcp_rtx_next nx;
    setup(&rtx, false, 0);
    assert_int_equal(tcp_rtx_on_send(&rtx, ISS, 300, 0, 0), 0);
    send_n(&rtx, 3, 0, 0); /* the last entry is [S(0)+300, S(0)+1300)... */
    assert_int_equal(tcp_rtx_on_send(&rtx, tcp_rtx_snd_nxt(&rtx), 400, 0, 0), 0);
    const uint32_t nxt = tcp_rtx_snd_nxt(&rtx);
    tcp_rtx_tlp_probe(&rtx, false, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_NONE); /* no RTT sample since the start yet */
    tcp_rtx_note_rtt_sample(&rtx);
    tcp_rtx_tlp_probe(&rtx, true, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_NEW);
    assert_int_equal(nx.seq, nxt);
    tcp_rtx_tlp_probe(&rtx, false, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_RETRANSMIT); /* the highest segment sent */
    assert_int_equal(nx.seq, nxt - 400);
    assert_int_equal(nx.len, 400);
    assert_int_equal(
        tcp_rtx_on_send(&rtx, nx.seq, nx.len, 50 * MS, TCP_RTX_SEND_RETRANSMIT | TCP_RTX_SEND_TLP),
        0);
    tcp_rtx_tlp_probe(&rtx, false, &nx);
    assert_int_equal(nx.kind, TCP_RTX_NEXT_NONE); /* one probe outstanding */
    /* The ACK covers TLP.end_seq exactly, no DSACK, not a dupack: still waiting. */
    struct tcp_rtx_ack a = {.ack = nxt, .now = 60 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, 0, &res), 0);
    assert_false(res.tlp_loss_repaired);
    assert_true(rtx.tlp_active);
    /* Case 1: a DSACK for the probe: both copies arrived, no loss. */
    struct wire_sack_block d = {nxt - 400, nxt};
    a = (struct tcp_rtx_ack){.ack = nxt, .sack = &d, .n_sack = 1, .now = 61 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, 0, &res), 0);
    assert_true(res.has_dsack);
    assert_false(res.tlp_loss_repaired);
    assert_false(rtx.tlp_active);
    /* A retransmission probe followed by an ACK beyond it: the probe repaired a loss. */
    send_n(&rtx, 2, 70 * MS, 0);
    tcp_rtx_note_rtt_sample(&rtx);
    tcp_rtx_tlp_probe(&rtx, false, &nx);
    assert_int_equal(
        tcp_rtx_on_send(&rtx, nx.seq, nx.len, 80 * MS, TCP_RTX_SEND_RETRANSMIT | TCP_RTX_SEND_TLP),
        0);
    uint32_t end = tcp_rtx_snd_nxt(&rtx);
    send_n(&rtx, 1, 81 * MS, 0);
    a = (struct tcp_rtx_ack){.ack = end + 10, .now = 90 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, 0, &res), 0);
    assert_true(res.tlp_loss_repaired);
    assert_false(rtx.tlp_active);
    /* Case 2: a pure duplicate ACK without SACK ends the episode without a loss. */
    tcp_rtx_note_rtt_sample(&rtx);
    tcp_rtx_tlp_probe(&rtx, false, &nx);
    assert_int_equal(
        tcp_rtx_on_send(&rtx, nx.seq, nx.len, 95 * MS, TCP_RTX_SEND_RETRANSMIT | TCP_RTX_SEND_TLP),
        0);
    a = (struct tcp_rtx_ack){.ack = tcp_rtx_snd_nxt(&rtx), .now = 99 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, 0, &res), 0);
    assert_true(rtx.tlp_active);
    a.is_dupack = true;
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, 0, &res), 0);
    assert_false(res.tlp_loss_repaired);
    assert_false(rtx.tlp_active);
    /* A new-data probe is done once acknowledged. */
    send_n(&rtx, 1, 100 * MS, 0);
    tcp_rtx_note_rtt_sample(&rtx);
    uint32_t s = tcp_rtx_snd_nxt(&rtx);
    assert_int_equal(tcp_rtx_on_send(&rtx, s, SMSS, 101 * MS, TCP_RTX_SEND_TLP), 0);
    assert_true(rtx.tlp_active);
    a = (struct tcp_rtx_ack){.ack = s + SMSS, .now = 110 * MS};
    assert_int_equal(tcp_rtx_on_ack(&rtx, &a, 0, &res), 0);
    assert_false(rtx.tlp_active);
    assert_false(res.tlp_loss_repaired);
    assert_true(res.has_rtt_sample); /* the new-data probe was never retransmitted */
    tcp_rtx_destroy(&rtx);
}

/* max_segs bounds the entries: errors leave everything unchanged. */
static void test_memory_bound(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    setup(&rtx, false, 4);
    send_n(&rtx, 4, 0, 0);
    assert_int_equal(tcp_rtx_on_send(&rtx, S(4), SMSS, 0, 0), UMPTCP_ERR_NOMEM);
    assert_int_equal(tcp_rtx_snd_nxt(&rtx), S(4));
    /* A retransmission of part of an entry needs a split: refused, nothing changed. */
    assert_int_equal(tcp_rtx_on_send(&rtx, S(1) + 10, 20, MS, TCP_RTX_SEND_RETRANSMIT),
                     UMPTCP_ERR_NOMEM);
    check_invariants(&rtx);
    assert_int_equal(rtx.retrans_bytes, 0);
    /* Whole entries need no split. */
    assert_int_equal(tcp_rtx_on_send(&rtx, S(1), 2 * SMSS, MS, TCP_RTX_SEND_RETRANSMIT), 0);
    assert_int_equal(rtx.retrans_bytes, 2 * SMSS);
    /* A partial SACK at the bound: the partial entry stays un-SACKed (conservative). */
    sack1(&rtx, S(0), S(3) + 500, S(4), 2 * MS, &res);
    assert_int_equal(res.sacked_bytes, 0);
    sack1(&rtx, S(0), S(3), S(4), 2 * MS, &res);
    assert_int_equal(res.sacked_bytes, SMSS);
    /* Once acked, room again. */
    assert_int_equal(ack(&rtx, S(2), NULL, 0, 3 * MS, 0, &res), 0);
    send_n(&rtx, 2, 4 * MS, 0);
    assert_int_equal(tcp_rtx_seg_count(&rtx), 4);
    tcp_rtx_destroy(&rtx);
}

static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Runs tcp_rtx_detect_loss and checks each entry against RFC 8985 RACK_detect_loss and RFC 6675
 * IsLost evaluated by brute force over a snapshot taken before. */
#define SNAP_MAX 8192
static struct tcp_rtx_seg snap[SNAP_MAX];

static void detect_and_check(struct tcp_rtx *rtx, uint64_t now, uint64_t srtt)
{
    size_t n = tcp_rtx_seg_count(rtx);
    assert_true(n <= SNAP_MAX);
    for (size_t i = 0; i < n; i++)
        snap[i] = *tcp_rtx_seg_at(rtx, i);
    struct tcp_rtx_loss_result lr;
    tcp_rtx_detect_loss(rtx, now, srtt, &lr);
    check_invariants(rtx);
    assert_int_equal(tcp_rtx_seg_count(rtx), n);
    const uint64_t reo = tcp_rtx_reo_wnd(rtx);
    uint64_t timeout = 0;
    uint32_t lost = 0;
    for (size_t i = 0; i < n; i++) {
        const struct tcp_rtx_seg *was = &snap[i], *is = tcp_rtx_seg_at(rtx, i);
        bool sacked = was->flags & TCP_RTX_SACKED;
        bool in_flight =
            !sacked && (!(was->flags & TCP_RTX_LOST) || (was->flags & TCP_RTX_RETRANS));
        bool before =
            rtx->rack_valid &&
            (rtx->rack_xmit_ts > was->xmit_ts ||
             (rtx->rack_xmit_ts == was->xmit_ts && tcp_seq_gt(rtx->rack_end_seq, was->end)));
        uint8_t want = was->flags;
        if (in_flight && before) {
            uint64_t deadline = was->xmit_ts + tcp_rtx_rack_rtt(rtx) + reo;
            if (deadline <= now)
                want = (uint8_t)((want | TCP_RTX_LOST) & ~TCP_RTX_RETRANS);
            else if (deadline - now > timeout)
                timeout = deadline - now;
        }
        if (!sacked && !(want & TCP_RTX_LOST) && brute_is_lost(rtx, was->seq))
            want |= TCP_RTX_LOST;
        assert_int_equal(is->flags, want);
        if (is->flags != was->flags)
            lost += was->end - was->seq;
    }
    assert_int_equal(lr.reo_timeout, timeout ? now + timeout : 0);
    assert_int_equal(lr.lost_bytes, lost);
}

/* Thousands of segments of random sizes with random SACKs, retransmissions, loss detection,
 * RTOs and cumulative ACKs: after every step the incremental counters equal a recount, IsLost
 * equals its definition, and NextSeg's choice satisfies its rule. */
static void test_random_consistency(void **state)
{
    (void)state;
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    struct tcp_rtx_next nx;
    struct tcp_rtx_config cfg = {.smss = SMSS, .rfc6675_islost = true};
    assert_int_equal(tcp_rtx_init(&rtx, 0xfff00000u, &cfg), 0);
    uint32_t r = 4242;
    uint64_t now = 0;
    size_t max_count = 0;
    for (int step = 0; step < 12000; step++) {
        now += 100000 + rng(&r) % 1000000;
        uint32_t what = rng(&r) % 16;
        uint32_t una = tcp_rtx_snd_una(&rtx), flight = tcp_rtx_flight(&rtx);
        if (what < 6 || flight == 0) {
            uint32_t len = 1 + rng(&r) % (2 * SMSS);
            assert_int_equal(tcp_rtx_on_send(&rtx, tcp_rtx_snd_nxt(&rtx), len, now, 0), 0);
        } else if (what < 11) {
            struct wire_sack_block blk[4];
            size_t n = 1 + rng(&r) % 4;
            for (size_t k = 0; k < n; k++) {
                uint32_t a = una + rng(&r) % flight;
                uint32_t b = a + 1 + rng(&r) % (3 * SMSS);
                if (tcp_seq_gt(b, una + flight))
                    b = una + flight;
                blk[k] = (struct wire_sack_block){a, b};
            }
            uint32_t cum = una + (rng(&r) % 16 == 0 ? rng(&r) % (flight / 256 + 1) : 0);
            assert_int_equal(ack(&rtx, cum, blk, n, now, 5 * MS, &res), 0);
            detect_and_check(&rtx, now, 20 * MS);
        } else if (what < 14) {
            tcp_rtx_next_seg(&rtx, false, &nx);
            if (nx.kind == TCP_RTX_NEXT_RETRANSMIT) {
                const struct tcp_rtx_seg *s = tcp_rtx_find(&rtx, nx.seq);
                assert_int_equal(s->flags & (TCP_RTX_SACKED | TCP_RTX_LOST | TCP_RTX_RETRANS),
                                 TCP_RTX_LOST);
                assert_int_equal(s->seq, nx.seq);
            }
            if (nx.kind != TCP_RTX_NEXT_NONE && nx.kind != TCP_RTX_NEXT_NEW) {
                unsigned fl =
                    nx.kind == TCP_RTX_NEXT_RESCUE ? TCP_RTX_SEND_RESCUE : TCP_RTX_SEND_RETRANSMIT;
                assert_true(nx.len > 0 && nx.len <= SMSS);
                assert_int_equal(tcp_rtx_on_send(&rtx, nx.seq, nx.len, now, fl), 0);
            }
            if (rng(&r) % 8 == 0)
                tcp_rtx_enter_recovery(&rtx);
        } else if (what == 14) {
            uint32_t cum = una + rng(&r) % (flight / 256 + 1);
            if (rng(&r) % 64 == 0)
                cum = una + flight; /* now and then everything */
            assert_int_equal(ack(&rtx, cum, NULL, 0, now, 5 * MS, &res), 0);
        } else if (rng(&r) % 8 == 0) {
            tcp_rtx_on_rto(&rtx, now);
        }
        check_invariants(&rtx);
        if (tcp_rtx_flight(&rtx) > 0) {
            uint32_t x = tcp_rtx_snd_una(&rtx) + rng(&r) % tcp_rtx_flight(&rtx);
            assert_int_equal(tcp_rtx_is_lost(&rtx, x), brute_is_lost(&rtx, x));
        }
        if (tcp_rtx_seg_count(&rtx) > max_count)
            max_count = tcp_rtx_seg_count(&rtx);
    }
    print_message("max entries %zu, retransmits %llu\n", max_count,
                  (unsigned long long)rtx.retransmits);
    assert_true(max_count > 1000); /* it really held thousands of entries */
    assert_true(rtx.retransmits > 100);
    tcp_rtx_destroy(&rtx);
}

/* The entry array cannot grow past 8 MiB here: a send that needs more, or an ACK whose SACK
 * blocks might need splits, is refused with nothing changed; acknowledging makes room. */
static void test_allocation_failure(void **state)
{
    (void)state;
#ifndef HAVE_ALLOC_LIMIT
    skip();
#else
    struct tcp_rtx rtx;
    struct tcp_rtx_ack_result res;
    setup(&rtx, false, 0);
    uint32_t n = 0;
    int rc;
    while ((rc = tcp_rtx_on_send(&rtx, tcp_rtx_snd_nxt(&rtx), 1, n, 0)) == UMPTCP_OK)
        n++;
    assert_int_equal(rc, UMPTCP_ERR_NOMEM);
    assert_true(n >= 100000 && n < 400000);
    assert_int_equal(tcp_rtx_seg_count(&rtx), n);
    assert_int_equal(tcp_rtx_flight(&rtx), n);
    check_invariants(&rtx);
    /* A SACK could split entries: refused before anything changes. */
    struct wire_sack_block b = {ISS + 10, ISS + 20};
    assert_int_equal(ack(&rtx, ISS + 5, &b, 1, n, 0, &res), UMPTCP_ERR_NOMEM);
    assert_int_equal(tcp_rtx_snd_una(&rtx), ISS);
    assert_int_equal(tcp_rtx_sacked_bytes(&rtx), 0);
    /* A plain cumulative ACK needs no memory; afterwards there is room again. */
    assert_int_equal(ack(&rtx, ISS + 1000, NULL, 0, n, 0, &res), UMPTCP_OK);
    assert_int_equal(res.acked_segs, 1000);
    assert_int_equal(ack(&rtx, ISS + 1000, &b, 0, n, 0, &res), UMPTCP_OK);
    b = (struct wire_sack_block){ISS + 2000, ISS + 2010};
    assert_int_equal(ack(&rtx, ISS + 1000, &b, 1, n, 0, &res), UMPTCP_OK);
    assert_int_equal(res.sacked_bytes, 10);
    assert_int_equal(tcp_rtx_on_send(&rtx, tcp_rtx_snd_nxt(&rtx), 1, n, 0), UMPTCP_OK);
    tcp_rtx_destroy(&rtx);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_send),
        cmocka_unit_test(test_cumulative_ack_and_karn),
        cmocka_unit_test(test_sack_scoreboard),
        cmocka_unit_test(test_dsack_detection),
        cmocka_unit_test(test_islost_and_marking),
        cmocka_unit_test(test_nextseg_rules),
        cmocka_unit_test(test_nextseg_rule3_and_big_segments),
        cmocka_unit_test(test_rack_time_loss),
        cmocka_unit_test(test_reordering_detection),
        cmocka_unit_test(test_rack_ignores_spurious_timing),
        cmocka_unit_test(test_reo_wnd_adaptation),
        cmocka_unit_test(test_rto_marking),
        cmocka_unit_test(test_tlp_pto),
        cmocka_unit_test(test_tlp_probe_and_ack),
        cmocka_unit_test(test_memory_bound),
        cmocka_unit_test(test_allocation_failure),
        cmocka_unit_test(test_random_consistency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
