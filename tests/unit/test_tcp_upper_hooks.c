/* The hooks through which the MPTCP layer rides on a TCP socket: options written on every
 * segment (before SACK blocks), options seen on every arriving segment (with a veto), a shared
 * receive window, and segments cut at mapping boundaries. A fake upper layer drives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cc/cc.h"
#include "tcp/tcp_sock.h"
#include "testutil.h"
#include "umptcp/error.h"
#include "wire/mptcp_opt.h"
#include "wire/tcp.h"

#include <string.h>

#define MS 1000000ull
#define MAX_OUT 64

struct fake {
    umptcp_config cfg;
    struct mib mib;
    struct tcp_env env;
    uint8_t scratch[65536];
    uint8_t out[MAX_OUT][2048];
    struct wire_segment seg[MAX_OUT];
    size_t nout;
    /* the fake upper layer */
    unsigned writes, inputs;
    bool veto;
    size_t window;
    uint32_t limit;
};

static int fake_output(void *ctx, int ifindex, const struct wire_segment_spec *spec)
{
    struct fake *f = ctx;
    (void)ifindex;
    size_t len;
    assert_true(f->nout < MAX_OUT);
    assert_int_equal(wire_segment_build(spec, f->out[f->nout], sizeof(f->out[0]), &len), 0);
    assert_int_equal(wire_segment_parse(f->out[f->nout], len, &f->seg[f->nout]), 0);
    f->nout++;
    return 0;
}

/* Writes an MP_PRIO option (3 bytes) on every segment: easy to recognise. */
static size_t fake_opt_write(struct tcp_sock *sk, const struct tcp_seg_info *info, uint8_t *buf,
                             size_t room, uint64_t now)
{
    struct fake *f = sk->upper;
    (void)info;
    (void)now;
    f->writes++;
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_PRIO};
    o.u.prio.backup = true;
    int n = wire_mptcp_write(&o, buf, room);
    return n > 0 ? (size_t)n : 0;
}

static bool fake_opt_input(struct tcp_sock *sk, const struct wire_segment *seg, uint64_t now)
{
    struct fake *f = sk->upper;
    (void)seg;
    (void)now;
    f->inputs++;
    return !f->veto;
}

static size_t fake_rcv_window(struct tcp_sock *sk)
{
    return ((struct fake *)sk->upper)->window;
}

static uint32_t fake_seg_limit(struct tcp_sock *sk, uint32_t seq)
{
    struct fake *f = sk->upper;
    /* Boundaries every f->limit bytes of the data stream. */
    uint32_t off = seq - (sk->iss + 1);
    return f->limit - off % f->limit;
}

static const struct tcp_sock_ops fake_ops = {
    .opt_write = fake_opt_write,
    .opt_input = fake_opt_input,
    .rcv_window = fake_rcv_window,
    .seg_limit = fake_seg_limit,
};

static struct tcp_sock *fake_sock(struct fake *f)
{
    memset(f, 0, sizeof(*f));
    umptcp_config_init(&f->cfg);
    f->cfg.nagle = false;
    f->env = (struct tcp_env){
        .output = fake_output, .ctx = f, .cfg = &f->cfg, .mib = &f->mib, .scratch = f->scratch};
    f->window = 1u << 20;
    f->limit = 1000;
    static const uint8_t secret[32] = {1};
    struct tcp_sock_params p = {
        .ifindex = 1, .cc = &cc_reno_ops, .isn_secret = secret, .isn_secret_len = sizeof(secret)};
    assert_int_equal(umptcp_addr_parse(&p.local.addr, "10.0.0.1"), 0);
    assert_int_equal(umptcp_addr_parse(&p.remote.addr, "10.0.0.2"), 0);
    p.local.port = 40000;
    p.remote.port = 80;
    struct tcp_sock *sk = tcp_sock_new(&f->env, &p, &fake_ops, f, 0);
    assert_non_null(sk);
    return sk;
}

static bool has_prio(const struct wire_segment *s)
{
    struct wire_mptcp_opt o;
    return wire_mptcp_find(s, WIRE_MPTCP_MP_PRIO, &o);
}

/* Feeds the peer's SYN/ACK (with SACK-permitted, timestamps, window scale 7). */
static void establish(struct fake *f, struct tcp_sock *sk, uint32_t peer_isn)
{
    struct wire_tcp_options o = {.present = WIRE_OPT_MSS | WIRE_OPT_SACK_PERM | WIRE_OPT_TIMESTAMP |
                                            WIRE_OPT_WSCALE,
                                 .mss = 1460,
                                 .wscale = 7,
                                 .ts_val = 100,
                                 .ts_ecr = f->seg[0].opt.ts_val};
    struct wire_segment_spec s = {.src = sk->remote,
                                  .dst = sk->local,
                                  .seq = peer_isn,
                                  .ack = sk->iss + 1,
                                  .flags = WIRE_TCP_SYN | WIRE_TCP_ACK,
                                  .window = 65535,
                                  .opt = &o};
    uint8_t pkt[200];
    size_t len;
    struct wire_segment seg;
    assert_int_equal(wire_segment_build(&s, pkt, sizeof(pkt), &len), 0);
    assert_int_equal(wire_segment_parse(pkt, len, &seg), 0);
    tcp_input(sk, &seg, 10 * MS);
}

static void test_options_and_window_on_every_segment(void **state)
{
    (void)state;
    struct fake f;
    struct tcp_sock *sk = fake_sock(&f);
    assert_int_equal(tcp_sock_connect(sk, 0), 0);
    assert_int_equal(f.nout, 1);
    assert_true(f.seg[0].tcp.flags & WIRE_TCP_SYN);
    assert_true(has_prio(&f.seg[0])); /* the SYN carries the upper layer's option */
    f.window = 300000;
    establish(&f, sk, 5000);
    assert_int_equal(sk->state, UMPTCP_STATE_ESTABLISHED);
    assert_int_equal(f.inputs, 1);
    assert_int_equal(f.nout, 2); /* the third ACK */
    assert_true(has_prio(&f.seg[1]));
    /* The advertised window is the upper layer's, scaled by our shift. */
    assert_int_equal((uint32_t)f.seg[1].tcp.window << sk->rcv_wscale,
                     300000 >> sk->rcv_wscale << sk->rcv_wscale);
    tcp_sock_free(sk);
}

/* Segments stop at every boundary the upper layer names, even below the MSS. */
static void test_segments_cut_at_boundaries(void **state)
{
    (void)state;
    struct fake f;
    struct tcp_sock *sk = fake_sock(&f);
    assert_int_equal(tcp_sock_connect(sk, 0), 0);
    establish(&f, sk, 5000);
    f.nout = 0;
    static uint8_t data[3500];
    assert_int_equal(tcp_sock_write(sk, data, sizeof(data), 20 * MS), (ssize_t)sizeof(data));
    size_t total = 0;
    for (size_t i = 0; i < f.nout; i++) {
        size_t len = f.seg[i].tcp.payload_len;
        uint32_t off = f.seg[i].tcp.seq - (sk->iss + 1);
        assert_true(len <= 1000);
        assert_true(off / 1000 == (off + len - 1) / 1000); /* never crosses a boundary */
        assert_true(has_prio(&f.seg[i]));
        total += len;
    }
    assert_int_equal(total, sizeof(data));
    assert_int_equal(f.nout, 4); /* 1000 + 1000 + 1000 + 500 */
    tcp_sock_free(sk);
}

/* The upper layer can veto an arriving segment: TCP then ignores it entirely. */
static void test_input_veto(void **state)
{
    (void)state;
    struct fake f;
    struct tcp_sock *sk = fake_sock(&f);
    assert_int_equal(tcp_sock_connect(sk, 0), 0);
    f.veto = true;
    establish(&f, sk, 5000);
    assert_int_equal(f.inputs, 1);
    assert_int_equal(sk->state, UMPTCP_STATE_SYN_SENT);
    tcp_sock_free(sk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_and_window_on_every_segment),
        cmocka_unit_test(test_segments_cut_at_boundaries),
        cmocka_unit_test(test_input_veto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
