/* Path management between two umptcp stacks over the in-process pair: the PM registry and its
 * selection by name, "ndiffports", and the signals of RFC 8684 3.4.2 (REMOVE_ADDR), 3.3.8
 * (MP_PRIO) and 3.6 (MP_TCPRST). Every transfer is checked byte for byte (SHA-256). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pm/pm.h"
#include "tcp_pair.h"
#include "testutil.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "umptcp/mptcp.h"
#include "umptcp/pm.h"
#include "wire/mptcp_opt.h"
#include "wire/tcp.h"

#include <stdlib.h>
#include <string.h>

#define A2 "10.0.0.11" /* A's second address */
#define B2 "10.0.0.12" /* B's second address */

struct px;
typedef void (*px_action_fn)(struct px *x);

struct px {
    struct tcp_pair *p;
    umptcp_listener *lis;
    umptcp_conn *c[2];
    struct tp_stream s[2]; /* s[X]: what X sends */
    bool closed[2];
    int err[2];
    /* set-up */
    bool a2, b2;    /* second addresses */
    const char *pm; /* the client's path manager */
    /* an action once B has read this much of A's stream (0: none) */
    size_t act_at;
    px_action_fn act;
    bool acted;
    uint64_t act_time;
    unsigned a2_at_act;       /* data_src_a2 when the act ran */
    uint8_t lis_max_subflows; /* the listener's subflow limit (0: default) */
    bool corrupt_join_synack; /* B's MP_JOIN SYN/ACK HMAC is damaged on the wire */
    bool drop_rst_from_b2;    /* B's RSTs from B2 are lost (its interface went away first) */
    unsigned drop_prio;       /* this many segments carrying MP_PRIO are lost */
    /* "A receiver that drops what it acknowledged": one data segment of A's A2 subflow is lost
     * while B's next ACK there is rewritten to cover it, as a peer does that discards a failing
     * subflow's unread data; the act then runs 100 ms later (when the data level is stuck). */
    bool lie;
    bool lied, lie_acked;
    unsigned lie_count; /* A's data segments from A2 so far: the 20th is the one */
    uint32_t lie_end;
    uint64_t lie_time;
    /* what crossed the wire */
    unsigned data_segs[2];
    unsigned data_src_a2, data_dst_b2; /* A's data segments from A2 / to B2 */
    /* [side][0: first addresses, 1: second] sent from 30 ms after the act (3 one-way delays:
     * what was in flight or answered before the peer heard of it is not counted) */
    unsigned data_after_act[2][2];
    unsigned opt_seen[2][16];  /* MPTCP subtypes sent per side */
    unsigned rst_reason[2][8]; /* MP_TCPRST reasons sent per side */
    unsigned rsts[2];
    uint16_t a_ports[8]; /* distinct source ports of A's data segments */
    unsigned n_a_ports;
    /* path filter: drop everything to or from A2 (after the cut time, 0 = never) */
    uint64_t cut_a2_at;
};

static umptcp_addr px_addr(const char *s)
{
    umptcp_addr a;
    assert_int_equal(umptcp_addr_parse(&a, s), 0);
    return a;
}

static void px_pump(struct px *x, int side)
{
    umptcp_conn *c = x->c[side];
    if (c == NULL)
        return;
    tp_stream_write(&x->s[side], c, x->p->now);
    tp_stream_read(&x->s[1 - side], c, SIZE_MAX, x->p->now);
    if (x->act != NULL && !x->acted && x->s[TP_A].received >= x->act_at) {
        x->acted = true;
        x->act_time = x->p->now;
        x->a2_at_act = x->data_src_a2;
        x->act(x);
    }
}

static void px_event(void *user, struct tcp_pair *p, int side, umptcp_conn *c,
                     const umptcp_event *ev)
{
    struct px *x = user;
    (void)p;
    if (ev->type == UMPTCP_EV_ACCEPTABLE) {
        x->c[side] = umptcp_accept(ev->listener, NULL);
        px_pump(x, side);
        return;
    }
    if (ev->type == UMPTCP_EV_CLOSED) {
        x->closed[side] = true;
        x->err[side] = ev->error;
        return;
    }
    if (c == x->c[side])
        px_pump(x, side);
}

static void px_trace(void *user, struct tcp_pair *p, const struct tp_trace *t)
{
    struct px *x = user;
    (void)p;
    if (t->seg == NULL || t->dropped)
        return;
    for (unsigned i = 0; i < t->seg->opt.mptcp_count; i++) {
        struct wire_mptcp_opt o;
        if (wire_mptcp_parse(t->seg->opt.mptcp[i].data, t->seg->opt.mptcp[i].len, &o) <= 0)
            continue;
        x->opt_seen[t->from][o.subtype & 0xf]++;
        if (o.subtype == WIRE_MPTCP_MP_TCPRST && o.u.tcprst.reason < 8)
            x->rst_reason[t->from][o.u.tcprst.reason]++;
    }
    if (t->seg->tcp.flags & WIRE_TCP_RST)
        x->rsts[t->from]++;
    if (t->seg->tcp.payload_len == 0)
        return;
    x->data_segs[t->from]++;
    if (t->from == TP_A) {
        unsigned k = 0;
        while (k < x->n_a_ports && x->a_ports[k] != t->seg->tcp.sport)
            k++;
        if (k == x->n_a_ports && k < 8)
            x->a_ports[x->n_a_ports++] = t->seg->tcp.sport;
    }
    umptcp_addr a2 = px_addr(A2), b2 = px_addr(B2);
    const umptcp_addr *mine = t->from == TP_A ? &t->seg->ip.src : &t->seg->ip.dst;
    const umptcp_addr *theirs = t->from == TP_A ? &t->seg->ip.dst : &t->seg->ip.src;
    bool second = umptcp_addr_equal(mine, &a2) || umptcp_addr_equal(theirs, &b2);
    if (t->from == TP_A && second)
        x->data_src_a2++;
    if (t->from == TP_A && umptcp_addr_equal(&t->seg->ip.dst, &b2))
        x->data_dst_b2++;
    if (x->acted && t->sent_at >= x->act_time + 30 * TP_MS)
        x->data_after_act[t->from][second ? 1 : 0]++;
}

/* Flips a bit of the truncated HMAC in an MP_JOIN SYN/ACK (byte 4 of the option). */
static void px_damage_join_synack(struct tp_packet *pkt, const struct wire_segment *seg)
{
    if ((seg->tcp.flags & (WIRE_TCP_SYN | WIRE_TCP_ACK)) != (WIRE_TCP_SYN | WIRE_TCP_ACK))
        return;
    for (unsigned i = 0; i < seg->opt.mptcp_count; i++) {
        const uint8_t *o = seg->opt.mptcp[i].data;
        if (seg->opt.mptcp[i].len != 16 || (o[2] >> 4) != WIRE_MPTCP_MP_JOIN)
            continue;
        struct wire_segment_spec spec = {.src = {.addr = seg->ip.src, .port = seg->tcp.sport},
                                         .dst = {.addr = seg->ip.dst, .port = seg->tcp.dport},
                                         .seq = seg->tcp.seq,
                                         .ack = seg->tcp.ack,
                                         .flags = seg->tcp.flags,
                                         .window = seg->tcp.window};
        struct wire_tcp_options opt = seg->opt;
        uint8_t copy[16];
        memcpy(copy, o, sizeof(copy));
        copy[4] ^= 0x01;
        opt.mptcp[i].data = copy;
        spec.opt = &opt;
        tp_packet_rewrite(pkt, &spec);
        return;
    }
}

static enum tp_verdict px_lie(struct px *x, int from, struct tp_packet *pkt,
                              const struct wire_segment *seg)
{
    umptcp_addr a2 = px_addr(A2);
    if (!x->lied && from == TP_A && seg->tcp.payload_len > 0 &&
        umptcp_addr_equal(&seg->ip.src, &a2) && ++x->lie_count == 20) {
        x->lied = true;
        x->lie_end = seg->tcp.seq + (uint32_t)seg->tcp.payload_len;
        x->lie_time = x->p->now;
        return TP_DROP;
    }
    if (x->lied && !x->lie_acked && from == TP_B && umptcp_addr_equal(&seg->ip.dst, &a2) &&
        (seg->tcp.flags & WIRE_TCP_ACK) && !(seg->tcp.flags & (WIRE_TCP_SYN | WIRE_TCP_RST))) {
        struct wire_tcp_options opt = seg->opt;
        opt.present &= ~WIRE_OPT_SACK; /* no SACK block may contradict the lie */
        opt.sack_count = 0;
        struct wire_segment_spec spec = {.src = {.addr = seg->ip.src, .port = seg->tcp.sport},
                                         .dst = {.addr = seg->ip.dst, .port = seg->tcp.dport},
                                         .seq = seg->tcp.seq,
                                         .ack = x->lie_end,
                                         .flags = seg->tcp.flags,
                                         .window = seg->tcp.window,
                                         .opt = &opt,
                                         .payload = seg->tcp.payload,
                                         .payload_len = seg->tcp.payload_len};
        tp_packet_rewrite(pkt, &spec);
        x->lie_acked = true;
    }
    return TP_PASS;
}

static bool px_has_prio(const struct wire_segment *seg)
{
    struct wire_mptcp_opt o;
    return wire_mptcp_find(seg, WIRE_MPTCP_MP_PRIO, &o);
}

static enum tp_verdict px_filter(void *user, struct tcp_pair *p, int from, struct tp_packet *pkt,
                                 const struct wire_segment *seg)
{
    struct px *x = user;
    umptcp_addr a2 = px_addr(A2);
    if (x->cut_a2_at != 0 && p->now >= x->cut_a2_at && seg != NULL &&
        (umptcp_addr_equal(&seg->ip.src, &a2) || umptcp_addr_equal(&seg->ip.dst, &a2)))
        return TP_DROP;
    umptcp_addr b2 = px_addr(B2);
    if (x->drop_rst_from_b2 && seg != NULL && (seg->tcp.flags & WIRE_TCP_RST) &&
        umptcp_addr_equal(&seg->ip.src, &b2))
        return TP_DROP;
    if (x->drop_prio > 0 && seg != NULL && px_has_prio(seg)) {
        x->drop_prio--;
        return TP_DROP;
    }
    if (x->corrupt_join_synack && from == TP_B && seg != NULL)
        px_damage_join_synack(pkt, seg);
    if (x->lie && seg != NULL)
        return px_lie(x, from, pkt, seg);
    return TP_PASS;
}

static bool px_act_due(const struct px *x)
{
    return x->lie && x->lied && !x->acted && x->act != NULL &&
           x->p->now >= x->lie_time + 100 * TP_MS;
}

static bool px_both_closed(struct tcp_pair *p, void *arg)
{
    struct px *x = arg;
    (void)p;
    return (x->closed[TP_A] && x->closed[TP_B]) || px_act_due(x);
}

static struct px *px_new(bool a2, bool b2)
{
    struct px *x = calloc(1, sizeof(*x));
    struct tp_config conf;
    tp_config_init(&conf);
    x->p = tp_new(&conf);
    x->a2 = a2;
    x->b2 = b2;
    tp_set_event_cb(x->p, px_event, x);
    tp_set_trace(x->p, px_trace, x);
    tp_set_filter(x->p, TP_A, px_filter, x);
    tp_set_filter(x->p, TP_B, px_filter, x);
    if (a2) {
        umptcp_addr a = px_addr(A2);
        assert_int_equal(umptcp_stack_add_address(x->p->st[TP_A], 2, &a), 0);
    }
    if (b2) {
        umptcp_addr b = px_addr(B2);
        assert_int_equal(umptcp_stack_add_address(x->p->st[TP_B], 2, &b), 0);
    }
    return x;
}

/* Runs a transfer of `bytes` from A (and half of it from B) to completion and checks both
 * streams byte for byte and an orderly close on both sides. */
static void px_run(struct px *x, size_t bytes)
{
    tp_stream_init(&x->s[TP_A], bytes, 1);
    tp_stream_init(&x->s[TP_B], bytes / 2, 2);
    x->s[TP_A].shutdown_after = x->s[TP_B].shutdown_after = true;
    umptcp_conn_opts so = {.mptcp = true, .max_subflows = x->lis_max_subflows};
    x->lis = tp_listen(x->p, TP_B, 5201, &so);
    umptcp_conn_opts co = {.mptcp = true, .pm = x->pm};
    x->c[TP_A] = tp_connect(x->p, TP_A, 5201, &co);
    uint64_t deadline = x->p->now + 120 * TP_SEC;
    bool done = false;
    for (unsigned round = 0; round < 3 && !done; round++) {
        tp_run_until(x->p, px_both_closed, x, deadline);
        if (px_act_due(x)) { /* between steps: no stack call is under way */
            x->acted = true;
            x->act_time = x->p->now;
            x->act(x);
        }
        done = x->closed[TP_A] && x->closed[TP_B];
    }
    if (!done || getenv("PX_DEBUG") != NULL) {
        for (int side = 0; side < 2; side++) {
            umptcp_counter cs[160];
            size_t n = umptcp_stack_counters(x->p->st[side], cs, 160);
            for (size_t i = 0; i < n && i < 160; i++)
                if (cs[i].value != 0)
                    print_message("  %c %s=%llu\n", side ? 'B' : 'A', cs[i].name,
                                  (unsigned long long)cs[i].value);
        }
        print_message("  at %.3f s: B read %zu of A, A read %zu of B\n", (double)x->p->now / 1e9,
                      x->s[TP_A].received, x->s[TP_B].received);
    }
    assert_true(done);
    tp_stream_check(&x->s[TP_A]);
    tp_stream_check(&x->s[TP_B]);
    assert_int_equal(x->err[TP_A], 0);
    assert_int_equal(x->err[TP_B], 0);
}

static void px_free(struct px *x)
{
    for (int i = 0; i < 2; i++) {
        if (x->c[i] != NULL)
            umptcp_conn_close(x->c[i], x->p->now);
        tp_stream_free(&x->s[i]);
    }
    tp_free(x->p);
    free(x);
}

/* ---- the registry ------------------------------------------------------------------------ */

static void test_registry_builtins(void **state)
{
    (void)state;
    struct mptcp_pm_registry reg;
    assert_int_equal(mptcp_pm_registry_init(&reg), UMPTCP_OK);
    assert_int_equal(mptcp_pm_registry_count(&reg), 2);
    assert_ptr_equal(mptcp_pm_registry_find(&reg, "fullmesh"), &mptcp_pm_fullmesh_ops);
    assert_ptr_equal(mptcp_pm_registry_find(&reg, "ndiffports"), &mptcp_pm_ndiffports_ops);
    assert_null(mptcp_pm_registry_find(&reg, "nosuch"));
    char buf[64];
    assert_int_equal(mptcp_pm_registry_list(&reg, buf, sizeof(buf)), 20);
    assert_string_equal(buf, "fullmesh, ndiffports");
    /* The same rules as the other registries: a valid unique name. */
    struct mptcp_pm_ops bad = {.name = "Full Mesh"};
    assert_int_equal(mptcp_pm_registry_add(&reg, &bad), UMPTCP_ERR_INVAL);
    struct mptcp_pm_ops dup = {.name = "fullmesh"};
    assert_int_equal(mptcp_pm_registry_add(&reg, &dup), UMPTCP_ERR_EXISTS);
    struct mptcp_pm_ops big = {.name = "big", .priv_size = MPTCP_PM_PRIV_MAX + 1};
    assert_int_equal(mptcp_pm_registry_add(&reg, &big), UMPTCP_ERR_INVAL);
    struct mptcp_pm_ops mine = {.name = "mine"};
    assert_int_equal(mptcp_pm_registry_add(&reg, &mine), UMPTCP_OK);
    assert_string_equal(mptcp_pm_registry_name_at(&reg, 2), "mine");
}

/* An unknown path manager name is refused at connect and at listen. */
static void test_unknown_pm_refused(void **state)
{
    (void)state;
    struct px *x = px_new(false, false);
    umptcp_conn_opts o = {.mptcp = true, .pm = "nosuch"};
    umptcp_sockaddr r = tp_sockaddr(x->p, TP_B, 5201);
    umptcp_conn *c = NULL;
    assert_int_equal(umptcp_connect(x->p->st[TP_A], &r, &o, 0, &c), UMPTCP_ERR_INVAL);
    assert_null(c);
    umptcp_listener *l = NULL;
    umptcp_sockaddr local = tp_sockaddr(x->p, TP_B, 5201);
    assert_int_equal(umptcp_listen(x->p->st[TP_B], &local, &o, &l), UMPTCP_ERR_INVAL);
    px_free(x);
}

/* "fullmesh" by name (the default too): a second local address gives a second subflow. */
static void test_fullmesh_by_name(void **state)
{
    (void)state;
    struct px *x = px_new(true, false);
    x->pm = "fullmesh";
    px_run(x, 2 << 20);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPJoinAckRx"), 1);
    assert_true(x->data_src_a2 > 0);
    px_free(x);
}

/* "ndiffports": MPTCP_PM_NDIFFPORTS subflows over the one address pair, different source
 * ports, each carrying data; A's second address is not used. */
static void test_ndiffports(void **state)
{
    (void)state;
    struct px *x = px_new(true, false);
    x->pm = "ndiffports";
    px_run(x, 4 << 20);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPJoinAckRx"), MPTCP_PM_NDIFFPORTS - 1);
    assert_int_equal(x->data_src_a2, 0);
    assert_int_equal(x->n_a_ports, MPTCP_PM_NDIFFPORTS);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPJoinAckHMacFailure"), 0);
    px_free(x);
}

/* ---- MP_TCPRST (RFC 8684 3.6) ------------------------------------------------------------ */

/* The subflow of c that the peer reset with MP_TCPRST, or -1. */
static int px_reset_subflow(const umptcp_conn *c, umptcp_subflow_rst *out)
{
    for (unsigned i = 0; i < 8; i++) {
        if (umptcp_conn_subflow_rst(c, i, out) != UMPTCP_OK)
            return -1;
        if (out->received)
            return (int)i;
    }
    return -1;
}

/* A join whose SYN/ACK HMAC fails is reset with reason 0x01 (MPTCP-specific error); the peer
 * counts MPRstRx and keeps the reason on that subflow; the data still arrives whole. */
static void test_rst_reason_on_join_hmac_failure(void **state)
{
    (void)state;
    struct px *x = px_new(true, false);
    x->corrupt_join_synack = true;
    px_run(x, 1 << 20);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPJoinSynAckHMacFailure"), 1);
    assert_int_equal(x->rst_reason[TP_A][WIRE_TCPRST_MPTCP_ERROR], 1);
    /* Every RST A sent carried MP_TCPRST. */
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPRstTx"), x->rsts[TP_A]);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPRstRx"), 1);
    umptcp_subflow_rst r;
    assert_int_equal(px_reset_subflow(x->c[TP_B], &r), 1);
    assert_int_equal(r.reason, UMPTCP_RST_MPTCP_ERROR);
    assert_false(r.transient);
    assert_int_equal(umptcp_conn_subflow_rst(x->c[TP_A], 1, &r), UMPTCP_OK);
    assert_true(r.sent);
    assert_int_equal(r.sent_reason, UMPTCP_RST_MPTCP_ERROR);
    assert_int_equal(x->data_src_a2, 0);
    px_free(x);
}

/* Over the listener's subflow limit (2 here) a join SYN is answered with a RST carrying reason
 * 0x03 (administratively prohibited) and T; the client keeps it on its rejected subflow. */
static void test_rst_reason_over_subflow_limit(void **state)
{
    (void)state;
    struct px *x = px_new(true, false);
    umptcp_addr a3 = px_addr("10.0.0.13");
    assert_int_equal(umptcp_stack_add_address(x->p->st[TP_A], 3, &a3), 0);
    x->lis_max_subflows = 2;
    px_run(x, 2 << 20);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPJoinSynRx"), 1);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPJoinRejected"), 1);
    assert_int_equal(x->rst_reason[TP_B][WIRE_TCPRST_PROHIBITED], 1);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPRstTx"), x->rsts[TP_B]);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPRstRx"), 1);
    umptcp_subflow_rst r;
    assert_true(px_reset_subflow(x->c[TP_A], &r) >= 1);
    assert_int_equal(r.reason, UMPTCP_RST_PROHIBITED);
    assert_true(r.transient);
    px_free(x);
}

/* ---- MP_PRIO (RFC 8684 3.3.8) --------------------------------------------------------------- */

static void px_backup_a2(struct px *x)
{
    umptcp_addr a2 = px_addr(A2);
    assert_int_equal(umptcp_conn_set_backup(x->c[TP_A], &a2, true, x->p->now), 1);
}

/* A marks its subflow from A2 backup mid-transfer: it sends MP_PRIO there, B counts MPPrioRx
 * and stops sending on it, and A stops too; the data goes on the first subflow. */
static void test_mp_prio_moves_data(void **state)
{
    (void)state;
    struct px *x = px_new(true, false);
    x->act_at = 1 << 20;
    x->act = px_backup_a2;
    px_run(x, 8 << 20);
    assert_true(x->acted);
    /* Sent on three pure ACKs (nothing acknowledges it); B takes each as the same request. */
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPPrioTx"), 3);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPPrioRx"), 3);
    assert_int_equal(x->opt_seen[TP_A][WIRE_MPTCP_MP_PRIO], 3);
    print_message("  A data from A2 before: %u; after (A, B on A2 / first): %u/%u, %u/%u\n",
                  x->data_src_a2, x->data_after_act[TP_A][1], x->data_after_act[TP_A][0],
                  x->data_after_act[TP_B][1], x->data_after_act[TP_B][0]);
    assert_true(x->data_src_a2 > 0);
    assert_true(x->data_after_act[TP_A][0] > 0);
    assert_true(x->data_after_act[TP_B][0] > 0);
    assert_int_equal(x->data_after_act[TP_A][1], 0);
    assert_int_equal(x->data_after_act[TP_B][1], 0);
    px_free(x);
}

/* The first two segments carrying the MP_PRIO are lost: the third gets through, and B stops
 * sending on the subflow as before. Regression: MP_PRIO went once, and a lost (or, at the
 * kernel, out-of-window) pure ACK left the peer sending on a path we asked it to spare. */
static void test_mp_prio_repeated(void **state)
{
    (void)state;
    struct px *x = px_new(true, false);
    x->act_at = 1 << 20;
    x->act = px_backup_a2;
    x->drop_prio = 2;
    px_run(x, 8 << 20);
    assert_true(x->acted);
    assert_int_equal(x->drop_prio, 0);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPPrioTx"), 3);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPPrioRx"), 1);
    print_message("  B data after the MP_PRIO request (first / A2): %u / %u\n",
                  x->data_after_act[TP_B][0], x->data_after_act[TP_B][1]);
    assert_true(x->data_after_act[TP_B][0] > 0);
    assert_true(x->data_after_act[TP_B][1] < 8);
    /* B knows: its subflow to A2 is a backup at our request. */
    umptcp_addr a2 = px_addr(A2);
    umptcp_mptcp_info mi;
    assert_int_equal(umptcp_conn_get_mptcp_info(x->c[TP_B], &mi), UMPTCP_OK);
    unsigned to_a2 = 0;
    for (unsigned k = 0; k < mi.subflows; k++) {
        umptcp_subflow_info si;
        assert_int_equal(umptcp_conn_get_subflow_info(x->c[TP_B], k, &si), UMPTCP_OK);
        if (umptcp_addr_equal(&si.tcp.remote.addr, &a2)) {
            to_a2++;
            assert_true(si.peer_backup);
        }
    }
    assert_int_equal(to_a2, 1);
    px_free(x);
}

/* An interface's address marked backup before the connection (umptcp_stack_set_backup): the
 * join from it carries B=1 (3.2), so neither side sends data on it, and no MP_PRIO is needed;
 * marked back mid-transfer, MP_PRIO B=0 goes and the data uses it again. */
static void px_unbackup_a2(struct px *x)
{
    umptcp_addr a2 = px_addr(A2);
    assert_int_equal(umptcp_stack_set_backup(x->p->st[TP_A], &a2, false), UMPTCP_OK);
}

static void test_stack_backup_address(void **state)
{
    (void)state;
    struct px *x = px_new(true, false);
    umptcp_addr a2 = px_addr(A2), nosuch = px_addr("10.9.9.9");
    assert_int_equal(umptcp_stack_set_backup(x->p->st[TP_A], &nosuch, true), UMPTCP_ERR_NOTFOUND);
    assert_int_equal(umptcp_stack_set_backup(x->p->st[TP_A], &a2, true), UMPTCP_OK);
    x->act_at = 1 << 20;
    x->act = px_unbackup_a2;
    px_run(x, 8 << 20);
    print_message("  A data from A2: %u while backup, %u after; B to A2 after: %u\n", x->a2_at_act,
                  x->data_src_a2 - x->a2_at_act, x->data_after_act[TP_B][1]);
    assert_true(x->acted);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPJoinAckRx"), 1);
    assert_int_equal(x->a2_at_act, 0); /* none while backup */
    assert_true(x->data_src_a2 > 0);
    assert_true(x->data_after_act[TP_B][1] > 0);
    /* Only the way back (on three pure ACKs, see mptcp_prio.c). */
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPPrioTx"), 3);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPPrioRx"), 3);
    px_free(x);
}

/* ---- REMOVE_ADDR (RFC 8684 3.4.2) ------------------------------------------------------------ */

static void px_remove_a2(struct px *x)
{
    umptcp_addr a2 = px_addr(A2);
    assert_int_equal(umptcp_stack_remove_address(x->p->st[TP_A], &a2), UMPTCP_OK);
}

static void px_remove_b2(struct px *x)
{
    umptcp_addr b2 = px_addr(B2);
    assert_int_equal(umptcp_stack_remove_address(x->p->st[TP_B], &b2), UMPTCP_OK);
}

/* The client loses its second address mid-transfer: it resets that subflow (MP_TCPRST), sends
 * REMOVE_ADDR with the address's ID on the other one, and what the subflow held goes again on
 * the first; the server counts RmAddr; both streams arrive whole. */
static void test_remove_addr_client(void **state)
{
    (void)state;
    struct px *x = px_new(true, false);
    x->act_at = 1 << 20;
    x->act = px_remove_a2;
    px_run(x, 8 << 20);
    assert_true(x->acted);
    assert_true(x->data_src_a2 > 0);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtRmAddrTx"), 1);
    assert_int_equal(x->opt_seen[TP_A][WIRE_MPTCP_REMOVE_ADDR], 1);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtRmAddr"), 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtRmSubflow"), 1);
    assert_true(tp_counter(x->p, TP_A, "MPTcpExtMPRstTx") >= 1);
    print_message("  after: A on A2 %u, first %u; B on A2 %u, first %u; reinjected %llu\n",
                  x->data_after_act[TP_A][1], x->data_after_act[TP_A][0],
                  x->data_after_act[TP_B][1], x->data_after_act[TP_B][0],
                  (unsigned long long)tp_counter(x->p, TP_A, "MPTcpExtReinject"));
    assert_int_equal(x->data_after_act[TP_A][1], 0);
    assert_int_equal(x->data_after_act[TP_B][1], 0);
    assert_true(x->data_after_act[TP_A][0] > 0);
    px_free(x);
}

/* The server loses the address it announced mid-transfer: it resets its subflow there and
 * sends REMOVE_ADDR; the client counts RmAddr, forgets the address, and its data goes on the
 * first subflow; both streams arrive whole. */
static void test_remove_addr_server(void **state)
{
    (void)state;
    struct px *x = px_new(false, true);
    x->act_at = 1 << 20;
    x->act = px_remove_b2;
    px_run(x, 8 << 20);
    assert_true(x->acted);
    assert_true(x->data_dst_b2 > 0);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtRmAddrTx"), 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtRmAddr"), 1);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtRmSubflow"), 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPRstRx"), 1);
    print_message("  after: A to B2 %u, first %u; B from B2 %u, first %u\n",
                  x->data_after_act[TP_A][1], x->data_after_act[TP_A][0],
                  x->data_after_act[TP_B][1], x->data_after_act[TP_B][0]);
    assert_int_equal(x->data_after_act[TP_A][1], 0);
    assert_int_equal(x->data_after_act[TP_B][1], 0);
    assert_true(x->data_after_act[TP_A][0] > 0);
    px_free(x);
}

/* The same, but the server's RST from the vanished address never arrives: the REMOVE_ADDR alone
 * makes the client reset its subflow to that address ID (RmSubflow) and move its data. */
static void test_remove_addr_server_rst_lost(void **state)
{
    (void)state;
    struct px *x = px_new(false, true);
    x->act_at = 1 << 20;
    x->act = px_remove_b2;
    x->drop_rst_from_b2 = true;
    px_run(x, 8 << 20);
    assert_true(x->acted);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtRmAddr"), 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtRmSubflow"), 1);
    assert_int_equal(tp_counter(x->p, TP_A, "MPTcpExtMPRstRx"), 0);
    assert_true(tp_counter(x->p, TP_A, "MPTcpExtMPRstTx") >= 1);
    assert_int_equal(x->data_after_act[TP_A][1], 0);
    assert_true(x->data_after_act[TP_A][0] > 0);
    px_free(x);
}

/* Regression: with the data level of both ends stuck (see px_lie) and the DATA_FIN out, A's
 * REMOVE_ADDR still goes (it used to wait for room the DATA_FIN held), so B resets its subflow
 * to the removed address, which its RSTs could not close (B's rcv_nxt lags A's snd_nxt), and
 * the connection ends in order. */
static void test_remove_addr_while_data_fin_out(void **state)
{
    (void)state;
    struct px *x = px_new(true, false);
    x->lie = true;
    x->act = px_remove_a2;
    x->act_at = SIZE_MAX; /* acts only once the data level is stuck (px_act_due) */
    px_run(x, 4 << 20);
    assert_true(x->lied);
    assert_true(x->lie_acked);
    assert_true(x->acted);
    assert_true(tp_counter(x->p, TP_A, "MPTcpExtReinject") >= 1);
    px_free(x);
}

/* Regression: a peer acknowledged a segment on a subflow and never passed it up (Linux prunes
 * what does not fit its connection-level queue): DATA_ACK stops while every subflow is fully
 * acknowledged. The data-level retransmission timer sends the oldest unacknowledged chunk
 * again (MPTCPRetrans) on the other subflow, and the stream completes. Before it the
 * connection waited until the lying subflow stalled. */
static void test_data_level_retransmission(void **state)
{
    (void)state;
    struct px *x = px_new(true, false);
    x->lie = true;
    /* More than the send buffer (4 MB): the DATA_FIN cannot be out while DATA_ACK is stuck. */
    px_run(x, 32 << 20);
    assert_true(x->lied);
    assert_true(x->lie_acked);
    print_message("  MPTCPRetrans %llu\n",
                  (unsigned long long)tp_counter(x->p, TP_A, "MPTcpExtMPTCPRetrans"));
    assert_true(tp_counter(x->p, TP_A, "MPTcpExtMPTCPRetrans") >= 1);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPTCPRetrans"), 0);
    px_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_builtins),
        cmocka_unit_test(test_unknown_pm_refused),
        cmocka_unit_test(test_fullmesh_by_name),
        cmocka_unit_test(test_ndiffports),
        cmocka_unit_test(test_rst_reason_on_join_hmac_failure),
        cmocka_unit_test(test_rst_reason_over_subflow_limit),
        cmocka_unit_test(test_mp_prio_moves_data),
        cmocka_unit_test(test_mp_prio_repeated),
        cmocka_unit_test(test_stack_backup_address),
        cmocka_unit_test(test_remove_addr_client),
        cmocka_unit_test(test_remove_addr_server),
        cmocka_unit_test(test_remove_addr_server_rst_lost),
        cmocka_unit_test(test_remove_addr_while_data_fin_out),
        cmocka_unit_test(test_data_level_retransmission),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
