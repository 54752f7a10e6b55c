/* RFC 8684 3.3.3: a DATA_FIN is acknowledged at the data level by a DATA_ACK, as a FIN is by
 * an ACK, and at once: the peer's connection does not close until it has that DATA_ACK, and
 * an application that exits once both streams ended would otherwise leave it waiting. Linux
 * sends its DATA_FIN on a pure ACK (a DSS without data), which TCP alone would not answer.
 *
 * The test plays an MPTCP peer with crafted segments against a listening stack: MP_CAPABLE
 * handshake, five bytes with their mapping, then the DATA_FIN alone on a pure ACK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto/mptcp_crypto.h"
#include "testutil.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "umptcp/stack.h"
#include "wire/mptcp_opt.h"
#include "wire/segment.h"
#include "wire/tcp.h"
#include "wire/tcp_opt.h"

#include <string.h>

#define MS 1000000ull
#define PEER_ISN 7000u
#define PEER_KEY 0x0102030405060708ull
#define OUT_MAX 8

struct peer {
    umptcp_stack *st;
    umptcp_conn *conn;
    struct wire_segment out[OUT_MAX]; /* what the stack sent during the last input */
    uint8_t out_buf[OUT_MAX][2048];
    size_t nout;
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
        buf[i] = (uint8_t)(i * 29 + 11);
}

static void on_event(void *user, umptcp_conn *c, const umptcp_event *ev)
{
    struct peer *p = user;
    (void)c;
    if (ev->type == UMPTCP_EV_ACCEPTABLE)
        p->conn = umptcp_accept(ev->listener, NULL);
}

/* Sends one segment from the peer (10.0.0.1:40000 -> 10.0.0.2:80) with one MPTCP option. */
static void peer_send(struct peer *p, uint8_t flags, uint32_t seq, uint32_t ack,
                      const struct wire_mptcp_opt *mo, const void *data, size_t len)
{
    uint8_t obuf[40];
    int olen = wire_mptcp_write(mo, obuf, sizeof(obuf));
    assert_true(olen > 0);
    struct wire_tcp_options o = {.mptcp_count = 1};
    o.mptcp[0].data = obuf;
    o.mptcp[0].len = (uint8_t)olen;
    if (flags & WIRE_TCP_SYN) { /* as Linux: window scaling, so windows are large */
        o.present = WIRE_OPT_MSS | WIRE_OPT_WSCALE;
        o.mss = 1460;
        o.wscale = 7;
    }
    struct wire_segment_spec s = {.seq = seq,
                                  .ack = ack,
                                  .flags = flags,
                                  .window = 65535,
                                  .opt = &o,
                                  .payload = data,
                                  .payload_len = len};
    s.src.port = 40000;
    s.dst.port = 80;
    assert_int_equal(umptcp_addr_parse(&s.src.addr, "10.0.0.1"), 0);
    assert_int_equal(umptcp_addr_parse(&s.dst.addr, "10.0.0.2"), 0);
    uint8_t pkt[2048];
    size_t plen;
    assert_int_equal(wire_segment_build(&s, pkt, sizeof(pkt), &plen), 0);
    p->nout = 0;
    p->now += MS;
    assert_int_equal(umptcp_stack_input(p->st, 1, pkt, plen, p->now), 0);
}

/* The option of subtype `subtype` on a captured segment. */
static bool find_opt(const struct wire_segment *seg, unsigned subtype, struct wire_mptcp_opt *out)
{
    for (unsigned i = 0; i < seg->opt.mptcp_count; i++)
        if (wire_mptcp_parse(seg->opt.mptcp[i].data, seg->opt.mptcp[i].len, out) > 0 &&
            out->subtype == subtype)
            return true;
    return false;
}

static void test_data_fin_on_a_pure_ack_is_acknowledged_at_once(void **state)
{
    (void)state;
    struct peer p;
    memset(&p, 0, sizeof(p));
    umptcp_callbacks cb = {.send = capture, .random = rnd};
    assert_int_equal(umptcp_stack_new(&p.st, NULL, &cb, &p), 0);
    umptcp_addr a;
    assert_int_equal(umptcp_addr_parse(&a, "10.0.0.2"), 0);
    assert_int_equal(umptcp_stack_add_address(p.st, 1, &a), 0);
    umptcp_stack_set_event_cb(p.st, on_event, &p);
    umptcp_sockaddr l = {.port = 80};
    umptcp_conn_opts mp = {.mptcp = true};
    umptcp_listener *lis = NULL;
    assert_int_equal(umptcp_listen(p.st, &l, &mp, &lis), 0);

    /* RFC 8684 3.1: SYN (MP_CAPABLE, no key), SYN/ACK (the stack's key), ACK (both keys). */
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_CAPABLE};
    o.u.mpc.version = 1;
    o.u.mpc.flags = WIRE_MPC_FLAG_H;
    o.u.mpc.form = WIRE_MPC_SYN;
    peer_send(&p, WIRE_TCP_SYN, PEER_ISN, 0, &o, NULL, 0);
    assert_int_equal(p.nout, 1);
    struct wire_mptcp_opt synack;
    assert_true(find_opt(&p.out[0], WIRE_MPTCP_MP_CAPABLE, &synack));
    uint64_t stack_key = synack.u.mpc.snd_key;
    uint32_t stack_iss = p.out[0].tcp.seq;
    uint64_t peer_idsn = mptcp_crypto_idsn(PEER_KEY), stack_idsn = mptcp_crypto_idsn(stack_key);
    o.u.mpc.form = WIRE_MPC_ACK;
    o.u.mpc.snd_key = PEER_KEY;
    o.u.mpc.rcv_key = stack_key;
    peer_send(&p, WIRE_TCP_ACK, PEER_ISN + 1, stack_iss + 1, &o, NULL, 0);
    assert_non_null(p.conn);

    /* Five bytes with their mapping (3.3.1): the stack may delay its ACK of one segment. */
    struct wire_mptcp_opt dss = {.subtype = WIRE_MPTCP_DSS};
    struct wire_dss *d = &dss.u.dss;
    d->has_ack = d->ack64 = true;
    d->data_ack = stack_idsn + 1;
    d->has_map = d->dsn64 = true;
    d->dsn = peer_idsn + 1;
    d->ssn = 1;
    d->dll = 5;
    peer_send(&p, WIRE_TCP_ACK, PEER_ISN + 1, stack_iss + 1, &dss, "hello", 5);
    char buf[8];
    assert_int_equal(umptcp_conn_read(p.conn, buf, sizeof(buf), p.now), 5);

    /* The DATA_FIN alone on a pure ACK (3.3.3: SSN 0, Data-Level Length 1). */
    d->dsn = peer_idsn + 6;
    d->ssn = 0;
    d->dll = 1;
    d->data_fin = true;
    peer_send(&p, WIRE_TCP_ACK, PEER_ISN + 6, stack_iss + 1, &dss, NULL, 0);
    assert_int_equal(umptcp_conn_read(p.conn, buf, sizeof(buf), p.now), 0); /* end of stream */
    /* Answered during that very input: a DATA_ACK past the DATA_FIN. */
    assert_true(p.nout >= 1);
    struct wire_mptcp_opt got;
    assert_true(find_opt(&p.out[p.nout - 1], WIRE_MPTCP_DSS, &got));
    assert_true(got.u.dss.has_ack);
    assert_int_equal(got.u.dss.data_ack, peer_idsn + 7);

    umptcp_conn_abort(p.conn, p.now);
    umptcp_listener_close(lis, p.now);
    umptcp_stack_free(p.st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_fin_on_a_pure_ack_is_acknowledged_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
