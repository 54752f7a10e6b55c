/* MPTCP between two umptcp stacks over the in-process pair (one subflow for now): the
 * MP_CAPABLE handshake in both roles, DSS mappings and DATA_ACKs on every segment, byte-exact
 * transfers both ways with DATA_FIN, checksums, losses, and the fallback to TCP when the peer
 * does not answer with MP_CAPABLE (RFC 8684 3.1, 3.3, 3.7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tcp_pair.h"
#include "testutil.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "wire/mptcp_opt.h"
#include "wire/tcp.h"

#include <stdlib.h>
#include <string.h>

struct mx {
    struct tcp_pair *p;
    umptcp_listener *lis;
    umptcp_conn *c[2];
    struct tp_stream s[2]; /* s[X]: what X sends */
    bool closed[2];
    int err[2];
    /* what crossed the wire */
    unsigned data_segs[2], data_with_dss[2], data_with_mpc[2], segs_with_mptcp[2];
    unsigned drop_every, sent_data_a;
    bool second_addr;               /* give A a second address (10.0.0.11): a second subflow */
    bool corrupt_join_hmac;         /* B's MP_JOIN SYN/ACK HMAC is damaged on the wire */
    unsigned data_from_second;      /* data segments A sent from its second address */
    bool server_second_addr;        /* give B a second address (10.0.0.12), which it announces */
    uint64_t cut_second_at;         /* from then on, A's second address is unreachable both ways */
    unsigned data_to_server_second; /* data segments A sent to it */
    bool c_flag;                    /* B's MP_CAPABLE SYN/ACK gets flag C set on the wire */
    bool v0;                        /* ... or version 0 (an RFC 6824 responder) */
    bool v0_syn;                    /* A's SYN offers MP_CAPABLE version 0 (an RFC 6824 client) */
    unsigned syns_to_initial;       /* SYNs A sent to B's first address, 10.0.0.2 */
};

static void pump(struct mx *x, int side)
{
    umptcp_conn *c = x->c[side];
    if (c == NULL)
        return;
    tp_stream_write(&x->s[side], c, x->p->now);
    tp_stream_read(&x->s[1 - side], c, SIZE_MAX, x->p->now);
}

static void on_event(void *user, struct tcp_pair *p, int side, umptcp_conn *c,
                     const umptcp_event *ev)
{
    struct mx *x = user;
    (void)p;
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

static bool has_subtype(const struct wire_segment *seg, unsigned subtype)
{
    for (unsigned i = 0; i < seg->opt.mptcp_count; i++) {
        struct wire_mptcp_opt o;
        if (wire_mptcp_parse(seg->opt.mptcp[i].data, seg->opt.mptcp[i].len, &o) > 0 &&
            o.subtype == subtype)
            return true;
    }
    return false;
}

static void trace(void *user, struct tcp_pair *p, const struct tp_trace *t)
{
    struct mx *x = user;
    if (t->seg == NULL || t->dropped)
        return;
    if (t->seg->opt.mptcp_count > 0)
        x->segs_with_mptcp[t->from]++;
    if (t->from == TP_A && t->seg->tcp.flags == WIRE_TCP_SYN &&
        umptcp_addr_equal(&t->seg->ip.dst, &p->addr[TP_B]))
        x->syns_to_initial++;
    if (t->seg->tcp.payload_len == 0)
        return;
    x->data_segs[t->from]++;
    umptcp_addr second;
    umptcp_addr_parse(&second, "10.0.0.11");
    if (t->from == TP_A && umptcp_addr_equal(&t->seg->ip.src, &second))
        x->data_from_second++;
    umptcp_addr server_second;
    umptcp_addr_parse(&server_second, "10.0.0.12");
    if (t->from == TP_A && umptcp_addr_equal(&t->seg->ip.dst, &server_second))
        x->data_to_server_second++;
    if (has_subtype(t->seg, WIRE_MPTCP_DSS))
        x->data_with_dss[t->from]++;
    if (has_subtype(t->seg, WIRE_MPTCP_MP_CAPABLE))
        x->data_with_mpc[t->from]++;
    if (getenv("MX_TRACE") && x->data_segs[t->from] <= 2)
        for (unsigned i = 0; i < t->seg->opt.mptcp_count; i++) {
            struct wire_mptcp_opt o;
            char line[WIRE_MPTCP_FORMAT_MAX];
            int rc = wire_mptcp_parse(t->seg->opt.mptcp[i].data, t->seg->opt.mptcp[i].len, &o);
            if (rc > 0)
                wire_mptcp_format(&o, line, sizeof(line));
            print_message("%c data seq=%u len=%zu: %s (rc %d)\n", t->from ? 'B' : 'A',
                          t->seg->tcp.seq, t->seg->tcp.payload_len, rc > 0 ? line : "?", rc);
        }
}

/* The path through A's second address is cut (both directions) once p->now passes the cut. */
static bool path_cut(const struct mx *x, const struct tcp_pair *p, const struct wire_segment *seg)
{
    umptcp_addr second;
    umptcp_addr_parse(&second, "10.0.0.11");
    return x->cut_second_at != 0 && p->now >= x->cut_second_at && seg != NULL &&
           (umptcp_addr_equal(&seg->ip.src, &second) || umptcp_addr_equal(&seg->ip.dst, &second));
}

static enum tp_verdict drop_some(void *user, struct tcp_pair *p, int from, struct tp_packet *pkt,
                                 const struct wire_segment *seg)
{
    struct mx *x = user;
    (void)pkt;
    if (path_cut(x, p, seg))
        return TP_DROP;
    if (from == TP_A && seg != NULL && seg->tcp.payload_len > 0 && x->drop_every > 0 &&
        ++x->sent_data_a % x->drop_every == 0)
        return TP_DROP;
    if (x->v0_syn && seg != NULL && seg->tcp.flags == WIRE_TCP_SYN) {
        /* RFC 6824's SYN: version 0, flags A=0 H=1 (HMAC-SHA1), the sender's 64-bit key. */
        static const uint8_t v0[12] = {30, 12, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8};
        struct wire_segment_spec spec = {.src = {.addr = seg->ip.src, .port = seg->tcp.sport},
                                         .dst = {.addr = seg->ip.dst, .port = seg->tcp.dport},
                                         .seq = seg->tcp.seq,
                                         .flags = seg->tcp.flags,
                                         .window = seg->tcp.window};
        struct wire_tcp_options opt = seg->opt;
        for (unsigned i = 0; i < opt.mptcp_count; i++) {
            opt.mptcp[i].data = v0;
            opt.mptcp[i].len = sizeof(v0);
        }
        spec.opt = &opt;
        tp_packet_rewrite(pkt, &spec);
    }
    return TP_PASS;
}

/* Flips a bit of the truncated HMAC in B's MP_JOIN SYN/ACK (byte 4 of the option). */
static enum tp_verdict damage_join(void *user, struct tcp_pair *p, int from, struct tp_packet *pkt,
                                   const struct wire_segment *seg)
{
    struct mx *x = user;
    (void)from;
    if (path_cut(x, p, seg))
        return TP_DROP;
    if ((!x->corrupt_join_hmac && !x->c_flag && !x->v0) || seg == NULL ||
        (seg->tcp.flags & (WIRE_TCP_SYN | WIRE_TCP_ACK)) != (WIRE_TCP_SYN | WIRE_TCP_ACK))
        return TP_PASS;
    for (unsigned i = 0; i < seg->opt.mptcp_count; i++) {
        const uint8_t *o = seg->opt.mptcp[i].data;
        bool join = x->corrupt_join_hmac && seg->opt.mptcp[i].len == 16 &&
                    (o[2] >> 4) == WIRE_MPTCP_MP_JOIN;
        bool mpc = (x->c_flag || x->v0) && seg->opt.mptcp[i].len == 12 &&
                   (o[2] >> 4) == WIRE_MPTCP_MP_CAPABLE;
        if (join || mpc) {
            struct wire_segment_spec spec = {.src = {.addr = seg->ip.src, .port = seg->tcp.sport},
                                             .dst = {.addr = seg->ip.dst, .port = seg->tcp.dport},
                                             .seq = seg->tcp.seq,
                                             .ack = seg->tcp.ack,
                                             .flags = seg->tcp.flags,
                                             .window = seg->tcp.window};
            struct wire_tcp_options opt = seg->opt;
            uint8_t copy[16];
            memcpy(copy, o, seg->opt.mptcp[i].len);
            if (join)
                copy[4] ^= 0x01; /* the HMAC's first byte */
            if (mpc && x->c_flag)
                copy[3] |= WIRE_MPC_FLAG_C;
            if (mpc && x->v0)
                copy[2] &= 0xf0; /* subtype 0, version 0: same 12-byte layout as v1 */
            opt.mptcp[i].data = copy;
            spec.opt = &opt;
            tp_packet_rewrite(pkt, &spec);
            return TP_PASS;
        }
    }
    return TP_PASS;
}

static bool both_closed(struct tcp_pair *p, void *arg)
{
    struct mx *x = arg;
    (void)p;
    return x->closed[TP_A] && x->closed[TP_B];
}

/* Give B a second address to announce; cut A's second path at this time (read at set-up). */
static bool g_server_second, g_c_flag, g_v0, g_v0_syn;
static uint64_t g_cut_second_at;

static struct mx *mx_run_opts(bool mptcp_client, bool mptcp_server, bool csum, size_t bytes,
                              unsigned drop_every, bool second_addr, bool corrupt)
{
    struct mx *x = calloc(1, sizeof(*x));
    x->server_second_addr = g_server_second;
    x->c_flag = g_c_flag;
    x->v0 = g_v0;
    x->v0_syn = g_v0_syn;
    x->cut_second_at = g_cut_second_at;
    x->second_addr = second_addr;
    x->corrupt_join_hmac = corrupt;
    struct tp_config conf;
    tp_config_init(&conf);
    x->p = tp_new(&conf);
    x->drop_every = drop_every;
    tp_set_event_cb(x->p, on_event, x);
    if (x->server_second_addr) {
        umptcp_addr b2;
        assert_int_equal(umptcp_addr_parse(&b2, "10.0.0.12"), 0);
        assert_int_equal(umptcp_stack_add_address(x->p->st[TP_B], 2, &b2), 0);
    }
    if (second_addr) {
        umptcp_addr a2;
        assert_int_equal(umptcp_addr_parse(&a2, "10.0.0.11"), 0);
        assert_int_equal(umptcp_stack_add_address(x->p->st[TP_A], 2, &a2), 0);
    }
    tp_set_trace(x->p, trace, x);
    tp_set_filter(x->p, TP_A, drop_some, x);
    tp_set_filter(x->p, TP_B, damage_join, x);
    tp_stream_init(&x->s[TP_A], bytes, 1);
    tp_stream_init(&x->s[TP_B], bytes / 2, 2);
    x->s[TP_A].shutdown_after = x->s[TP_B].shutdown_after = true;
    umptcp_conn_opts so = {.mptcp = mptcp_server};
    x->lis = tp_listen(x->p, TP_B, 5201, &so);
    umptcp_conn_opts co = {.mptcp = mptcp_client, .mptcp_checksum = csum};
    x->c[TP_A] = tp_connect(x->p, TP_A, 5201, &co);
    bool done = tp_run_until(x->p, both_closed, x, x->p->now + 120 * TP_SEC);
    if (!done || getenv("MX_DEBUG") != NULL) {
        for (int side = 0; side < 2; side++) {
            umptcp_counter cs[128];
            size_t n = umptcp_stack_counters(x->p->st[side], cs, 128);
            for (size_t i = 0; i < n && i < 128; i++)
                if (cs[i].value != 0)
                    print_message("  %c %s=%llu\n", side ? 'B' : 'A', cs[i].name,
                                  (unsigned long long)cs[i].value);
        }
        print_message("  at %.3f s: A sent %zu read %zu, B sent %zu read %zu\n",
                      (double)x->p->now / 1e9, x->s[TP_A].written, x->s[TP_B].received,
                      x->s[TP_B].written, x->s[TP_A].received);
    }
    assert_true(done);
    tp_stream_check(&x->s[TP_A]);
    tp_stream_check(&x->s[TP_B]);
    assert_int_equal(x->s[TP_A].received, bytes); /* what B read of A's stream */
    assert_int_equal(x->s[TP_B].received, bytes / 2);
    assert_int_equal(x->err[TP_A], 0);
    assert_int_equal(x->err[TP_B], 0);
    return x;
}

static struct mx *mx_run(bool mptcp_client, bool mptcp_server, bool csum, size_t bytes,
                         unsigned drop_every)
{
    return mx_run_opts(mptcp_client, mptcp_server, csum, bytes, drop_every, false, false);
}

static void mx_free(struct mx *x)
{
    for (int i = 0; i < 2; i++) {
        if (x->c[i] != NULL)
            umptcp_conn_close(x->c[i], x->p->now);
        tp_stream_free(&x->s[i]);
    }
    tp_free(x->p);
    free(x);
}

static void test_mptcp_both_ways(void **state)
{
    (void)state;
    struct mx *x = mx_run(true, true, false, 2 << 20, 0);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPCapableSYNRX"), 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPCapableSYNACKRX"), 1);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPCapableACKRX"), 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtFallback"), 0);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtFallback"), 0);
    /* Every data segment carries its mapping: DSS, or MP_CAPABLE for the client's first. */
    for (int side = 0; side < 2; side++)
        assert_int_equal(x->data_with_dss[side] + x->data_with_mpc[side], x->data_segs[side]);
    assert_int_equal(x->data_with_mpc[TP_A], 1);
    assert_int_equal(x->data_with_mpc[TP_B], 0);
    mx_free(x);
}

static void test_mptcp_with_checksums(void **state)
{
    (void)state;
    struct mx *x = mx_run(true, true, true, 1 << 20, 0);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtDataCsumErr"), 0);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtDataCsumErr"), 0);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtDSSCsumMismatch"), 0);
    mx_free(x);
}

static void test_mptcp_with_losses(void **state)
{
    (void)state;
    struct mx *x = mx_run(true, true, false, 2 << 20, 37);
    assert_true(tp_counter(x->p, TP_A, "TcpRetransSegs") > 0);
    mx_free(x);
}

/* The listener speaks plain TCP: the SYN/ACK has no MP_CAPABLE, the client falls back. */
static void test_fallback_to_plain_server(void **state)
{
    (void)state;
    struct mx *x = mx_run(true, false, false, 1 << 20, 0);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPCapableFallbackSYNACK"), 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtFallback"), 1);
    assert_int_equal(x->segs_with_mptcp[TP_B], 0);
    assert_int_equal(x->segs_with_mptcp[TP_A], 1); /* only the SYN */
    mx_free(x);
}

/* A plain client on an MPTCP listener gets plain TCP. */
static void test_plain_client_on_mptcp_server(void **state)
{
    (void)state;
    struct mx *x = mx_run(false, true, false, 1 << 20, 0);
    assert_int_equal(x->segs_with_mptcp[TP_A] + x->segs_with_mptcp[TP_B], 0);
    mx_free(x);
}

/* A second local address opens an MP_JOIN subflow (RFC 8684 3.2) once the peer has our key;
 * both HMACs verify and the scheduler puts data on both subflows. */
static void test_join_second_subflow(void **state)
{
    (void)state;
    struct mx *x = mx_run_opts(true, true, false, 4 << 20, 0, true, false);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPJoinSynRx"), 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPJoinSynAckRx"), 1);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPJoinAckRx"), 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPJoinSynAckHMacFailure"), 0);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPJoinAckHMacFailure"), 0);
    print_message("  data segments from A: %u, from its second address: %u\n", x->data_segs[TP_A],
                  x->data_from_second);
    assert_true(x->data_from_second > 0);
    assert_true(x->data_from_second < x->data_segs[TP_A]);
    mx_free(x);
}

/* A damaged HMAC in the join's SYN/ACK resets that subflow only; the data still arrives. */
static void test_join_bad_hmac_resets_subflow(void **state)
{
    (void)state;
    struct mx *x = mx_run_opts(true, true, false, 1 << 20, 0, true, true);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPJoinSynAckHMacFailure"), 1);
    assert_int_equal(x->data_from_second, 0);
    mx_free(x);
}

/* The server announces its second address with ADD_ADDR (RFC 8684 3.4.1): the client checks
 * the HMAC, echoes it, joins it and sends data over the new subflow. */
static void test_add_addr_announce_and_join(void **state)
{
    (void)state;
    g_server_second = true;
    struct mx *x = mx_run(true, true, false, 4 << 20, 0);
    g_server_second = false;
    assert_true(tp_counter(x->p, TP_B, "MPTcpExtAddAddrTx") >= 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtAddAddr"), 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtAddAddrDrop"), 0);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtEchoAdd"), 1);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPJoinSynRx"), 1);
    print_message("  data segments to the announced address: %u of %u\n", x->data_to_server_second,
                  x->data_segs[TP_A]);
    assert_true(x->data_to_server_second > 0);
    mx_free(x);
}

/* RFC 8684 3.1, flag C: B's SYN/ACK says it takes no more subflows to its first address, so
 * A joins only the address B announces (from both its addresses), never 10.0.0.2 again. */
static void test_c_flag_keeps_joins_off_the_initial_address(void **state)
{
    (void)state;
    g_server_second = g_c_flag = true;
    struct mx *x = mx_run_opts(true, true, false, 4 << 20, 0, true, false);
    g_server_second = g_c_flag = false;
    print_message("  SYNs to the first address %u; B MPJoinSynRx %llu\n", x->syns_to_initial,
                  (unsigned long long)tp_counter(x->p, TP_B, "MPTcpExtMPJoinSynRx"));
    assert_int_equal(x->syns_to_initial, 1);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPJoinSynRx"), 2);
    assert_true(x->data_to_server_second > 0);
    mx_free(x);
}

/* RFC 8684 3.1: a responder that answers with MP_CAPABLE version 0 (RFC 6824 only) is not
 * MPTCP v1: the initiator falls back to plain TCP (its third ACK carries no MP_CAPABLE, so the
 * responder falls back too) and the stream is whole both ways. */
static void test_v0_responder_falls_back(void **state)
{
    (void)state;
    g_v0 = true;
    struct mx *x = mx_run(true, true, false, 1 << 20, 0);
    g_v0 = false;
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPCapableFallbackSYNACK"), 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPCapableSYNACKRX"), 0);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPCapableFallbackACK"), 1);
    assert_int_equal(x->data_with_dss[TP_A], 0); /* plain TCP from the first byte */
    mx_free(x);
}

/* RFC 8684 3.1: an RFC 6824 client's SYN (MP_CAPABLE version 0) gets a plain SYN/ACK from
 * our listener, and the connection is plain TCP, whole both ways. */
static void test_v0_client_gets_plain_tcp(void **state)
{
    (void)state;
    g_v0_syn = true;
    struct mx *x = mx_run(true, true, false, 1 << 20, 0);
    g_v0_syn = false;
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPCapableSYNRX"), 0);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPCapableFallbackSYNACK"), 1);
    assert_int_equal(x->data_with_dss[TP_A], 0);
    assert_int_equal(x->data_with_dss[TP_B], 0);
    mx_free(x);
}

/* RFC 8684 3.3.6: the second path goes dark for good in mid-transfer. Its subflow stalls
 * (RTOs); what it held that was not DATA_ACKed is reinjected on the first subflow, and the
 * stream arrives whole and closes in order. */
static void test_reinject_when_a_path_dies(void **state)
{
    (void)state;
    g_cut_second_at = 100 * TP_MS; /* the join carries data from about 60 ms */
    struct mx *x = mx_run_opts(true, true, false, 8 << 20, 0, true, false);
    g_cut_second_at = 0;
    print_message("  reinjected ranges: %llu, data segments from the second address: %u\n",
                  (unsigned long long)tp_counter(x->p, TP_A, "MPTcpExtReinject"),
                  x->data_from_second);
    assert_true(x->data_from_second > 0);
    assert_true(tp_counter(x->p, TP_A, "MPTcpExtReinject") >= 1);
    mx_free(x);
}

static bool b_closed(struct tcp_pair *p, void *arg)
{
    struct mx *x = arg;
    (void)p;
    return x->closed[TP_B];
}

static bool b_has_data(struct tcp_pair *p, void *arg)
{
    struct mx *x = arg;
    (void)p;
    return x->s[TP_A].received > (256u << 10);
}

/* RFC 8684 3.5: an abort sends MP_FASTCLOSE (with the peer's key) on its RSTs; the peer resets
 * every subflow and reports a reset. */
static void test_abort_sends_fastclose(void **state)
{
    (void)state;
    struct mx *x = calloc(1, sizeof(*x));
    struct tp_config conf;
    tp_config_init(&conf);
    x->p = tp_new(&conf);
    tp_set_event_cb(x->p, on_event, x);
    tp_set_trace(x->p, trace, x);
    umptcp_addr a2;
    assert_int_equal(umptcp_addr_parse(&a2, "10.0.0.11"), 0);
    assert_int_equal(umptcp_stack_add_address(x->p->st[TP_A], 2, &a2), 0);
    tp_stream_init(&x->s[TP_A], 64 << 20, 1);
    tp_stream_init(&x->s[TP_B], 0, 2);
    umptcp_conn_opts o = {.mptcp = true};
    x->lis = tp_listen(x->p, TP_B, 5201, &o);
    x->c[TP_A] = tp_connect(x->p, TP_A, 5201, &o);
    assert_true(tp_run_until(x->p, b_has_data, x, x->p->now + 10 * TP_SEC));
    umptcp_conn_abort(x->c[TP_A], x->p->now);
    x->c[TP_A] = NULL;
    assert_true(tp_run_until(x->p, b_closed, x, x->p->now + 5 * TP_SEC));
    assert_int_equal(x->err[TP_B], UMPTCP_ERR_RESET);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPFastcloseTx"), 1);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPFastcloseRx"), 1);
    uint8_t buf[16];
    assert_int_equal(umptcp_conn_read(x->c[TP_B], buf, sizeof(buf), x->p->now), UMPTCP_ERR_RESET);
    mx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mptcp_both_ways),
        cmocka_unit_test(test_mptcp_with_checksums),
        cmocka_unit_test(test_mptcp_with_losses),
        cmocka_unit_test(test_fallback_to_plain_server),
        cmocka_unit_test(test_plain_client_on_mptcp_server),
        cmocka_unit_test(test_join_second_subflow),
        cmocka_unit_test(test_join_bad_hmac_resets_subflow),
        cmocka_unit_test(test_add_addr_announce_and_join),
        cmocka_unit_test(test_c_flag_keeps_joins_off_the_initial_address),
        cmocka_unit_test(test_v0_responder_falls_back),
        cmocka_unit_test(test_v0_client_gets_plain_tcp),
        cmocka_unit_test(test_reinject_when_a_path_dies),
        cmocka_unit_test(test_abort_sends_fastclose),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
