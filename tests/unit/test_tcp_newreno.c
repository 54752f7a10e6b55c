/* Loss recovery without SACK (RFC 5681 3.2 fast retransmit, RFC 6582 NewReno, RFC 3042
 * limited transmit, PRR per RFC 6937) on the two-stack bed (tests/support/tcp_pair): B turns
 * SACK off, A sends 1 MiB to B, and a filter drops or delays chosen data segments of A. Every
 * check looks at what crossed the wire and at A's counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tcp_pair.h"
#include "tcp/tcp_rtx.h"
#include "testutil.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "umptcp/stack.h"
#include "wire/segment.h"
#include "wire/tcp.h"

#include <stdlib.h>
#include <string.h>

#define MS TP_MS
#define SEC TP_SEC
#define PORT 5201
#define MAX_DROPS 16
#define RTT (20 * MS) /* two 10 ms one-way delays */
#define MIB (1u << 20)

/* One packet that was sent, as the trace saw it. */
struct rec {
    int from;
    uint64_t sent, arrive;
    bool dropped, injected;
    uint8_t flags;
    uint32_t seq, ack, len;
    uint32_t opts;
    bool rtx; /* A's data below the highest sequence A had sent */
};

struct ctx {
    struct tcp_pair *p;
    umptcp_listener *lis;
    umptcp_conn *c[2];
    struct tp_stream s; /* A -> B */
    struct rec *r;
    size_t nr, rcap;
    uint32_t a_high; /* end of the highest data A sent */
    bool a_high_valid;
    /* filter: 1-based indices of A's data packets (retransmissions count too) */
    unsigned data_seen;
    unsigned drop[MAX_DROPS];
    size_t ndrop;
    unsigned hold, hold_depth; /* delay packet `hold` behind the next hold_depth ones */
    bool held;
    struct wire_segment_spec held_spec;
    struct wire_tcp_options held_opt;
    uint8_t held_payload[2048];
};

/* ---- hooks ------------------------------------------------------------------------------ */

static void trace_cb(void *user, struct tcp_pair *p, const struct tp_trace *t)
{
    struct ctx *x = user;
    (void)p;
    if (x->nr == x->rcap) {
        x->rcap = x->rcap ? 2 * x->rcap : 4096;
        x->r = realloc(x->r, x->rcap * sizeof(*x->r));
        assert_non_null(x->r);
    }
    struct rec *r = &x->r[x->nr++];
    memset(r, 0, sizeof(*r));
    r->from = t->from;
    r->sent = t->sent_at;
    r->arrive = t->arrive_at;
    r->dropped = t->dropped;
    r->injected = t->injected;
    if (t->seg == NULL)
        return;
    r->flags = t->seg->tcp.flags;
    r->seq = t->seg->tcp.seq;
    r->ack = t->seg->tcp.ack;
    r->len = (uint32_t)t->seg->tcp.payload_len;
    r->opts = t->seg->opt.present;
    if (t->from == TP_A && r->len > 0 && !t->injected) {
        uint32_t end = r->seq + r->len;
        r->rtx = x->a_high_valid && (int32_t)(r->seq - x->a_high) < 0;
        if (!x->a_high_valid || (int32_t)(end - x->a_high) > 0)
            x->a_high = end;
        x->a_high_valid = true;
    }
}

/* Keeps a copy of the packet to put on the wire later (tp_inject). */
static void hold_packet(struct ctx *x, const struct wire_segment *seg)
{
    const struct wire_tcp_hdr *th = &seg->tcp;
    assert_true(th->payload_len <= sizeof(x->held_payload));
    memcpy(x->held_payload, th->payload, th->payload_len);
    x->held_opt = seg->opt;
    x->held_spec = (struct wire_segment_spec){
        .src = {.addr = seg->ip.src, .port = th->sport},
        .dst = {.addr = seg->ip.dst, .port = th->dport},
        .seq = th->seq,
        .ack = th->ack,
        .flags = th->flags,
        .window = th->window,
        .opt = &x->held_opt,
        .payload = x->held_payload,
        .payload_len = th->payload_len,
    };
    x->held = true;
}

static enum tp_verdict filter_cb(void *user, struct tcp_pair *p, int from, struct tp_packet *pkt,
                                 const struct wire_segment *seg)
{
    struct ctx *x = user;
    (void)pkt;
    if (from != TP_A || seg == NULL || seg->tcp.payload_len == 0)
        return TP_PASS;
    unsigned n = ++x->data_seen;
    for (size_t i = 0; i < x->ndrop; i++)
        if (x->drop[i] == n)
            return TP_DROP;
    if (x->hold != 0 && n == x->hold) {
        hold_packet(x, seg);
        return TP_DROP; /* traced as dropped; it comes back injected */
    }
    if (x->held && n == x->hold + x->hold_depth + 1) {
        tp_inject(p, TP_A, &x->held_spec); /* arrives just before this one */
        x->held = false;
    }
    return TP_PASS;
}

static void event_cb(void *user, struct tcp_pair *p, int side, umptcp_conn *c,
                     const umptcp_event *ev)
{
    struct ctx *x = user;
    switch (ev->type) {
    case UMPTCP_EV_ACCEPTABLE:
        if (side == TP_B && x->c[TP_B] == NULL) {
            x->c[TP_B] = umptcp_accept(ev->listener, NULL);
            assert_non_null(x->c[TP_B]);
        }
        break;
    case UMPTCP_EV_CONNECTED:
    case UMPTCP_EV_WRITABLE:
        if (side == TP_A && c == x->c[TP_A])
            tp_stream_write(&x->s, c, p->now);
        break;
    case UMPTCP_EV_READABLE:
        if (side == TP_B && c == x->c[TP_B])
            tp_stream_read(&x->s, c, SIZE_MAX, p->now);
        break;
    default:
        break;
    }
}

/* ---- setup and run ---------------------------------------------------------------------- */

static struct ctx *ctx_new_opts(bool sack, bool timestamps)
{
    struct tp_config conf;
    tp_config_init(&conf);
    conf.cfg[TP_B].sack = sack; /* B does not offer SACK: neither side uses it */
    conf.cfg[TP_B].timestamps = timestamps;
    /* ACKs leave B one at a time (52 bytes in 41.6 us), so what A sends in answer to each
     * one is told apart by its time; data is not rate limited. */
    conf.rate_bps[TP_B] = 10000000;
    struct ctx *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    x->p = tp_new(&conf);
    tp_set_trace(x->p, trace_cb, x);
    tp_set_filter(x->p, TP_A, filter_cb, x);
    tp_set_event_cb(x->p, event_cb, x);
    tp_stream_init(&x->s, MIB, 5);
    x->s.shutdown_after = true;
    return x;
}

static struct ctx *ctx_new(bool sack)
{
    return ctx_new_opts(sack, true);
}

static void ctx_free(struct ctx *x)
{
    tp_free(x->p);
    tp_stream_free(&x->s);
    free(x->r);
    free(x);
}

static void ctx_drop(struct ctx *x, unsigned idx)
{
    assert_true(x->ndrop < MAX_DROPS);
    x->drop[x->ndrop++] = idx;
}

static bool transfer_done(struct tcp_pair *p, void *arg)
{
    struct ctx *x = arg;
    (void)p;
    umptcp_conn_info ai;
    return x->s.received == x->s.total && x->c[TP_A] != NULL &&
           umptcp_conn_get_info(x->c[TP_A], &ai) == 0 && ai.bytes_acked == x->s.total;
}

/* Connects, sends 1 MiB from A to B; returns the time from the connect to B having read it all
 * and A having it all acknowledged. Checks it arrived byte-exact and that no SACK was used. */
static uint64_t run_transfer(struct ctx *x)
{
    x->lis = tp_listen(x->p, TP_B, PORT, NULL);
    uint64_t t0 = x->p->now;
    x->c[TP_A] = tp_connect(x->p, TP_A, PORT, NULL);
    assert_true(tp_run_until(x->p, transfer_done, x, t0 + 60 * SEC));
    uint64_t took = x->p->now - t0;
    tp_stream_check(&x->s);
    return took;
}

static void assert_no_sack_used(const struct ctx *x)
{
    for (size_t i = 0; i < x->nr; i++)
        if (!(x->r[i].flags & WIRE_TCP_SYN))
            assert_int_equal(x->r[i].opts & WIRE_OPT_SACK, 0);
}

/* ---- what crossed the wire -------------------------------------------------------------- */

/* The first transmission of A's n-th data packet (1-based, counting every data packet). */
static const struct rec *nth_data(const struct ctx *x, unsigned n)
{
    unsigned k = 0;
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].from == TP_A && x->r[i].len > 0 && !x->r[i].injected && ++k == n)
            return &x->r[i];
    fail_msg("no data packet %u", n);
    return NULL;
}

/* A's k-th (0-based) retransmission of seq, or NULL. */
static const struct rec *retransmission(const struct ctx *x, uint32_t seq, unsigned k)
{
    for (size_t i = 0; i < x->nr; i++)
        if (x->r[i].from == TP_A && x->r[i].rtx && x->r[i].seq == seq && k-- == 0)
            return &x->r[i];
    return NULL;
}

static unsigned count_retransmissions(const struct ctx *x)
{
    unsigned n = 0;
    for (size_t i = 0; i < x->nr; i++)
        n += x->r[i].from == TP_A && x->r[i].rtx;
    return n;
}

/* B's k-th (0-based) pure ACK with this ACK number that reached A, or NULL. */
static const struct rec *ack_of(const struct ctx *x, uint32_t ack, unsigned k)
{
    for (size_t i = 0; i < x->nr; i++) {
        const struct rec *r = &x->r[i];
        if (r->from == TP_B && !r->dropped && r->len == 0 && r->ack == ack &&
            !(r->flags & (WIRE_TCP_SYN | WIRE_TCP_FIN)) && k-- == 0)
            return r;
    }
    return NULL;
}

static unsigned count_acks_of(const struct ctx *x, uint32_t ack)
{
    unsigned n = 0;
    while (ack_of(x, ack, n) != NULL)
        n++;
    return n;
}

/* A's new (not retransmitted) data packets sent at exactly time t. */
static unsigned new_data_sent_at(const struct ctx *x, uint64_t t)
{
    unsigned n = 0;
    for (size_t i = 0; i < x->nr; i++)
        n += x->r[i].from == TP_A && x->r[i].len > 0 && !x->r[i].rtx && !x->r[i].injected &&
             x->r[i].sent == t;
    return n;
}

static uint64_t counter(const struct ctx *x, const char *name)
{
    return tp_counter(x->p, TP_A, name);
}

/* The hole at seq was repaired by fast retransmit: once, on the third duplicate ACK (the first
 * two each let a new segment go, RFC 3042). Returns the retransmission. */
static const struct rec *check_fast_retransmit(const struct ctx *x, uint32_t seq)
{
    const struct rec *rt = retransmission(x, seq, 0);
    assert_non_null(rt);
    assert_null(retransmission(x, seq, 1));
    const struct rec *d1 = ack_of(x, seq, 1), *d2 = ack_of(x, seq, 2), *d3 = ack_of(x, seq, 3);
    assert_non_null(d3);
    assert_int_equal(rt->sent, d3->arrive);
    assert_int_equal(new_data_sent_at(x, d1->arrive), 1);
    assert_int_equal(new_data_sent_at(x, d2->arrive), 1);
    return rt;
}

/* ---- tests ------------------------------------------------------------------------------ */

/* The scoreboard side: tcp_rtx_mark_lost_at() marks the one entry holding seq (NextSeg rule
 * (1) then resends it) and keeps pipe consistent; no_rescue turns NextSeg rule (4) off; an ACK
 * reports the retransmissions it covers. */
static void test_scoreboard_mark_lost_at(void **state)
{
    (void)state;
    const uint32_t smss = 1000, iss = 0xfffff000u; /* crosses the wrap */
    for (int no_rescue = 0; no_rescue <= 1; no_rescue++) {
        struct tcp_rtx rtx;
        struct tcp_rtx_config cfg = {.smss = smss, .no_rescue = no_rescue};
        assert_int_equal(tcp_rtx_init(&rtx, iss, &cfg), 0);
        for (uint32_t i = 0; i < 8; i++)
            assert_int_equal(tcp_rtx_on_send(&rtx, iss + i * smss, smss, 10 + i, 0), 0);
        assert_int_equal(tcp_rtx_mark_lost_at(&rtx, iss - 1), 0);        /* below SND.UNA */
        assert_int_equal(tcp_rtx_mark_lost_at(&rtx, iss + 8 * smss), 0); /* SND.NXT */
        assert_int_equal(tcp_rtx_mark_lost_at(&rtx, iss + 2 * smss + 10), smss);
        assert_int_equal(tcp_rtx_mark_lost_at(&rtx, iss + 2 * smss), 0); /* already lost */
        assert_int_equal(tcp_rtx_lost_bytes(&rtx), smss);
        assert_int_equal(tcp_rtx_need_rtx_bytes(&rtx), smss);
        assert_int_equal(tcp_rtx_pipe(&rtx), 7 * smss);
        tcp_rtx_enter_recovery(&rtx);
        struct tcp_rtx_next next;
        tcp_rtx_next_seg(&rtx, false, &next);
        assert_int_equal(next.kind, TCP_RTX_NEXT_RETRANSMIT);
        assert_int_equal(next.seq, iss + 2 * smss);
        assert_int_equal(next.len, smss);
        assert_int_equal(tcp_rtx_on_send(&rtx, next.seq, next.len, 100, TCP_RTX_SEND_RETRANSMIT),
                         0);
        assert_int_equal(tcp_rtx_pipe(&rtx), 8 * smss);
        /* the retransmission in flight is not marked again */
        assert_int_equal(tcp_rtx_mark_lost_at(&rtx, iss + 2 * smss), 0);
        assert_int_equal(tcp_rtx_need_rtx_bytes(&rtx), 0);
        /* a cumulative ACK past it reports the retransmission and its time */
        struct tcp_rtx_ack ack = {.ack = iss + 4 * smss, .now = 130};
        struct tcp_rtx_ack_result res;
        assert_int_equal(tcp_rtx_on_ack(&rtx, &ack, 0, &res), 0);
        assert_true(res.acked_retrans);
        assert_int_equal(res.retrans_xmit_ts, 100);
        ack.ack = iss + 5 * smss;
        assert_int_equal(tcp_rtx_on_ack(&rtx, &ack, 0, &res), 0);
        assert_false(res.acked_retrans);
        /* nothing lost, nothing new: rule (4) resends the last segment unless turned off */
        tcp_rtx_next_seg(&rtx, false, &next);
        assert_int_equal(next.kind, no_rescue ? TCP_RTX_NEXT_NONE : TCP_RTX_NEXT_RESCUE);
        tcp_rtx_destroy(&rtx);
    }
}

/* RFC 5681 3.2: one lost segment is resent on the third duplicate ACK, about one RTT after it
 * was sent, with no retransmission timeout; RFC 3042 sends new data on the first two. */
static void test_single_loss_fast_retransmit(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(false);
    ctx_drop(x, 100);
    run_transfer(x);
    assert_no_sack_used(x);
    const struct rec *lost = nth_data(x, 100);
    assert_true(lost->dropped);
    const struct rec *rt = check_fast_retransmit(x, lost->seq);
    /* The ACK for the original is due at sent + RTT; the third duplicate comes right then or
     * within the same flight. */
    assert_true(rt->sent >= lost->sent + RTT && rt->sent < lost->sent + RTT + RTT / 2);
    assert_int_equal(count_retransmissions(x), 1);
    assert_int_equal(counter(x, "TcpExtTCPTimeouts"), 0);
    assert_int_equal(counter(x, "TcpExtTCPRenoRecovery"), 1);
    assert_int_equal(counter(x, "TcpExtTCPSackRecovery"), 0);
    assert_int_equal(counter(x, "TcpRetransSegs"), 1);
    ctx_free(x);
}

/* RFC 6582 3.2 3): three holes in one window: one recovery; the first hole is resent on the
 * third duplicate ACK, each later one on the partial ACK that stops at it, one RTT apart. */
static void partial_acks(bool timestamps)
{
    struct ctx *x = ctx_new_opts(false, timestamps);
    const unsigned drops[] = {100, 103, 107};
    for (size_t i = 0; i < 3; i++)
        ctx_drop(x, drops[i]);
    run_transfer(x);
    assert_no_sack_used(x);
    const struct rec *prev = NULL;
    for (size_t i = 0; i < 3; i++) {
        const struct rec *lost = nth_data(x, drops[i]);
        assert_true(lost->dropped);
        const struct rec *rt = retransmission(x, lost->seq, 0);
        assert_non_null(rt);
        assert_null(retransmission(x, lost->seq, 1));
        if (prev == NULL) {
            assert_ptr_equal(check_fast_retransmit(x, lost->seq), rt);
        } else {
            /* the partial ACK: the first ACK that reaches this hole triggers it */
            const struct rec *partial = ack_of(x, lost->seq, 0);
            assert_non_null(partial);
            assert_int_equal(rt->sent, partial->arrive);
            assert_true(rt->sent >= prev->sent + RTT && rt->sent < prev->sent + RTT + RTT / 2);
        }
        prev = rt;
    }
    assert_int_equal(count_retransmissions(x), 3);
    assert_int_equal(counter(x, "TcpExtTCPTimeouts"), 0);
    assert_int_equal(counter(x, "TcpExtTCPRenoRecovery"), 1);
    ctx_free(x);
}

static void test_partial_acks_repair_each_hole(void **state)
{
    (void)state;
    partial_acks(true);
    partial_acks(false); /* the partial ACK is told from a reordered original by min_RTT */
}

/* Losses in two different windows: two recoveries (the second starts once SND.UNA is past
 * `recover`), no timeout. */
static void test_losses_in_two_windows(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(false);
    ctx_drop(x, 40);
    ctx_drop(x, 400);
    run_transfer(x);
    check_fast_retransmit(x, nth_data(x, 40)->seq);
    check_fast_retransmit(x, nth_data(x, 400)->seq);
    assert_int_equal(count_retransmissions(x), 2);
    assert_int_equal(counter(x, "TcpExtTCPTimeouts"), 0);
    assert_int_equal(counter(x, "TcpExtTCPRenoRecovery"), 2);
    ctx_free(x);
}

/* Reordering: a segment overtaken by `depth` later ones gives `depth` duplicate ACKs. Two are
 * below DupThresh: no retransmission at all, only limited transmit; three make one (RFC 5681
 * cannot tell reordering that deep from loss), and only one: the ACKs that follow answer
 * original transmissions (their timestamps, or their arriving sooner than min_RTT after the
 * retransmission, say so) and are not taken for partial ACKs. */
static void reorder(unsigned depth, bool timestamps)
{
    struct ctx *x = ctx_new_opts(false, timestamps);
    x->hold = 100;
    x->hold_depth = depth;
    run_transfer(x);
    uint32_t seq = nth_data(x, 100)->seq;
    assert_int_equal(count_acks_of(x, seq), depth + 1); /* the ACK for 99, then duplicates */
    for (unsigned k = 1; k <= depth && k <= 2; k++)
        assert_int_equal(new_data_sent_at(x, ack_of(x, seq, k)->arrive), 1);
    unsigned fast = depth >= 3 ? 1 : 0;
    assert_int_equal(count_retransmissions(x), fast);
    assert_int_equal(counter(x, "TcpExtTCPRenoRecovery"), fast);
    assert_int_equal(counter(x, "TcpExtTCPTimeouts"), 0);
    ctx_free(x);
}

static void test_reordering_below_dupthresh(void **state)
{
    (void)state;
    for (int ts = 0; ts <= 1; ts++) {
        reorder(1, ts);
        reorder(2, ts);
        reorder(3, ts);
    }
}

/* The loss lands where fewer than three segments follow it: no fast retransmit (not enough
 * duplicate ACKs), the RTO repairs it. */
static void test_tail_loss_waits_for_rto(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(false);
    tp_stream_free(&x->s);
    tp_stream_init(&x->s, 100 * 1448, 5); /* 100 full segments: two follow the 98th */
    x->s.shutdown_after = true;
    ctx_drop(x, 98);
    run_transfer(x);
    /* the ACK that stopped at the hole (if it was not delayed past it) and two duplicates */
    assert_true(count_acks_of(x, nth_data(x, 98)->seq) <= 3);
    assert_null(ack_of(x, nth_data(x, 98)->seq, 3));
    assert_int_equal(counter(x, "TcpExtTCPRenoRecovery"), 0);
    assert_int_equal(counter(x, "TcpExtTCPTimeouts"), 1);
    ctx_free(x);
}

/* With SACK nothing changed: RACK repairs the loss, counted as a SACK recovery. */
static void test_sack_connection_unchanged(void **state)
{
    (void)state;
    struct ctx *x = ctx_new(true);
    ctx_drop(x, 100);
    run_transfer(x);
    const struct rec *lost = nth_data(x, 100);
    assert_non_null(retransmission(x, lost->seq, 0));
    assert_int_equal(count_retransmissions(x), 1);
    assert_int_equal(counter(x, "TcpExtTCPSackRecovery"), 1);
    assert_int_equal(counter(x, "TcpExtTCPRenoRecovery"), 0);
    assert_int_equal(counter(x, "TcpExtTCPTimeouts"), 0);
    ctx_free(x);
}

/* 1 and 10 drops in 1 MiB, SACK off and on: completion times (printed for comparison). Without
 * SACK no timeout is needed; each hole costs about one RTT. */
static void figure(const unsigned *drops, size_t n, bool sack)
{
    struct ctx *x = ctx_new(sack);
    for (size_t i = 0; i < n; i++)
        ctx_drop(x, drops[i]);
    uint64_t took = run_transfer(x);
    uint64_t timeouts = counter(x, "TcpExtTCPTimeouts");
    print_message("  1 MiB, %zu drop%s, SACK %s: %.3f s, %u retransmissions, %llu timeouts\n", n,
                  n == 1 ? "" : "s", sack ? "on " : "off", (double)took / 1e9,
                  count_retransmissions(x), (unsigned long long)timeouts);
    assert_int_equal(count_retransmissions(x), n);
    if (!sack)
        assert_int_equal(timeouts, 0);
    ctx_free(x);
}

static void test_completion_figures(void **state)
{
    (void)state;
    const unsigned one[] = {300};
    const unsigned ten[] = {5, 40, 41, 42, 120, 300, 301, 500, 700, 701};
    for (int sack = 0; sack <= 1; sack++) {
        figure(one, 1, sack);
        figure(ten, 10, sack);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scoreboard_mark_lost_at),
        cmocka_unit_test(test_single_loss_fast_retransmit),
        cmocka_unit_test(test_partial_acks_repair_each_hole),
        cmocka_unit_test(test_losses_in_two_windows),
        cmocka_unit_test(test_reordering_below_dupthresh),
        cmocka_unit_test(test_tail_loss_waits_for_rto),
        cmocka_unit_test(test_sack_connection_unchanged),
        cmocka_unit_test(test_completion_figures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
