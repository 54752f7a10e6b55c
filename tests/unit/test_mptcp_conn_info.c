/* What the public API shows of an MPTCP connection (umptcp/mptcp.h), between two umptcp
 * stacks on the in-process pair: MPTCP in use or the fallback reason, tokens that match
 * across the two ends, every subflow with its addresses, address IDs, backup flags and bytes,
 * the data-level view of umptcp_conn_get_info(); the per-connection options (scheduler, path
 * manager, subflow limit) and backup addresses; every MPTcpExt counter by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tcp_pair.h"
#include "testutil.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "umptcp/mptcp.h"
#include "umptcp/pm.h"

#include <stdlib.h>
#include <string.h>

#define PORT 5301
#define UP (4u << 20) /* A -> B */
#define DOWN (1u << 20)

struct ci {
    struct tcp_pair *p;
    umptcp_conn *c[2];
    struct tp_stream s[2]; /* s[X]: what X sends */
    bool closed[2];
    int err[2];
    umptcp_addr second; /* A's second address, when it has one */
};

static void ci_pump(struct ci *x, int side)
{
    if (x->c[side] == NULL)
        return;
    tp_stream_write(&x->s[side], x->c[side], x->p->now);
    tp_stream_read(&x->s[1 - side], x->c[side], SIZE_MAX, x->p->now);
}

static void ci_event(void *user, struct tcp_pair *p, int side, umptcp_conn *c,
                     const umptcp_event *ev)
{
    struct ci *x = user;
    (void)p;
    if (ev->type == UMPTCP_EV_ACCEPTABLE)
        x->c[side] = umptcp_accept(ev->listener, NULL);
    else if (ev->type == UMPTCP_EV_CLOSED && c == x->c[side]) {
        x->closed[side] = true;
        x->err[side] = ev->error;
        return;
    }
    ci_pump(x, side);
}

/* A pair where A has a second address (10.0.0.11, interface 2). */
static struct ci *ci_new(bool second_addr)
{
    struct ci *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    struct tp_config conf;
    tp_config_init(&conf);
    x->p = tp_new(&conf);
    tp_set_event_cb(x->p, ci_event, x);
    if (second_addr) {
        assert_int_equal(umptcp_addr_parse(&x->second, "10.0.0.11"), 0);
        assert_int_equal(umptcp_stack_add_address(x->p->st[TP_A], 2, &x->second), 0);
    }
    tp_stream_init(&x->s[TP_A], UP, 1);
    tp_stream_init(&x->s[TP_B], DOWN, 2);
    x->s[TP_A].shutdown_after = x->s[TP_B].shutdown_after = true;
    return x;
}

static void ci_start(struct ci *x, const umptcp_conn_opts *client, const umptcp_conn_opts *server)
{
    tp_listen(x->p, TP_B, PORT, server);
    x->c[TP_A] = tp_connect(x->p, TP_A, PORT, client);
    ci_pump(x, TP_A);
}

static bool ci_both_closed(struct tcp_pair *p, void *arg)
{
    struct ci *x = arg;
    (void)p;
    return x->closed[TP_A] && x->closed[TP_B];
}

static umptcp_conn_state ci_state(const struct ci *x, int side)
{
    umptcp_conn_info i;
    assert_int_equal(umptcp_conn_get_info(x->c[side], &i), UMPTCP_OK);
    return i.state;
}

/* Both DATA_FINs are acknowledged at this side: TIME_WAIT while subflows finish, CLOSED once
 * they all have (the last ACK may do both at once). */
static bool ci_data_level_done(const struct ci *x, int side)
{
    umptcp_conn_state st = ci_state(x, side);
    return st == UMPTCP_STATE_TIME_WAIT || st == UMPTCP_STATE_CLOSED;
}

static bool ci_both_data_fins_done(struct tcp_pair *p, void *arg)
{
    struct ci *x = arg;
    (void)p;
    return x->c[TP_A] != NULL && x->c[TP_B] != NULL && ci_data_level_done(x, TP_A) &&
           ci_data_level_done(x, TP_B);
}

/* Both connections exist and both writers shut down. */
static bool ci_pumped(struct tcp_pair *p, void *arg)
{
    struct ci *x = arg;
    (void)p;
    return x->c[TP_A] != NULL && x->c[TP_B] != NULL && x->s[TP_A].shut && x->s[TP_B].shut;
}

/* Runs to the end: both streams arrived whole, both connections closed in order. */
static void ci_finish(struct ci *x)
{
    assert_true(tp_run_until(x->p, ci_both_closed, x, x->p->now + 60 * TP_SEC));
    tp_stream_check(&x->s[TP_A]);
    tp_stream_check(&x->s[TP_B]);
    assert_int_equal(x->err[TP_A], 0);
    assert_int_equal(x->err[TP_B], 0);
}

static void ci_free(struct ci *x)
{
    for (int i = 0; i < 2; i++) {
        if (x->c[i] != NULL)
            umptcp_conn_close(x->c[i], x->p->now);
        tp_stream_free(&x->s[i]);
    }
    tp_free(x->p);
    free(x);
}

static umptcp_mptcp_info ci_mptcp(const struct ci *x, int side)
{
    umptcp_mptcp_info m;
    assert_int_equal(umptcp_conn_get_mptcp_info(x->c[side], &m), UMPTCP_OK);
    return m;
}

static umptcp_subflow_info ci_subflow(const struct ci *x, int side, unsigned i)
{
    umptcp_subflow_info sf;
    assert_int_equal(umptcp_conn_get_subflow_info(x->c[side], i, &sf), UMPTCP_OK);
    return sf;
}

/* The subflow of the other side with the same addresses (swapped). */
static umptcp_subflow_info ci_peer_subflow(const struct ci *x, int side,
                                           const umptcp_subflow_info *mine)
{
    umptcp_mptcp_info m = ci_mptcp(x, 1 - side);
    for (unsigned i = 0; i < m.subflows; i++) {
        umptcp_subflow_info sf = ci_subflow(x, 1 - side, i);
        if (umptcp_addr_equal(&sf.tcp.local.addr, &mine->tcp.remote.addr) &&
            sf.tcp.local.port == mine->tcp.remote.port &&
            umptcp_addr_equal(&sf.tcp.remote.addr, &mine->tcp.local.addr) &&
            sf.tcp.remote.port == mine->tcp.local.port)
            return sf;
    }
    fail_msg("no peer subflow for subflow %u of side %d", mine->local_id, side);
    return *mine;
}

/* Two subflows (the second from A's second address): what each end reports. */
static void test_two_subflows(void **state)
{
    (void)state;
    struct ci *x = ci_new(true);
    umptcp_conn_opts o = {.mptcp = true};
    ci_start(x, &o, &o);
    /* The data level goes through the states of RFC 9293 with DATA_FIN for FIN. */
    assert_true(tp_run_until(x->p, ci_pumped, x, x->p->now + 60 * TP_SEC));
    assert_int_equal(ci_state(x, TP_A), UMPTCP_STATE_FIN_WAIT_1); /* everything written */
    assert_true(tp_run_until(x->p, ci_both_data_fins_done, x, x->p->now + 60 * TP_SEC));
    umptcp_conn_info a, b;
    assert_int_equal(umptcp_conn_get_info(x->c[TP_A], &a), UMPTCP_OK);
    assert_int_equal(umptcp_conn_get_info(x->c[TP_B], &b), UMPTCP_OK);
    assert_int_equal(a.bytes_sent, UP);
    assert_int_equal(a.bytes_acked, UP);
    assert_int_equal(a.bytes_received, DOWN);
    assert_int_equal(b.bytes_sent, DOWN);
    assert_int_equal(b.bytes_acked, DOWN);
    assert_int_equal(b.bytes_received, UP);
    assert_int_equal(a.error, 0);
    ci_finish(x);
    assert_int_equal(ci_state(x, TP_A), UMPTCP_STATE_CLOSED);

    for (int side = 0; side < 2; side++) {
        umptcp_mptcp_info m = ci_mptcp(x, side), peer = ci_mptcp(x, 1 - side);
        assert_true(m.requested);
        assert_true(m.mptcp);
        assert_null(m.fallback);
        assert_false(m.checksum);
        assert_int_not_equal(m.local_token, 0);
        assert_int_equal(m.remote_token, peer.local_token);
        assert_int_equal(m.subflows, 2);
        assert_int_equal(m.max_subflows, UMPTCP_MPTCP_MAX_SUBFLOWS);
        assert_string_equal(m.sched, "minrtt");
        assert_string_equal(m.pm, "fullmesh");
        umptcp_conn_info ci;
        assert_int_equal(umptcp_conn_get_info(x->c[side], &ci), UMPTCP_OK);
        uint64_t sent = 0, received = 0, segs_out = 0;
        for (unsigned i = 0; i < m.subflows; i++) {
            umptcp_subflow_info sf = ci_subflow(x, side, i), ps = ci_peer_subflow(x, side, &sf);
            print_message("  %c subflow %u: ids %u/%u, sent %llu received %llu, srtt %llu us\n",
                          side == TP_A ? 'A' : 'B', i, sf.local_id, sf.remote_id,
                          (unsigned long long)sf.tcp.bytes_sent,
                          (unsigned long long)sf.tcp.bytes_received,
                          (unsigned long long)sf.tcp.srtt_us);
            assert_int_equal(sf.initial, i == 0);
            assert_int_equal(sf.join, i != 0);
            assert_int_equal(sf.local_id, ps.remote_id);
            assert_int_equal(sf.remote_id, ps.local_id);
            assert_false(sf.backup || sf.peer_backup);
            /* Both subflows carried data each way; what one sent the other received. */
            assert_true(sf.tcp.bytes_sent > 0);
            assert_true(sf.tcp.srtt_us > 0);
            assert_int_equal(sf.tcp.bytes_received, ps.tcp.bytes_sent);
            sent += sf.tcp.bytes_sent;
            received += sf.tcp.bytes_received;
            segs_out += sf.tcp.segs_out;
        }
        /* No loss: nothing was sent twice. */
        assert_int_equal(sent, side == TP_A ? UP : DOWN);
        assert_int_equal(received, side == TP_A ? DOWN : UP);
        assert_int_equal(ci.segs_out, segs_out);
        umptcp_subflow_info sf;
        assert_int_equal(umptcp_conn_get_subflow_info(x->c[side], 2, &sf), UMPTCP_ERR_NOTFOUND);
    }
    /* The initial subflow's address IDs are 0; the join's local ID names A's second address. */
    assert_int_equal(ci_subflow(x, TP_A, 0).local_id, 0);
    assert_int_equal(ci_subflow(x, TP_A, 0).remote_id, 0);
    assert_int_not_equal(ci_subflow(x, TP_A, 1).local_id, 0);
    assert_int_equal(ci_subflow(x, TP_A, 1).ifindex, 2);
    ci_free(x);
}

static void test_null_arguments(void **state)
{
    (void)state;
    umptcp_mptcp_info m;
    umptcp_subflow_info sf;
    assert_int_equal(umptcp_conn_get_mptcp_info(NULL, &m), UMPTCP_ERR_INVAL);
    assert_int_equal(umptcp_conn_get_subflow_info(NULL, 0, &sf), UMPTCP_ERR_INVAL);
    struct ci *x = ci_new(false);
    umptcp_conn_opts o = {.mptcp = true};
    ci_start(x, &o, &o);
    assert_int_equal(umptcp_conn_get_mptcp_info(x->c[TP_A], NULL), UMPTCP_ERR_INVAL);
    assert_int_equal(umptcp_conn_get_subflow_info(x->c[TP_A], 0, NULL), UMPTCP_ERR_INVAL);
    ci_finish(x);
    ci_free(x);
}

/* The peer answers as plain TCP: the reason says which handshake segment lacked MP_CAPABLE,
 * the connection is its one subflow, and the byte counts are that subflow's. */
static void test_fallback_reasons(void **state)
{
    (void)state;
    umptcp_conn_opts mp = {.mptcp = true}, plain = {0};
    struct ci *x = ci_new(true);
    ci_start(x, &mp, &plain);
    ci_finish(x);
    umptcp_mptcp_info a = ci_mptcp(x, TP_A), b = ci_mptcp(x, TP_B);
    assert_true(a.requested);
    assert_false(a.mptcp);
    assert_string_equal(a.fallback, "no MP_CAPABLE on the SYN/ACK");
    assert_int_equal(a.subflows, 1);
    assert_false(b.requested);
    assert_false(b.mptcp);
    assert_null(b.fallback);
    assert_int_equal(b.subflows, 1);
    assert_int_equal(b.local_token, 0);
    assert_null(b.sched);
    umptcp_subflow_info sf = ci_subflow(x, TP_B, 0);
    assert_true(sf.initial);
    assert_false(sf.join);
    assert_int_equal(sf.tcp.bytes_received, UP);
    umptcp_conn_info ai;
    assert_int_equal(umptcp_conn_get_info(x->c[TP_A], &ai), UMPTCP_OK);
    assert_int_equal(ai.bytes_sent, UP);
    assert_int_equal(ai.bytes_received, DOWN);
    assert_int_equal(ci_mptcp(x, TP_A).subflows, 1); /* no join after a fallback */
    ci_free(x);

    x = ci_new(false);
    ci_start(x, &plain, &mp);
    ci_finish(x);
    b = ci_mptcp(x, TP_B);
    assert_true(b.requested);
    assert_false(b.mptcp);
    assert_string_equal(b.fallback, "no MP_CAPABLE on the SYN");
    ci_free(x);
}

/* Checksums asked for by one side are in use on both (RFC 8684 3.1). */
static void test_checksum_reported(void **state)
{
    (void)state;
    umptcp_conn_opts csum = {.mptcp = true, .mptcp_checksum = true}, mp = {.mptcp = true};
    struct ci *x = ci_new(false);
    ci_start(x, &csum, &mp);
    ci_finish(x);
    assert_true(ci_mptcp(x, TP_A).checksum);
    assert_true(ci_mptcp(x, TP_B).checksum);
    ci_free(x);
}

/* Scheduler and path manager by name: unknown names fail connect and listen. */
static void test_sched_and_pm_by_name(void **state)
{
    (void)state;
    struct ci *x = ci_new(false);
    umptcp_stack *a = x->p->st[TP_A], *b = x->p->st[TP_B];
    umptcp_sockaddr to = tp_sockaddr(x->p, TP_B, PORT), any = {.port = PORT};
    umptcp_conn *c = NULL;
    umptcp_listener *l = NULL;
    static const umptcp_conn_opts bad[] = {
        {.mptcp = true, .sched = "nope"},
        {.mptcp = true, .sched = ""},
        {.mptcp = true, .pm = "nope"},
        {.mptcp = true, .pm = ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(umptcp_connect(a, &to, &bad[i], x->p->now, &c), UMPTCP_ERR_INVAL);
        assert_null(c);
        assert_int_equal(umptcp_listen(b, &any, &bad[i], &l), UMPTCP_ERR_INVAL);
    }
    umptcp_conn_opts rr = {.mptcp = true, .sched = "rr", .pm = "fullmesh"};
    ci_start(x, &rr, &rr);
    ci_finish(x);
    for (int side = 0; side < 2; side++) {
        assert_string_equal(ci_mptcp(x, side).sched, "rr");
        assert_string_equal(ci_mptcp(x, side).pm, "fullmesh");
    }
    ci_free(x);
}

/* max_subflows 1 keeps the connection on its initial subflow although A has two addresses;
 * a limit above the most there can be is capped. */
static void test_max_subflows(void **state)
{
    (void)state;
    struct ci *x = ci_new(true);
    umptcp_conn_opts one = {.mptcp = true, .max_subflows = 1}, mp = {.mptcp = true};
    ci_start(x, &one, &mp);
    ci_finish(x);
    assert_int_equal(ci_mptcp(x, TP_A).subflows, 1);
    assert_int_equal(ci_mptcp(x, TP_A).max_subflows, 1);
    assert_int_equal(tp_counter(x->p, TP_B, "MPTcpExtMPJoinSynRx"), 0);
    ci_free(x);

    x = ci_new(true);
    umptcp_conn_opts many = {.mptcp = true, .max_subflows = 100};
    ci_start(x, &many, &mp);
    ci_finish(x);
    assert_int_equal(ci_mptcp(x, TP_A).max_subflows, UMPTCP_MPTCP_MAX_SUBFLOWS);
    assert_int_equal(ci_mptcp(x, TP_A).subflows, 2);
    ci_free(x);
}

/* A's second address is a backup path (umptcp_stack_set_backup): its join says B=1 (RFC 8684 3.2),
 * both ends treat the subflow as backup and neither puts data on it while the first subflow works.
 */
static void test_backup_address(void **state)
{
    (void)state;
    struct ci *x = ci_new(true);
    umptcp_stack *a = x->p->st[TP_A];
    assert_int_equal(umptcp_stack_set_backup(a, &x->second, true), UMPTCP_OK);
    umptcp_conn_opts mp = {.mptcp = true};
    ci_start(x, &mp, &mp);
    ci_finish(x);
    umptcp_subflow_info a1 = ci_subflow(x, TP_A, 1), b1 = ci_peer_subflow(x, TP_A, &a1);
    assert_true(a1.join);
    assert_true(a1.backup);
    assert_false(a1.peer_backup);
    assert_true(b1.peer_backup);
    assert_false(b1.backup);
    print_message("  backup subflow: A sent %llu, B sent %llu\n",
                  (unsigned long long)a1.tcp.bytes_sent, (unsigned long long)b1.tcp.bytes_sent);
    assert_int_equal(a1.tcp.bytes_sent, 0);
    assert_int_equal(b1.tcp.bytes_sent, 0);
    umptcp_subflow_info a0 = ci_subflow(x, TP_A, 0);
    assert_false(a0.backup);
    assert_int_equal(a0.tcp.bytes_sent, UP);
    ci_free(x);
}

/* A join that arrives at our backup address is answered with B=1 in the MP_JOIN SYN/ACK
 * (RFC 8684 3.2): the joining side treats it as backup and keeps its data off it. */
static void test_backup_address_passive_join(void **state)
{
    (void)state;
    struct ci *x = ci_new(true);
    assert_int_equal(umptcp_stack_set_backup(x->p->st[TP_B], &x->p->addr[TP_B], true), UMPTCP_OK);
    umptcp_conn_opts mp = {.mptcp = true};
    ci_start(x, &mp, &mp);
    ci_finish(x);
    umptcp_subflow_info a1 = ci_subflow(x, TP_A, 1), b1 = ci_peer_subflow(x, TP_A, &a1);
    assert_true(a1.join);
    assert_false(a1.backup);
    assert_true(a1.peer_backup);
    assert_true(b1.backup);
    assert_int_equal(a1.tcp.bytes_sent, 0);
    ci_free(x);
}

/* The initial subflow from a backup address is marked locally (no MP_PRIO): once the
 * join on the other interface works, new data goes there. */
static void test_initial_subflow_from_backup_address(void **state)
{
    (void)state;
    struct ci *x = ci_new(true);
    assert_int_equal(umptcp_stack_set_backup(x->p->st[TP_A], &x->p->addr[TP_A], true), UMPTCP_OK);
    umptcp_conn_opts mp = {.mptcp = true};
    ci_start(x, &mp, &mp);
    ci_finish(x);
    umptcp_subflow_info a0 = ci_subflow(x, TP_A, 0), a1 = ci_subflow(x, TP_A, 1);
    umptcp_subflow_info b0 = ci_peer_subflow(x, TP_A, &a0);
    assert_true(a0.backup);
    assert_false(b0.peer_backup); /* nothing told the peer */
    assert_false(a1.backup);
    print_message("  A sent %llu on the initial (backup) subflow, %llu on the join\n",
                  (unsigned long long)a0.tcp.bytes_sent, (unsigned long long)a1.tcp.bytes_sent);
    assert_true(a1.tcp.bytes_sent > a0.tcp.bytes_sent);
    ci_free(x);
}

/* Every MPTcpExt counter of the stack's list can be read by its name. */
static void test_mptcp_counters_by_name(void **state)
{
    (void)state;
    struct tp_config conf;
    tp_config_init(&conf);
    struct tcp_pair *p = tp_new(&conf);
    size_t n = umptcp_stack_counters(p->st[TP_A], NULL, 0);
    umptcp_counter *all = calloc(n, sizeof(*all));
    assert_non_null(all);
    assert_int_equal(umptcp_stack_counters(p->st[TP_A], all, n), n);
    size_t mptcp = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = 1;
        assert_int_equal(umptcp_stack_counter(p->st[TP_A], all[i].name, &v), UMPTCP_OK);
        assert_int_equal(v, all[i].value);
        if (strncmp(all[i].name, "MPTcpExt", 8) == 0)
            mptcp++;
    }
    static const char *const named[] = {
        "MPTcpExtMPCapableSYNRX", "MPTcpExtMPCapableACKRX",       "MPTcpExtMPJoinSynRx",
        "MPTcpExtMPJoinAckRx",    "MPTcpExtMPJoinAckHMacFailure", "MPTcpExtAddAddr",
        "MPTcpExtEchoAdd",        "MPTcpExtDataCsumErr",          "MPTcpExtMPFastcloseRx",
    };
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        uint64_t v = 1;
        assert_int_equal(umptcp_stack_counter(p->st[TP_A], named[i], &v), UMPTCP_OK);
        assert_int_equal(v, 0);
    }
    assert_true(mptcp >= sizeof(named) / sizeof(named[0]));
    uint64_t v;
    assert_int_equal(umptcp_stack_counter(p->st[TP_A], "MPTcpExtNoSuchThing", &v),
                     UMPTCP_ERR_NOTFOUND);
    free(all);
    tp_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_subflows),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_fallback_reasons),
        cmocka_unit_test(test_checksum_reported),
        cmocka_unit_test(test_sched_and_pm_by_name),
        cmocka_unit_test(test_max_subflows),
        cmocka_unit_test(test_backup_address),
        cmocka_unit_test(test_backup_address_passive_join),
        cmocka_unit_test(test_initial_subflow_from_backup_address),
        cmocka_unit_test(test_mptcp_counters_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
