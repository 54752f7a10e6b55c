/* Flow control on a lossless wire with a reader that stalls and resumes: the sender never
 * sends past the window the receiver announced (RFC 9293 3.8.6), the receiver holds every byte
 * it announced room for (RFC 7323 2.4), and the ACKs around zero-window probes are acceptable
 * to the peer. So nothing is ever dropped or retransmitted. The application writes from its
 * WRITABLE handler, as conn.h allows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tcp_pair.h"
#include "testutil.h"
#include "tcp/tcp_seq.h"
#include "umptcp/conn.h"
#include "wire/tcp.h"

#include <string.h>

struct fx {
    umptcp_conn *c[2];
    struct tp_stream s;
    bool reading; /* B's application reads only while this is set */
    /* B's announced right edge (ACK + window, scaled by B's shift 9 for 16 MiB: learned from
     * the SYN/ACK exchange, so tracked as the largest seen) and A's data beyond it */
    uint32_t b_edge;
    bool b_edge_known;
    unsigned beyond_window, probes;
    uint8_t b_wscale;
};

static void on_event(void *user, struct tcp_pair *p, int side, umptcp_conn *c,
                     const umptcp_event *ev)
{
    struct fx *x = user;
    if (ev->type == UMPTCP_EV_ACCEPTABLE)
        x->c[side] = umptcp_accept(ev->listener, NULL);
    else if (ev->type == UMPTCP_EV_CLOSED)
        return;
    else if (c != NULL)
        x->c[side] = c;
    if (side == TP_A && x->c[TP_A] != NULL)
        tp_stream_write(&x->s, x->c[TP_A], p->now); /* from the handler itself */
    if (side == TP_B && x->c[TP_B] != NULL && x->reading)
        tp_stream_read(&x->s, x->c[TP_B], SIZE_MAX, p->now);
}

static void trace(void *user, struct tcp_pair *p, const struct tp_trace *t)
{
    struct fx *x = user;
    (void)p;
    if (t->seg == NULL)
        return;
    const struct wire_tcp_hdr *th = &t->seg->tcp;
    if (t->from == TP_B) {
        if (th->flags & WIRE_TCP_SYN) {
            x->b_wscale = (t->seg->opt.present & WIRE_OPT_WSCALE) ? t->seg->opt.wscale : 0;
            return;
        }
        uint32_t edge = th->ack + ((uint32_t)th->window << x->b_wscale);
        if (!x->b_edge_known || tcp_seq_gt(edge, x->b_edge))
            x->b_edge = edge;
        x->b_edge_known = true;
        return;
    }
    if (th->payload_len == 0 || !x->b_edge_known)
        return;
    uint32_t end = th->seq + (uint32_t)th->payload_len;
    if (tcp_seq_gt(end, x->b_edge)) {
        /* Only a one-segment probe of a closed window may go past it (RFC 9293 3.8.6.1). */
        if (x->b_edge == th->seq && th->payload_len <= 1460)
            x->probes++;
        else
            x->beyond_window++;
    }
}

static bool received_all(struct tcp_pair *p, void *arg)
{
    struct fx *x = arg;
    (void)p;
    return x->s.received == x->s.total;
}

static void test_stalling_reader_loses_nothing(void **state)
{
    (void)state;
    struct tp_config conf;
    tp_config_init(&conf);
    conf.cfg[TP_B].rcvbuf = conf.cfg[TP_B].rcvbuf_max = 200 * 1000; /* not a multiple of 512 */
    struct tcp_pair *p = tp_new(&conf);
    struct fx x;
    memset(&x, 0, sizeof(x));
    tp_stream_init(&x.s, 8 << 20, 9);
    tp_set_event_cb(p, on_event, &x);
    tp_set_trace(p, trace, &x);
    tp_listen(p, TP_B, 80, NULL);
    x.c[TP_A] = tp_connect(p, TP_A, 80, NULL);
    /* B reads for 50 ms, stalls 300 ms, reads again... until everything arrived. */
    for (int round = 0; round < 200 && !received_all(p, &x); round++) {
        x.reading = true;
        if (x.c[TP_B] != NULL)
            tp_stream_read(&x.s, x.c[TP_B], SIZE_MAX, p->now);
        tp_run_to(p, p->now + 50 * TP_MS);
        x.reading = false;
        tp_run_to(p, p->now + 300 * TP_MS);
    }
    assert_true(received_all(p, &x));
    tp_stream_check(&x.s);
    print_message("  probes past a closed window: %u, other data past the window: %u\n", x.probes,
                  x.beyond_window);
    assert_int_equal(x.beyond_window, 0);
    assert_int_equal(tp_counter(p, TP_A, "TcpRetransSegs"), 0);
    assert_int_equal(tp_counter(p, TP_B, "TcpExtTCPOFODrop"), 0);
    assert_int_equal(tp_counter(p, TP_B, "TcpExtTCPOutOfWindow"), 0);
    assert_int_equal(tp_counter(p, TP_A, "TcpExtTCPOutOfWindow"), 0);
    tp_stream_free(&x.s);
    tp_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stalling_reader_loses_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
