/* The congestion window grows only while the sender uses it (RFC 7661 4): a transfer limited by
 * the peer's receive window must not inflate cwnd without bound (a later window opening would
 * then release a huge burst). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tcp_pair.h"
#include "testutil.h"
#include "umptcp/conn.h"

#include <string.h>

struct cx {
    umptcp_conn *c[2];
    struct tp_stream s;
    bool done;
};

static void on_event(void *user, struct tcp_pair *p, int side, umptcp_conn *c,
                     const umptcp_event *ev)
{
    struct cx *x = user;
    if (ev->type == UMPTCP_EV_ACCEPTABLE)
        x->c[side] = umptcp_accept(ev->listener, NULL);
    else if (ev->type == UMPTCP_EV_CLOSED)
        return;
    else if (c != NULL)
        x->c[side] = c;
    if (x->c[TP_A] != NULL)
        tp_stream_write(&x->s, x->c[TP_A], p->now);
    if (x->c[TP_B] != NULL)
        tp_stream_read(&x->s, x->c[TP_B], SIZE_MAX, p->now);
}

static bool received_all(struct tcp_pair *p, void *arg)
{
    struct cx *x = arg;
    (void)p;
    return x->s.received == x->s.total;
}

static void check_rwnd_limited(const char *cc)
{
    struct tp_config conf;
    tp_config_init(&conf);
    /* A fast path (no rate limit, 10 ms each way) and a receiver offering at most 128 KiB. */
    conf.cfg[TP_B].rcvbuf = conf.cfg[TP_B].rcvbuf_max = 128 << 10;
    conf.cfg[TP_A].cc = cc;
    struct tcp_pair *p = tp_new(&conf);
    struct cx x;
    memset(&x, 0, sizeof(x));
    tp_stream_init(&x.s, 16 << 20, 5);
    tp_set_event_cb(p, on_event, &x);
    tp_listen(p, TP_B, 80, NULL);
    x.c[TP_A] = tp_connect(p, TP_A, 80, NULL);
    assert_true(tp_run_until(p, received_all, &x, p->now + 60 * TP_SEC));
    tp_stream_check(&x.s);
    umptcp_conn_info info;
    assert_int_equal(umptcp_conn_get_info(x.c[TP_A], &info), 0);
    print_message("  %s: cwnd %u bytes with a 128 KiB receive window\n", cc, info.cwnd);
    assert_true(info.cwnd <= 4 * (128u << 10));
    tp_stream_free(&x.s);
    tp_free(p);
}

static void test_reno_cwnd_bounded_by_use(void **state)
{
    (void)state;
    check_rwnd_limited("reno");
}

static void test_cubic_cwnd_bounded_by_use(void **state)
{
    (void)state;
    check_rwnd_limited("cubic");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reno_cwnd_bounded_by_use),
        cmocka_unit_test(test_cubic_cwnd_bounded_by_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
