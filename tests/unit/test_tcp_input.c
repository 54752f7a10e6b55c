/* Segment acceptance of an established connection, driven with crafted segments: the RFC 9293
 * 3.10.7.4 window test, RFC 7323 PAWS, and the RFC 5961 mitigations (challenge ACKs for blind
 * RST and SYN, ACK validation against data injection). The test plays the peer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "umptcp/stack.h"
#include "wire/segment.h"
#include "wire/tcp.h"
#include "wire/tcp_opt.h"

#include <string.h>

#define MS 1000000ull
#define PEER_ISN 1000000u
#define OUT_MAX 16

struct peer {
    umptcp_stack *st;
    umptcp_listener *lis;
    umptcp_conn *conn;
    struct wire_segment out[OUT_MAX]; /* what the stack sent since the last clear */
    uint8_t out_buf[OUT_MAX][2048];
    size_t nout;
    uint32_t srv_iss;    /* the stack's ISN */
    uint32_t snd_nxt;    /* our next sequence number */
    uint32_t tsval;      /* our timestamp clock */
    uint16_t stack_port; /* the stack's port: 80 (listener) or its ephemeral one */
    uint16_t window;     /* the window field we send */
    int closed_error;
    bool closed;
    uint64_t now;
};

static int capture(void *user, int ifindex, const uint8_t *pkt, size_t len)
{
    struct peer *p = user;
    (void)ifindex;
    assert_true(p->nout < OUT_MAX && len <= sizeof(p->out_buf[0]));
    memcpy(p->out_buf[p->nout], pkt, len);
    assert_int_equal(wire_segment_parse(p->out_buf[p->nout], len, &p->out[p->nout]), 0);
    p->nout++;
    return 0;
}

static void rnd(void *u, uint8_t *buf, size_t n)
{
    (void)u;
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(i * 13 + 5);
}

static void on_event(void *user, umptcp_conn *c, const umptcp_event *ev)
{
    struct peer *p = user;
    if (ev->type == UMPTCP_EV_ACCEPTABLE)
        p->conn = umptcp_accept(ev->listener, NULL);
    if (ev->type == UMPTCP_EV_CLOSED && c == p->conn) {
        p->closed = true;
        p->closed_error = ev->error;
    }
}

static uint64_t counter(struct peer *p, const char *name)
{
    uint64_t v = 0;
    assert_int_equal(umptcp_stack_counter(p->st, name, &v), 0);
    return v;
}

/* Sends one segment from the peer (10.0.0.1:40000) with a timestamp option. */
static void peer_send(struct peer *p, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t tsval,
                      const void *data, size_t len)
{
    struct wire_tcp_options o = {.present = WIRE_OPT_TIMESTAMP, .ts_val = tsval};
    if (flags & WIRE_TCP_SYN) {
        o.present |= WIRE_OPT_MSS | WIRE_OPT_SACK_PERM | WIRE_OPT_WSCALE;
        o.mss = 1460;
        o.wscale = 7;
    }
    struct wire_segment_spec s = {.seq = seq,
                                  .ack = ack,
                                  .flags = flags,
                                  .window = p->window,
                                  .opt = &o,
                                  .payload = data,
                                  .payload_len = len};
    s.src.port = 40000;
    s.dst.port = p->stack_port;
    assert_int_equal(umptcp_addr_parse(&s.src.addr, "10.0.0.1"), 0);
    assert_int_equal(umptcp_addr_parse(&s.dst.addr, "10.0.0.2"), 0);
    uint8_t pkt[2048];
    size_t plen;
    assert_int_equal(wire_segment_build(&s, pkt, sizeof(pkt), &plen), 0);
    p->nout = 0;
    p->now += MS;
    assert_int_equal(umptcp_stack_input(p->st, 1, pkt, plen, p->now), 0);
}

/* A stack at 10.0.0.2 whose peer the test plays. */
static void peer_init(struct peer *p)
{
    memset(p, 0, sizeof(*p));
    umptcp_callbacks cb = {.send = capture, .random = rnd};
    assert_int_equal(umptcp_stack_new(&p->st, NULL, &cb, p), 0);
    umptcp_addr a;
    assert_int_equal(umptcp_addr_parse(&a, "10.0.0.2"), 0);
    assert_int_equal(umptcp_stack_add_address(p->st, 1, &a), 0);
    umptcp_stack_set_event_cb(p->st, on_event, p);
    p->stack_port = 80;
    p->window = 1000;
}

/* A connection in ESTABLISHED: SYN, SYN/ACK, ACK. */
static void peer_connect(struct peer *p)
{
    peer_init(p);
    umptcp_sockaddr l = {.port = 80};
    assert_int_equal(umptcp_listen(p->st, &l, NULL, &p->lis), 0);
    p->tsval = 5000;
    peer_send(p, WIRE_TCP_SYN, PEER_ISN, 0, p->tsval, NULL, 0);
    assert_int_equal(p->nout, 1);
    assert_int_equal(p->out[0].tcp.flags, WIRE_TCP_SYN | WIRE_TCP_ACK);
    p->srv_iss = p->out[0].tcp.seq;
    p->snd_nxt = PEER_ISN + 1;
    peer_send(p, WIRE_TCP_ACK, p->snd_nxt, p->srv_iss + 1, ++p->tsval, NULL, 0);
    assert_non_null(p->conn);
    umptcp_conn_info info;
    assert_int_equal(umptcp_conn_get_info(p->conn, &info), 0);
    assert_int_equal(info.state, UMPTCP_STATE_ESTABLISHED);
}

static void peer_free(struct peer *p)
{
    umptcp_stack_free(p->st);
}

/* The single segment the stack answered with must be a pure ACK of rcv_nxt. */
static void expect_ack(struct peer *p, uint32_t rcv_nxt)
{
    assert_int_equal(p->nout, 1);
    assert_int_equal(p->out[0].tcp.flags, WIRE_TCP_ACK);
    assert_int_equal(p->out[0].tcp.ack, rcv_nxt);
    assert_int_equal(p->out[0].tcp.payload_len, 0);
}

static size_t readable(struct peer *p)
{
    uint8_t buf[4096];
    ssize_t n = umptcp_conn_read(p->conn, buf, sizeof(buf), p->now);
    return n > 0 ? (size_t)n : 0;
}

static void test_in_window_data_is_delivered(void **state)
{
    (void)state;
    struct peer p;
    peer_connect(&p);
    peer_send(&p, WIRE_TCP_ACK | WIRE_TCP_PSH, p.snd_nxt, p.srv_iss + 1, ++p.tsval, "hello", 5);
    assert_int_equal(readable(&p), 5);
    peer_free(&p);
}

/* RFC 5961 3.2: a RST whose sequence number is in the window but not RCV.NXT gets a
 * challenge ACK and the connection survives; out of the window it is dropped silently. */
static void test_blind_rst_gets_challenge_ack(void **state)
{
    (void)state;
    struct peer p;
    peer_connect(&p);
    peer_send(&p, WIRE_TCP_RST, p.snd_nxt + 100, 0, ++p.tsval, NULL, 0);
    expect_ack(&p, p.snd_nxt);
    assert_int_equal(counter(&p, "TcpExtTCPChallengeACK"), 1);
    assert_false(p.closed);
    peer_send(&p, WIRE_TCP_RST, p.snd_nxt + 50000000u, 0, ++p.tsval, NULL, 0);
    assert_int_equal(p.nout, 0);
    assert_false(p.closed);
    /* The exact sequence number resets. */
    peer_send(&p, WIRE_TCP_RST, p.snd_nxt, 0, ++p.tsval, NULL, 0);
    assert_true(p.closed);
    assert_int_equal(p.closed_error, UMPTCP_ERR_RESET);
    assert_int_equal(umptcp_conn_read(p.conn, NULL, 0, p.now), UMPTCP_ERR_RESET);
    peer_free(&p);
}

/* RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK, never a reset. */
static void test_syn_in_established_gets_challenge_ack(void **state)
{
    (void)state;
    struct peer p;
    peer_connect(&p);
    peer_send(&p, WIRE_TCP_SYN, p.snd_nxt + 10, 0, ++p.tsval, NULL, 0);
    expect_ack(&p, p.snd_nxt);
    assert_int_equal(counter(&p, "TcpExtTCPChallengeACK"), 1);
    assert_false(p.closed);
    peer_send(&p, WIRE_TCP_ACK | WIRE_TCP_PSH, p.snd_nxt, p.srv_iss + 1, ++p.tsval, "ok", 2);
    assert_int_equal(readable(&p), 2);
    peer_free(&p);
}

/* RFC 9293 3.10.7.4: data beyond the receive window is not accepted; the answer is an ACK. */
static void test_data_outside_window_is_dropped(void **state)
{
    (void)state;
    struct peer p;
    peer_connect(&p);
    peer_send(&p, WIRE_TCP_ACK, p.snd_nxt + (64u << 20), p.srv_iss + 1, ++p.tsval, "x", 1);
    expect_ack(&p, p.snd_nxt);
    assert_int_equal(counter(&p, "TcpExtTCPOutOfWindow"), 1);
    /* Old data (entirely below RCV.NXT) likewise. */
    peer_send(&p, WIRE_TCP_ACK, p.snd_nxt - 10, p.srv_iss + 1, ++p.tsval, "old", 3);
    expect_ack(&p, p.snd_nxt);
    assert_int_equal(readable(&p), 0);
    peer_free(&p);
}

/* RFC 7323 5.3: a segment whose TSval is older than TS.Recent is a wrapped old duplicate. */
static void test_paws_drops_old_timestamps(void **state)
{
    (void)state;
    struct peer p;
    peer_connect(&p);
    peer_send(&p, WIRE_TCP_ACK, p.snd_nxt, p.srv_iss + 1, p.tsval - 100, "old!", 4);
    expect_ack(&p, p.snd_nxt);
    assert_int_equal(counter(&p, "TcpExtPAWSEstab"), 1);
    assert_int_equal(readable(&p), 0);
    peer_send(&p, WIRE_TCP_ACK, p.snd_nxt, p.srv_iss + 1, ++p.tsval, "new!", 4);
    assert_int_equal(readable(&p), 4);
    peer_free(&p);
}

/* RFC 5961 5.2 / RFC 9293: an ACK for data never sent is answered and the segment dropped
 * (its data too: blind data injection); an ACK far below SND.UNA gets a challenge ACK. */
static void test_ack_validation(void **state)
{
    (void)state;
    struct peer p;
    peer_connect(&p);
    peer_send(&p, WIRE_TCP_ACK, p.snd_nxt, p.srv_iss + 1 + 5000, ++p.tsval, "inj", 3);
    expect_ack(&p, p.snd_nxt);
    assert_int_equal(readable(&p), 0);
    peer_send(&p, WIRE_TCP_ACK, p.snd_nxt, p.srv_iss - (1u << 30), ++p.tsval, "inj", 3);
    expect_ack(&p, p.snd_nxt);
    assert_int_equal(counter(&p, "TcpExtTCPChallengeACK"), 1);
    assert_int_equal(readable(&p), 0);
    assert_false(p.closed);
    peer_free(&p);
}

/* After a reset the application may still hold the connection, but it is CLOSED: the peer's
 * further segments are answered as for no connection, with a RST (RFC 9293 3.10.7.1). */
static void test_closed_connection_answers_rst(void **state)
{
    (void)state;
    struct peer p;
    peer_connect(&p);
    peer_send(&p, WIRE_TCP_RST, p.snd_nxt, 0, ++p.tsval, NULL, 0);
    assert_true(p.closed);
    peer_send(&p, WIRE_TCP_ACK | WIRE_TCP_PSH, p.snd_nxt, p.srv_iss + 1, ++p.tsval, "more", 4);
    assert_int_equal(p.nout, 1);
    assert_int_equal(p.out[0].tcp.flags, WIRE_TCP_RST);
    assert_int_equal(p.out[0].tcp.seq, p.srv_iss + 1);
    assert_int_equal(counter(&p, "TcpInNoSocket"), 1);
    peer_free(&p);
}

/* A segment without ACK in a synchronized state is dropped (RFC 9293 3.10.7.4). */
static void test_segment_without_ack_is_dropped(void **state)
{
    (void)state;
    struct peer p;
    peer_connect(&p);
    peer_send(&p, WIRE_TCP_PSH, p.snd_nxt, 0, ++p.tsval, "noack", 5);
    assert_int_equal(p.nout, 0);
    assert_int_equal(readable(&p), 0);
    peer_free(&p);
}

static size_t payload_sent(const struct peer *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nout; i++)
        n += p->out[i].tcp.payload_len;
    return n;
}

/* RFC 7323 2.2: the window field of a SYN segment is never scaled. An active open learns the
 * peer's shift from its SYN/ACK but takes that segment's window as it is, so no more than it
 * goes out before the peer's next ACK (scaled, 3000 << 7 would let a whole initial window go:
 * 10 segments). MPTCP
 * depends on it too: the handshake's window is the first data-level window (RFC 8684 3.3.5). */
static void test_active_open_synack_window_not_scaled(void **state)
{
    (void)state;
    struct peer p;
    peer_init(&p);
    umptcp_sockaddr r = {.port = 40000};
    assert_int_equal(umptcp_addr_parse(&r.addr, "10.0.0.1"), 0);
    umptcp_conn_opts o = {.nodelay = true};
    assert_int_equal(umptcp_connect(p.st, &r, &o, p.now, &p.conn), 0);
    assert_int_equal(p.nout, 1);
    assert_int_equal(p.out[0].tcp.flags, WIRE_TCP_SYN);
    p.stack_port = p.out[0].tcp.sport;
    uint32_t iss = p.out[0].tcp.seq;
    static const uint8_t data[20000];
    assert_int_equal(umptcp_conn_write(p.conn, data, sizeof(data), p.now), (ssize_t)sizeof(data));
    p.tsval = 7000;
    p.window = 3000;
    peer_send(&p, WIRE_TCP_SYN | WIRE_TCP_ACK, PEER_ISN, iss + 1, p.tsval, NULL, 0);
    umptcp_conn_info info;
    assert_int_equal(umptcp_conn_get_info(p.conn, &info), 0);
    assert_int_equal(info.state, UMPTCP_STATE_ESTABLISHED);
    assert_int_equal(info.snd_wnd, 3000);
    /* Full segments only (sender SWS avoidance): MSS 1460 less 12 bytes of timestamps. */
    assert_int_equal(payload_sent(&p), 2 * (1460 - 12));
    /* The next segment's window is scaled: 3000 << 7. */
    peer_send(&p, WIRE_TCP_ACK, PEER_ISN + 1, iss + 1, ++p.tsval, NULL, 0);
    assert_int_equal(umptcp_conn_get_info(p.conn, &info), 0);
    assert_int_equal(info.snd_wnd, 3000u << 7);
    assert_true(payload_sent(&p) > 0);
    peer_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_window_data_is_delivered),
        cmocka_unit_test(test_blind_rst_gets_challenge_ack),
        cmocka_unit_test(test_syn_in_established_gets_challenge_ack),
        cmocka_unit_test(test_data_outside_window_is_dropped),
        cmocka_unit_test(test_paws_drops_old_timestamps),
        cmocka_unit_test(test_ack_validation),
        cmocka_unit_test(test_segment_without_ack_is_dropped),
        cmocka_unit_test(test_closed_connection_answers_rst),
        cmocka_unit_test(test_active_open_synack_window_not_scaled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
