/* Two stacks joined by an in-process wire with a fixed one-way delay and optional loss of
 * chosen packets: the handshake, a bulk transfer checked by SHA-256, and the close, with
 * virtual time. The simulator scenarios (tests/sim) cover real network conditions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tcp_pair.h"
#include "testutil.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "umptcp/stack.h"
#include "wire/segment.h"

#include <stdlib.h>
#include <string.h>

#define MS TP_MS

struct bed {
    struct tcp_pair *p;
    unsigned drop_every; /* drop every n-th data packet from A (0 = none) */
    unsigned sent_from_a;
    umptcp_listener *lis;
    umptcp_conn *cli, *srv;
    struct tp_stream stream; /* A -> B */
    bool srv_shut;           /* the server shut down after reading the end of stream */
    bool cli_closed_ev, srv_closed_ev;
    int cli_err, srv_err;
};

static enum tp_verdict drop_from_a(void *user, struct tcp_pair *p, int from, struct tp_packet *pkt,
                                   const struct wire_segment *seg)
{
    struct bed *b = user;
    (void)p;
    (void)from;
    (void)seg;
    if (pkt->len > 100 && b->drop_every && ++b->sent_from_a % b->drop_every == 0)
        return TP_DROP;
    return TP_PASS;
}

static void print_trace(void *user, struct tcp_pair *p, const struct tp_trace *t)
{
    (void)user;
    (void)p;
    if (t->seg == NULL || t->dropped)
        return;
    const struct wire_segment *sg = t->seg;
    print_message("%10.3f ms %s flags=%02x seq=%u ack=%u win=%u len=%zu\n",
                  (double)t->arrive_at / 1e6, t->from == TP_A ? "A->B" : "B->A", sg->tcp.flags,
                  sg->tcp.seq, sg->tcp.ack, sg->tcp.window, sg->tcp.payload_len);
}

static void pump_reads(struct bed *b, uint64_t now)
{
    tp_stream_read(&b->stream, b->srv, SIZE_MAX, now);
    if (b->stream.eof && !b->srv_shut) {
        b->srv_shut = true;
        umptcp_conn_shutdown(b->srv, now);
    }
}

static void on_event(void *user, struct tcp_pair *p, int side, umptcp_conn *c,
                     const umptcp_event *ev)
{
    struct bed *b = user;
    (void)side;
    switch (ev->type) {
    case UMPTCP_EV_ACCEPTABLE:
        b->srv = umptcp_accept(ev->listener, NULL);
        assert_non_null(b->srv);
        pump_reads(b, p->now);
        break;
    case UMPTCP_EV_CONNECTED:
    case UMPTCP_EV_WRITABLE:
        if (c == b->cli)
            tp_stream_write(&b->stream, b->cli, p->now);
        break;
    case UMPTCP_EV_READABLE:
    case UMPTCP_EV_PEER_CLOSED:
        if (c == b->srv)
            pump_reads(b, p->now);
        break;
    case UMPTCP_EV_CLOSED:
        if (c == b->cli) {
            b->cli_closed_ev = true;
            b->cli_err = ev->error;
        } else {
            b->srv_closed_ev = true;
            b->srv_err = ev->error;
        }
        break;
    }
}

static void bed_init(struct bed *b, uint64_t delay, size_t total)
{
    memset(b, 0, sizeof(*b));
    struct tp_config conf;
    tp_config_init(&conf);
    conf.delay_ns[TP_A] = conf.delay_ns[TP_B] = delay;
    b->p = tp_new(&conf);
    tp_set_event_cb(b->p, on_event, b);
    tp_set_filter(b->p, TP_A, drop_from_a, b);
    if (getenv("LOOPBACK_TRACE") != NULL)
        tp_set_trace(b->p, print_trace, b);
    tp_stream_init(&b->stream, total, 0);
    b->stream.shutdown_after = true;
    b->lis = tp_listen(b->p, TP_B, 5201, NULL);
}

static void bed_free(struct bed *b)
{
    tp_free(b->p);
    tp_stream_free(&b->stream);
}

static void transfer(uint64_t delay, size_t total, unsigned drop_every)
{
    struct bed *b = calloc(1, sizeof(*b));
    bed_init(b, delay, total);
    b->drop_every = drop_every;
    b->cli = tp_connect(b->p, TP_A, 5201, NULL);
    tp_run(b->p, 600000 * MS);
    tp_stream_check(&b->stream);
    umptcp_conn_info ci, si;
    assert_int_equal(umptcp_conn_get_info(b->cli, &ci), 0);
    assert_int_equal(umptcp_conn_get_info(b->srv, &si), 0);
    print_message("  %zu bytes in %.3f s (virtual), client retrans %llu, srtt %llu us, cwnd %u\n",
                  total, (double)b->p->now / 1e9, (unsigned long long)ci.retrans_segs,
                  (unsigned long long)ci.srtt_us, ci.cwnd);
    for (int side = 0; side < 2; side++) {
        umptcp_counter cs[64];
        size_t n = umptcp_stack_counters(b->p->st[side], cs, 64);
        for (size_t i = 0; i < n && i < 64; i++)
            if (cs[i].value != 0 && getenv("LOOPBACK_VERBOSE") != NULL)
                print_message("    %c %s %llu\n", side ? 'B' : 'A', cs[i].name,
                              (unsigned long long)cs[i].value);
    }
    assert_int_equal(ci.bytes_acked, total);
    assert_int_equal(si.bytes_received, total);
    /* Both sides closed in order: the client went through TIME_WAIT, the server LAST_ACK. */
    assert_true(b->cli_closed_ev);
    assert_true(b->srv_closed_ev);
    assert_int_equal(b->cli_err, 0);
    assert_int_equal(b->srv_err, 0);
    if (drop_every > 0)
        assert_true(ci.retrans_segs > 0);
    umptcp_conn_close(b->cli, b->p->now);
    umptcp_conn_close(b->srv, b->p->now);
    bed_free(b);
    free(b);
}

static void test_small_transfer(void **state)
{
    (void)state;
    transfer(5 * MS, 1000, 0);
}

static void test_bulk_transfer(void **state)
{
    (void)state;
    transfer(10 * MS, 2 << 20, 0);
}

static void test_bulk_with_losses(void **state)
{
    (void)state;
    transfer(10 * MS, 2 << 20, 50);
}

static void test_config_defaults(void **state)
{
    (void)state;
    umptcp_config cfg;
    umptcp_config_init(&cfg);
    assert_int_equal(cfg.sndbuf, 4u << 20);
    assert_int_equal(cfg.rcvbuf_max, 16u << 20);
    assert_int_equal(cfg.mtu, 1500);
    assert_true(cfg.nagle && cfg.sack && cfg.timestamps && cfg.window_scaling);
    assert_string_equal(cfg.cc, "cubic");
    assert_int_equal(cfg.rto_min_ns, 200 * MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_small_transfer),
        cmocka_unit_test(test_bulk_transfer),
        cmocka_unit_test(test_bulk_with_losses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
