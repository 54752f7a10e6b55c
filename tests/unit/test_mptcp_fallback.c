/* RFC 8684 3.7 between two umptcp stacks over the in-process pair, with a middlebox on the
 * wire: MPTCP options stripped from the SYN/ACK, from the third ACK, or from every segment
 * after the handshake in one direction or both (fallback to TCP, infinite mapping), and a
 * payload byte rewritten with DSS checksums on (MP_FAIL: a reset and reinjection with two
 * subflows, fallback with an infinite mapping with one). Every transfer goes both ways and is
 * checked byte for byte (length and SHA-256); the counters show what happened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mptcp/mptcp_conn.h"
#include "stack/stack_internal.h"
#include "tcp_pair.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "wire/mptcp_opt.h"
#include "wire/tcp.h"

#include <stdlib.h>
#include <string.h>

/* What the middlebox does to the segments of one direction. */
enum fb_strip {
    STRIP_NONE,
    STRIP_SYNACK,    /* MPTCP options off the SYN/ACK */
    STRIP_THIRD_ACK, /* ... off the client's first segment after the SYN/ACK */
    STRIP_AFTER,     /* ... off every segment after the handshake (SYN, SYN/ACK, third ACK) */
    STRIP_AFTER_CORRUPTION, /* ... off every segment once a payload was damaged */
};

struct fx {
    struct tcp_pair *p;
    umptcp_listener *lis;
    umptcp_conn *c[2];
    struct tp_stream s[2]; /* s[X]: what X sends */
    bool closed[2];
    int err[2];
    enum fb_strip strip[2]; /* per sending side */
    unsigned nonsyn[2];     /* segments without SYN sent so far, per side */
    unsigned stripped[2];
    /* Payload rewriting: the corrupt_at-th data segment from side corrupt_from (counted from
     * 1, original transmissions only) gets one byte changed; 0 = none. */
    int corrupt_from;
    unsigned corrupt_at;
    bool corrupt_second_only; /* count only segments from A's second address (10.0.0.11) */
    unsigned data_seen[2];
    unsigned corrupted;
    uint32_t corrupted_seq;
    bool second_addr;
    unsigned data_from_second;
    unsigned mptcp_opts_after_fallback[2]; /* MPTCP options seen once both fell back */
    bool in_read[2];                       /* side X is inside its read loop */
    unsigned reentered[2];                 /* events that reached side X while it was reading */
    uint64_t pause_b_until;                /* B reads nothing before then (its buffers fill) */
    bool strip_second_data; /* MPTCP options off A's data segments from its second address */
};

static void pump(struct fx *x, int side)
{
    umptcp_conn *c = x->c[side];
    if (c == NULL)
        return;
    tp_stream_write(&x->s[side], c, x->p->now);
    if (side == TP_B && x->p->now < x->pause_b_until)
        return;
    x->in_read[side] = true;
    tp_stream_read(&x->s[1 - side], c, SIZE_MAX, x->p->now);
    x->in_read[side] = false;
}

static void on_event(void *user, struct tcp_pair *p, int side, umptcp_conn *c,
                     const umptcp_event *ev)
{
    struct fx *x = user;
    (void)p;
    if (x->in_read[side] && c == x->c[side]) {
        x->reentered[side]++; /* an event from inside umptcp_conn_read */
        return;
    }
    if (ev->type == UMPTCP_EV_ACCEPTABLE) {
        x->c[side] = umptcp_accept(ev->listener, NULL);
        pump(x, side);
        return;
    }
    if (ev->type == UMPTCP_EV_CLOSED) {
        x->closed[side] = true;
        x->err[side] = ev->error;
        return;
    }
    if (c == x->c[side])
        pump(x, side);
}

static struct wire_segment_spec spec_of(const struct wire_segment *seg)
{
    struct wire_segment_spec spec = {.src = {.addr = seg->ip.src, .port = seg->tcp.sport},
                                     .dst = {.addr = seg->ip.dst, .port = seg->tcp.dport},
                                     .seq = seg->tcp.seq,
                                     .ack = seg->tcp.ack,
                                     .flags = seg->tcp.flags,
                                     .window = seg->tcp.window,
                                     .payload = seg->tcp.payload,
                                     .payload_len = seg->tcp.payload_len};
    return spec;
}

static bool strip_this(struct fx *x, int from, const struct wire_segment *seg)
{
    bool syn = seg->tcp.flags & WIRE_TCP_SYN;
    if (!syn)
        x->nonsyn[from]++;
    switch (x->strip[from]) {
    case STRIP_SYNACK:
        return syn && (seg->tcp.flags & WIRE_TCP_ACK);
    case STRIP_THIRD_ACK:
        return !syn && x->nonsyn[from] == 1;
    case STRIP_AFTER:
        /* The client's first segment after the SYN/ACK is the third ACK. */
        return !syn && (from == TP_B || x->nonsyn[from] > 1);
    case STRIP_AFTER_CORRUPTION:
        return x->corrupted > 0;
    default:
        return false;
    }
}

static bool from_second(const struct wire_segment *seg)
{
    umptcp_addr second;
    umptcp_addr_parse(&second, "10.0.0.11");
    return umptcp_addr_equal(&seg->ip.src, &second);
}

static bool corrupt_this(struct fx *x, int from, const struct wire_segment *seg)
{
    if (x->corrupt_at == 0 || from != x->corrupt_from || seg->tcp.payload_len == 0 ||
        x->corrupted > 0 || (x->corrupt_second_only && !from_second(seg)))
        return false;
    return ++x->data_seen[from] == x->corrupt_at;
}

static enum tp_verdict middlebox(void *user, struct tcp_pair *p, int from, struct tp_packet *pkt,
                                 const struct wire_segment *seg)
{
    struct fx *x = user;
    (void)p;
    if (seg == NULL)
        return TP_PASS;
    bool strip = strip_this(x, from, seg) && seg->opt.mptcp_count > 0;
    if (x->strip_second_data && from == TP_A && seg->tcp.payload_len > 0 && from_second(seg) &&
        seg->opt.mptcp_count > 0)
        strip = true;
    bool corrupt = corrupt_this(x, from, seg);
    if (!strip && !corrupt)
        return TP_PASS;
    struct wire_segment_spec spec = spec_of(seg);
    struct wire_tcp_options opt = seg->opt;
    uint8_t payload[2048];
    if (strip) {
        opt.mptcp_count = 0;
        x->stripped[from]++;
    }
    if (corrupt) {
        /* A payload rewrite that fixes the TCP checksum (as an ALG would): only the DSS
         * checksum can tell. */
        assert_true(seg->tcp.payload_len <= sizeof(payload));
        memcpy(payload, seg->tcp.payload, seg->tcp.payload_len);
        payload[seg->tcp.payload_len / 2] ^= 0x5a;
        spec.payload = payload;
        x->corrupted++;
        x->corrupted_seq = seg->tcp.seq;
    }
    spec.opt = &opt;
    tp_packet_rewrite(pkt, &spec);
    return TP_PASS;
}

static void trace(void *user, struct tcp_pair *p, const struct tp_trace *t)
{
    struct fx *x = user;
    (void)p;
    if (t->seg == NULL || t->dropped)
        return;
    if (x->second_addr && t->from == TP_A && t->seg->tcp.payload_len > 0 && from_second(t->seg))
        x->data_from_second++;
}

static bool both_closed(struct tcp_pair *p, void *arg)
{
    struct fx *x = arg;
    (void)p;
    return x->closed[TP_A] && x->closed[TP_B];
}

static struct fx *fx_new_rcvbuf(bool second_addr, uint32_t rcvbuf_max)
{
    struct fx *x = calloc(1, sizeof(*x));
    struct tp_config conf;
    tp_config_init(&conf);
    for (int i = 0; i < 2 && rcvbuf_max != 0; i++) {
        conf.cfg[i].rcvbuf_max = rcvbuf_max;
        conf.cfg[i].rcvbuf = rcvbuf_max < conf.cfg[i].rcvbuf ? rcvbuf_max : conf.cfg[i].rcvbuf;
    }
    x->p = tp_new(&conf);
    x->second_addr = second_addr;
    tp_set_event_cb(x->p, on_event, x);
    tp_set_trace(x->p, trace, x);
    tp_set_filter(x->p, TP_A, middlebox, x);
    tp_set_filter(x->p, TP_B, middlebox, x);
    if (second_addr) {
        umptcp_addr a2;
        assert_int_equal(umptcp_addr_parse(&a2, "10.0.0.11"), 0);
        assert_int_equal(umptcp_stack_add_address(x->p->st[TP_A], 2, &a2), 0);
    }
    return x;
}

static struct fx *fx_new(bool csum, bool second_addr)
{
    (void)csum;
    return fx_new_rcvbuf(second_addr, 0);
}

/* Runs a transfer of bytes A -> B and bytes / 2 B -> A and checks both byte for byte. */
static void fx_run(struct fx *x, bool csum, size_t bytes)
{
    tp_stream_init(&x->s[TP_A], bytes, 1);
    tp_stream_init(&x->s[TP_B], bytes / 2, 2);
    x->s[TP_A].shutdown_after = x->s[TP_B].shutdown_after = true;
    umptcp_conn_opts so = {.mptcp = true};
    x->lis = tp_listen(x->p, TP_B, 5201, &so);
    umptcp_conn_opts co = {.mptcp = true, .mptcp_checksum = csum};
    x->c[TP_A] = tp_connect(x->p, TP_A, 5201, &co);
    if (x->pause_b_until > 0) { /* then B reads what waited, and goes on */
        tp_run_to(x->p, x->pause_b_until);
        pump(x, TP_B);
    }
    bool done = tp_run_until(x->p, both_closed, x, x->p->now + 120 * TP_SEC);
    if (!done || getenv("FX_DEBUG") != NULL) {
        for (int side = 0; side < 2; side++) {
            umptcp_counter cs[160];
            size_t n = umptcp_stack_counters(x->p->st[side], cs, 160);
            for (size_t i = 0; i < n && i < 160; i++)
                if (cs[i].value != 0 && strncmp(cs[i].name, "MPTcp", 5) == 0)
                    print_message("  %c %s=%llu\n", side ? 'B' : 'A', cs[i].name,
                                  (unsigned long long)cs[i].value);
        }
        for (int side = 0; side < 2; side++) {
            struct mptcp_conn *mc = x->c[side] != NULL ? x->c[side]->mp : NULL;
            for (unsigned i = 0; mc != NULL && i < mc->nsub; i++) {
                const struct mptcp_subflow *sf = mc->sub[i];
                print_message("  %c subflow %u: state %s closed %d stalled %d reinject %d maps %zu "
                              "unacked %u\n",
                              side ? 'B' : 'A', i,
                              sf->sk ? umptcp_conn_state_name(sf->sk->state) : "-", sf->closed,
                              sf->stalled, sf->reinject_pending, mptcp_smap_count(&sf->smap),
                              sf->sk ? sf->sk->snd_nxt - sf->sk->snd_una : 0);
            }
            if (mc != NULL)
                print_message("  %c data: snd_una %llu snd_nxt %llu rcv_nxt %llu\n",
                              side ? 'B' : 'A', (unsigned long long)mc->snd_una,
                              (unsigned long long)mc->snd_nxt, (unsigned long long)mc->rcv_nxt);
        }
        print_message("  at %.3f s: A sent %zu, B read %zu; B sent %zu, A read %zu\n",
                      (double)x->p->now / 1e9, x->s[TP_A].written, x->s[TP_A].received,
                      x->s[TP_B].written, x->s[TP_B].received);
    }
    assert_true(done);
    tp_stream_check(&x->s[TP_A]);
    tp_stream_check(&x->s[TP_B]);
    assert_int_equal(x->s[TP_A].received, bytes);
    assert_int_equal(x->s[TP_B].received, bytes / 2);
    assert_int_equal(x->err[TP_A], 0);
    assert_int_equal(x->err[TP_B], 0);
    assert_int_equal(x->reentered[TP_A] + x->reentered[TP_B], 0);
}

static void fx_free(struct fx *x)
{
    for (int i = 0; i < 2; i++) {
        if (x->c[i] != NULL)
            umptcp_conn_close(x->c[i], x->p->now);
        tp_stream_free(&x->s[i]);
    }
    tp_free(x->p);
    free(x);
}

static const char *reason(const struct fx *x, int side)
{
    return mptcp_conn_fallback_reason(x->c[side]->mp);
}

static uint64_t ctr(const struct fx *x, int side, const char *name)
{
    return tp_counter(x->p, side, name);
}

/* ---- options stripped ----------------------------------------------------------------------- */

/* The SYN/ACK loses its MP_CAPABLE: the client falls back at once, the server when the third
 * ACK comes without one (3.7: "if either of the SYN messages does not have the MPTCP options"). */
static void test_strip_synack(void **state)
{
    (void)state;
    struct fx *x = fx_new(false, false);
    x->strip[TP_B] = STRIP_SYNACK;
    fx_run(x, false, 2 << 20);
    assert_int_equal(x->stripped[TP_B], 1);
    assert_int_equal(ctr(x, TP_A, "MPTcpExtMPCapableFallbackSYNACK"), 1);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtMPCapableFallbackACK"), 1);
    assert_string_equal(reason(x, TP_A), "no MP_CAPABLE on the SYN/ACK");
    assert_string_equal(reason(x, TP_B), "no MP_CAPABLE on the third ACK");
    assert_int_equal(ctr(x, TP_A, "MPTcpExtInfiniteMapTx"), 0);
    fx_free(x);
}

/* The third ACK loses its MP_CAPABLE: the server falls back without the client's key; the
 * client learns it from the server's ACKs of its data, which carry no DATA_ACK (3.7). */
static void test_strip_third_ack(void **state)
{
    (void)state;
    struct fx *x = fx_new(false, false);
    x->strip[TP_A] = STRIP_THIRD_ACK;
    fx_run(x, false, 2 << 20);
    assert_int_equal(x->stripped[TP_A], 1);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtMPCapableFallbackACK"), 1);
    assert_int_equal(ctr(x, TP_A, "MPTcpExtFallback"), 1);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtFallback"), 1);
    assert_string_equal(reason(x, TP_B), "no MP_CAPABLE on the third ACK");
    assert_non_null(reason(x, TP_A));
    print_message("  client: %s\n", reason(x, TP_A));
    fx_free(x);
}

/* Options pass the handshake, then vanish in the directions given. */
static struct fx *run_strip_after(bool a_to_b, bool b_to_a, bool csum)
{
    struct fx *x = fx_new(csum, false);
    if (a_to_b)
        x->strip[TP_A] = STRIP_AFTER;
    if (b_to_a)
        x->strip[TP_B] = STRIP_AFTER;
    fx_run(x, csum, 4 << 20);
    for (int side = 0; side < 2; side++) {
        assert_int_equal(ctr(x, side, "MPTcpExtFallback"), 1);
        assert_int_equal(ctr(x, side, "MPTcpExtFallbackFailed"), 0);
        assert_int_equal(ctr(x, side, "MPTcpExtMPCapableFallbackSYNACK"), 0);
        assert_int_equal(ctr(x, side, "MPTcpExtMPCapableFallbackACK"), 0);
        assert_non_null(reason(x, side));
        print_message("  %c: %s (InfiniteMapTx %llu, InfiniteMapRx %llu)\n", side ? 'B' : 'A',
                      reason(x, side), (unsigned long long)ctr(x, side, "MPTcpExtInfiniteMapTx"),
                      (unsigned long long)ctr(x, side, "MPTcpExtInfiniteMapRx"));
    }
    assert_int_equal(ctr(x, TP_B, "MPTcpExtMPCapableACKRX"), 1);
    return x;
}

/* Client -> server options lost: the server sees data without DSS and falls back; its
 * infinite mapping reaches the client (the other direction still passes options). */
static void test_strip_after_handshake_c2s(void **state)
{
    (void)state;
    struct fx *x = run_strip_after(true, false, false);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtMPCapableDataFallback"), 1);
    assert_string_equal(reason(x, TP_B), "no DSS after the handshake");
    assert_int_equal(ctr(x, TP_B, "MPTcpExtInfiniteMapTx"), 1);
    assert_int_equal(ctr(x, TP_A, "MPTcpExtInfiniteMapRx"), 1);
    assert_string_equal(reason(x, TP_A), "infinite mapping received");
    fx_free(x);
}

/* Server -> client options lost: the client sees data or ACKs without DSS; its infinite
 * mapping reaches the server. */
static void test_strip_after_handshake_s2c(void **state)
{
    (void)state;
    struct fx *x = run_strip_after(false, true, false);
    assert_int_equal(ctr(x, TP_A, "MPTcpExtInfiniteMapTx"), 1);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtInfiniteMapRx"), 1);
    assert_string_equal(reason(x, TP_B), "infinite mapping received");
    fx_free(x);
}

/* Both directions lose their options: each side falls back on its own evidence. */
static void test_strip_after_handshake_both(void **state)
{
    (void)state;
    struct fx *x = run_strip_after(true, true, false);
    assert_int_equal(ctr(x, TP_A, "MPTcpExtInfiniteMapRx"), 0);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtInfiniteMapRx"), 0);
    assert_int_equal(
        ctr(x, TP_A, "MPTcpExtMPCapableDataFallback") + ctr(x, TP_A, "MPTcpExtDssFallback"), 1);
    assert_int_equal(
        ctr(x, TP_B, "MPTcpExtMPCapableDataFallback") + ctr(x, TP_B, "MPTcpExtDssFallback"), 1);
    fx_free(x);
}

/* The same with checksums negotiated (the infinite mapping then carries a zero checksum). */
static void test_strip_after_handshake_csum(void **state)
{
    (void)state;
    struct fx *x = run_strip_after(true, false, true);
    assert_int_equal(ctr(x, TP_A, "MPTcpExtInfiniteMapRx"), 1);
    assert_int_equal(ctr(x, TP_A, "MPTcpExtDSSCsumMismatch"), 0);
    assert_int_equal(ctr(x, TP_A, "MPTcpExtDataCsumErr"), 0);
    fx_free(x);
}

/* ---- payload rewritten, checksums on ------------------------------------------------------- */

/* One subflow: the receiver of the damaged mapping sends MP_FAIL and drops it; the sender
 * falls back, sends the data again from the MP_FAIL's DSN behind an infinite mapping (3.7);
 * not one damaged byte reaches the application. from: the side whose data is damaged. */
static void run_csum_single(int from)
{
    struct fx *x = fx_new(true, false);
    x->corrupt_from = from;
    x->corrupt_at = 40;
    fx_run(x, true, 4 << 20);
    int to = 1 - from;
    assert_int_equal(x->corrupted, 1);
    assert_int_equal(ctr(x, to, "MPTcpExtDataCsumErr"), 1);
    assert_int_equal(ctr(x, to, "MPTcpExtMPFailTx"), 1);
    assert_int_equal(ctr(x, from, "MPTcpExtMPFailRx"), 1);
    assert_int_equal(ctr(x, from, "MPTcpExtMPFailTx"), 1); /* the answer (3.7) */
    assert_int_equal(ctr(x, to, "MPTcpExtMPFailRx"), 1);
    assert_int_equal(ctr(x, from, "MPTcpExtInfiniteMapTx"), 1);
    assert_int_equal(ctr(x, to, "MPTcpExtInfiniteMapRx"), 1);
    assert_int_equal(ctr(x, from, "MPTcpExtDataCsumErr"), 0);
    assert_string_equal(reason(x, to), "DSS checksum failed (MP_FAIL)");
    assert_string_equal(reason(x, from), "MP_FAIL received");
    fx_free(x);
}

static void test_csum_fail_single_subflow_c2s(void **state)
{
    (void)state;
    run_csum_single(TP_A);
}

static void test_csum_fail_single_subflow_s2c(void **state)
{
    (void)state;
    run_csum_single(TP_B);
}

/* One subflow, and the answer to our MP_FAIL never comes (a middlebox strips the sender's
 * options once it damaged a payload, infinite mapping included). Regressions: when the sender
 * then finished, the receiver took its FIN as the end of the stream and reported an orderly
 * close after 55 KB of 4 MB (the rest dropped while waiting); when the sender stayed idle,
 * the receiver waited forever. Now the FIN resets the connection, and so does the wait after
 * MPTCP_FAIL_TIMEOUT_NS (as Linux). Every byte read is the byte sent at its offset. */
static void run_unanswered(bool sender_finishes)
{
    struct fx *x = fx_new(true, false);
    x->corrupt_from = TP_A;
    x->corrupt_at = 40;
    x->strip[TP_A] = STRIP_AFTER_CORRUPTION;
    tp_stream_init(&x->s[TP_A], 4u << 20, 1);
    tp_stream_init(&x->s[TP_B], 64u << 10, 2);
    x->s[TP_A].shutdown_after = x->s[TP_B].shutdown_after = sender_finishes;
    umptcp_conn_opts so = {.mptcp = true};
    x->lis = tp_listen(x->p, TP_B, 5201, &so);
    umptcp_conn_opts co = {.mptcp = true, .mptcp_checksum = true};
    x->c[TP_A] = tp_connect(x->p, TP_A, 5201, &co);
    assert_true(tp_run_until(x->p, both_closed, x, x->p->now + 300 * TP_SEC));
    print_message("  closed at %.1f s: A error %d, B error %d; B read %zu of %zu\n",
                  (double)x->p->now / 1e9, x->err[TP_A], x->err[TP_B], x->s[TP_A].received,
                  x->s[TP_A].written);
    assert_int_equal(x->corrupted, 1);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtMPFailTx"), 1);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtInfiniteMapRx"), 0);
    if (sender_finishes) {
        assert_true(x->p->now < 10 * TP_SEC);
    } else {
        assert_true(x->p->now >= MPTCP_FAIL_TIMEOUT_NS);
        assert_true(x->p->now < MPTCP_FAIL_TIMEOUT_NS + 30 * TP_SEC);
        assert_int_not_equal(x->err[TP_A], 0); /* our reset reached it */
    }
    assert_int_not_equal(x->err[TP_B], 0);
    tp_stream_check_prefix(&x->s[TP_A]);
    assert_true(x->s[TP_A].received < x->s[TP_A].written);
    fx_free(x);
}

static void test_csum_fail_unanswered_fin(void **state)
{
    (void)state;
    run_unanswered(true);
}

static void test_csum_fail_unanswered_idle(void **state)
{
    (void)state;
    run_unanswered(false);
}

/* Two subflows: the damaged one is reset with MP_FAIL on its RST; the data it carried is sent
 * again on the other one (3.7, 3.3.6); the connection stays MPTCP. */
static void test_csum_fail_two_subflows(void **state)
{
    (void)state;
    struct fx *x = fx_new(true, true);
    x->corrupt_from = TP_A;
    x->corrupt_at = 20;
    x->corrupt_second_only = true;
    fx_run(x, true, 8 << 20);
    assert_int_equal(x->corrupted, 1);
    print_message("  data segments from the second address: %u\n", x->data_from_second);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtDataCsumErr"), 1);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtMPFailTx"), 1);
    assert_int_equal(ctr(x, TP_A, "MPTcpExtMPFailRx"), 1);
    assert_true(ctr(x, TP_A, "MPTcpExtReinject") >= 1);
    assert_int_equal(ctr(x, TP_A, "MPTcpExtFallback"), 0);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtFallback"), 0);
    assert_int_equal(ctr(x, TP_A, "MPTcpExtInfiniteMapTx"), 0);
    assert_null(reason(x, TP_A));
    assert_null(reason(x, TP_B));
    fx_free(x);
}

/* 3.7: a join whose data segments lose their mappings is reset (no fallback: the data in
 * flight is not contiguous); its data goes again on the initial subflow, the connection
 * stays MPTCP. */
static void test_join_loses_mappings(void **state)
{
    (void)state;
    struct fx *x = fx_new(false, true);
    x->strip_second_data = true;
    fx_run(x, false, 4 << 20);
    print_message("  data segments from the second address: %u (stripped %u)\n",
                  x->data_from_second, x->stripped[TP_A]);
    assert_true(x->stripped[TP_A] >= 1);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtMPJoinAckRx"), 1);
    assert_true(ctr(x, TP_B, "MPTcpExtFallbackFailed") >= 1);
    assert_true(ctr(x, TP_A, "MPTcpExtReinject") >= 1);
    assert_int_equal(ctr(x, TP_A, "MPTcpExtFallback"), 0);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtFallback"), 0);
    assert_null(reason(x, TP_A));
    assert_null(reason(x, TP_B));
    fx_free(x);
}

/* Not 3.7, but found by its tests: a read never raises an event on its own connection (an
 * application with one read buffer would re-enter the read and lose what it returns). After a
 * fallback the subflow's window is its own: when the server's application pauses, both the
 * data level and the subflow fill, and each read that makes room pulls bytes up. */
static void test_read_raises_no_event(void **state)
{
    (void)state;
    struct fx *x = fx_new_rcvbuf(false, 256u << 10);
    x->strip[TP_B] = STRIP_SYNACK;
    x->pause_b_until = 500 * TP_MS;
    fx_run(x, false, 4 << 20);
    assert_int_equal(ctr(x, TP_B, "MPTcpExtFallback"), 1);
    fx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strip_synack),
        cmocka_unit_test(test_strip_third_ack),
        cmocka_unit_test(test_strip_after_handshake_c2s),
        cmocka_unit_test(test_strip_after_handshake_s2c),
        cmocka_unit_test(test_strip_after_handshake_both),
        cmocka_unit_test(test_strip_after_handshake_csum),
        cmocka_unit_test(test_csum_fail_single_subflow_c2s),
        cmocka_unit_test(test_csum_fail_single_subflow_s2c),
        cmocka_unit_test(test_csum_fail_unanswered_fin),
        cmocka_unit_test(test_csum_fail_unanswered_idle),
        cmocka_unit_test(test_csum_fail_two_subflows),
        cmocka_unit_test(test_join_loses_mappings),
        cmocka_unit_test(test_read_raises_no_event),
    };
    if (getenv("FX_ONLY") != NULL)
        cmocka_set_test_filter(getenv("FX_ONLY"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
