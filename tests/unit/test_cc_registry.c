/* The congestion control registry (src/cc/cc.c): built-ins by name, registration rules,
 * listing, and the framework defaults an algorithm gets for the hooks it leaves NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "cc/cc.h"

#include <stdio.h>
#include <string.h>

/* ---- a minimal external algorithm ------------------------------------------------------ */

struct fake_priv {
    uint32_t acks;
    uint64_t group_cwnd_sum; /* what a coupled algorithm sees of its connection */
    uint64_t group_srtt_sum;
    size_t group_seen;
};

static void fake_on_ack(struct cc_sock *sk, const struct cc_ack_event *ev)
{
    struct fake_priv *p = cc_priv(sk);
    (void)ev;
    p->acks++;
    p->group_cwnd_sum = p->group_srtt_sum = 0;
    p->group_seen = 0;
    if (sk->group == NULL)
        return;
    /* RFC 6356 LIA needs, per subflow, cwnd and srtt of every subflow of the connection. */
    for (size_t i = 0; i < sk->group->count; i++) {
        p->group_cwnd_sum += sk->group->members[i]->st.cwnd;
        p->group_srtt_sum += sk->group->members[i]->srtt_ns;
        p->group_seen++;
    }
}

static void fake_on_loss(struct cc_sock *sk, const struct cc_loss_event *ev)
{
    sk->st.ssthresh = ev->bytes_in_flight / 4;
}

static const struct cc_ops fake_ops = {
    .name = "fake",
    .priv_size = sizeof(struct fake_priv),
    .coupled = true,
    .on_ack = fake_on_ack,
    .on_loss = fake_on_loss,
};

/* ---- registry ---------------------------------------------------------------------------- */

static void test_builtins_found_by_name(void **state)
{
    (void)state;
    struct cc_registry reg;
    assert_int_equal(cc_registry_init(&reg), UMPTCP_OK);
    assert_int_equal(cc_registry_count(&reg), 2);
    assert_ptr_equal(cc_registry_find(&reg, "reno"), &cc_reno_ops);
    assert_ptr_equal(cc_registry_find(&reg, "cubic"), &cc_cubic_ops);
    assert_ptr_equal(cc_registry_find(&reg, CC_DEFAULT_NAME), &cc_cubic_ops);
    assert_string_equal(cc_reno_ops.name, "reno");
    assert_string_equal(cc_cubic_ops.name, "cubic");
    assert_false(cc_reno_ops.coupled);
    assert_false(cc_cubic_ops.coupled);
}

static void test_unknown_name_is_null(void **state)
{
    (void)state;
    struct cc_registry reg;
    assert_int_equal(cc_registry_init(&reg), UMPTCP_OK);
    assert_null(cc_registry_find(&reg, "lia"));
    assert_null(cc_registry_find(&reg, "Reno")); /* names are case-sensitive */
    assert_null(cc_registry_find(&reg, "ren"));
    assert_null(cc_registry_find(&reg, "renoo"));
    assert_null(cc_registry_find(&reg, ""));
    assert_null(cc_registry_find(&reg, NULL));
    assert_null(cc_registry_find(NULL, "reno"));
    assert_int_equal(cc_registry_init(NULL), UMPTCP_ERR_INVAL);
}

static void test_add_and_duplicates(void **state)
{
    (void)state;
    struct cc_registry reg;
    assert_int_equal(cc_registry_init(&reg), UMPTCP_OK);
    assert_int_equal(cc_registry_add(&reg, &fake_ops), UMPTCP_OK);
    assert_ptr_equal(cc_registry_find(&reg, "fake"), &fake_ops);
    assert_int_equal(cc_registry_count(&reg), 3);
    /* The same table twice, and another table under a taken name. */
    assert_int_equal(cc_registry_add(&reg, &fake_ops), UMPTCP_ERR_EXISTS);
    assert_int_equal(cc_registry_add(&reg, &cc_reno_ops), UMPTCP_ERR_EXISTS);
    struct cc_ops other = fake_ops;
    other.name = "cubic";
    assert_int_equal(cc_registry_add(&reg, &other), UMPTCP_ERR_EXISTS);
    assert_ptr_equal(cc_registry_find(&reg, "cubic"), &cc_cubic_ops); /* unchanged */
    assert_int_equal(cc_registry_count(&reg), 3);
}

static void test_invalid_ops_rejected(void **state)
{
    (void)state;
    struct cc_registry reg;
    assert_int_equal(cc_registry_init(&reg), UMPTCP_OK);
    assert_int_equal(cc_registry_add(&reg, NULL), UMPTCP_ERR_INVAL);
    assert_int_equal(cc_registry_add(NULL, &fake_ops), UMPTCP_ERR_INVAL);

    struct cc_ops bad = fake_ops;
    const char *bad_names[] = {"", "Fake", "fa ke", "fake!", "x/y", "abcdefghijklmnop", NULL};
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        bad.name = bad_names[i];
        assert_int_equal(cc_registry_add(&reg, &bad), UMPTCP_ERR_INVAL);
    }
    bad = fake_ops;
    bad.on_ack = NULL;
    assert_int_equal(cc_registry_add(&reg, &bad), UMPTCP_ERR_INVAL);
    bad = fake_ops;
    bad.on_loss = NULL;
    assert_int_equal(cc_registry_add(&reg, &bad), UMPTCP_ERR_INVAL);
    bad = fake_ops;
    bad.priv_size = CC_PRIV_MAX + 1;
    assert_int_equal(cc_registry_add(&reg, &bad), UMPTCP_ERR_INVAL);
    assert_int_equal(cc_registry_count(&reg), 2); /* nothing was added */

    /* The limits themselves are accepted: 15-character name, priv_size == CC_PRIV_MAX. */
    struct cc_ops edge = fake_ops;
    edge.name = "abcdefghij-_015";
    edge.priv_size = CC_PRIV_MAX;
    assert_int_equal(strlen(edge.name), CC_NAME_MAX);
    assert_int_equal(cc_registry_add(&reg, &edge), UMPTCP_OK);
    assert_int_equal(cc_ops_validate(&edge), UMPTCP_OK);
}

static void test_full_registry(void **state)
{
    (void)state;
    struct cc_registry reg;
    assert_int_equal(cc_registry_init(&reg), UMPTCP_OK);
    static char names[CC_REGISTRY_MAX + 1][8];
    static struct cc_ops ops[CC_REGISTRY_MAX + 1];
    for (size_t i = 0; i <= CC_REGISTRY_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "alg%zu", i);
        ops[i] = fake_ops;
        ops[i].name = names[i];
    }
    size_t added = 0;
    while (cc_registry_count(&reg) < CC_REGISTRY_MAX) {
        assert_int_equal(cc_registry_add(&reg, &ops[added]), UMPTCP_OK);
        added++;
    }
    assert_int_equal(added, CC_REGISTRY_MAX - 2);
    assert_int_equal(cc_registry_add(&reg, &ops[added]), UMPTCP_ERR_NOMEM);
    /* A duplicate is still reported as such when full. */
    assert_int_equal(cc_registry_add(&reg, &ops[0]), UMPTCP_ERR_EXISTS);
    assert_ptr_equal(cc_registry_find(&reg, "alg0"), &ops[0]);
    assert_ptr_equal(cc_registry_find(&reg, names[added - 1]), &ops[added - 1]);
    assert_null(cc_registry_find(&reg, names[added]));
}

static void test_listing_names(void **state)
{
    (void)state;
    struct cc_registry reg;
    char buf[64];
    assert_int_equal(cc_registry_init(&reg), UMPTCP_OK);
    assert_int_equal(cc_registry_list(&reg, buf, sizeof(buf)), 11);
    assert_string_equal(buf, "reno, cubic");
    assert_int_equal(cc_registry_add(&reg, &fake_ops), UMPTCP_OK);
    assert_int_equal(cc_registry_list(&reg, buf, sizeof(buf)), 17);
    assert_string_equal(buf, "reno, cubic, fake");
    /* Truncation: like snprintf, the needed length comes back and buf stays terminated. */
    assert_int_equal(cc_registry_list(&reg, buf, 8), 17);
    assert_string_equal(buf, "reno, c");
    assert_int_equal(cc_registry_list(&reg, NULL, 0), 17);
    assert_int_equal(cc_registry_list(&reg, NULL, 5), UMPTCP_ERR_INVAL);
    assert_string_equal(cc_registry_name_at(&reg, 0), "reno");
    assert_string_equal(cc_registry_name_at(&reg, 1), "cubic");
    assert_string_equal(cc_registry_name_at(&reg, 2), "fake");
    assert_null(cc_registry_name_at(&reg, 3));
    /* An empty registry lists nothing. */
    struct cc_registry empty;
    memset(&empty, 0, sizeof(empty));
    buf[0] = 'x';
    assert_int_equal(cc_registry_list(&empty, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
}

/* ---- sockets and defaults -------------------------------------------------------------- */

static void test_sock_init_validates(void **state)
{
    (void)state;
    struct cc_sock sk;
    struct cc_ops bad = fake_ops;
    bad.on_loss = NULL;
    assert_int_equal(cc_sock_init(NULL, &fake_ops, NULL, 1000, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(cc_sock_init(&sk, NULL, NULL, 1000, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(cc_sock_init(&sk, &bad, NULL, 1000, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(cc_sock_init(&sk, &fake_ops, NULL, 0, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(cc_sock_init(&sk, &fake_ops, NULL, CC_CWND_MAX, 0), UMPTCP_ERR_INVAL);
    memset(&sk, 0xa5, sizeof(sk));
    assert_int_equal(cc_sock_init(&sk, &fake_ops, NULL, 1000, 0), UMPTCP_OK);
    struct fake_priv *p = cc_priv(&sk);
    assert_int_equal(p->acks, 0); /* private state zeroed */
    assert_int_equal(sk.st.cwnd, 10000);
    assert_int_equal(sk.st.ssthresh, CC_SSTHRESH_INFINITE);
    assert_int_equal(sk.st.mss, 1000);
    assert_int_equal(sk.srtt_ns, 0);
    assert_null(sk.group);
    cc_sock_release(&sk);
    assert_null(sk.ops);
    /* Calls on a released socket are ignored. */
    struct cc_ack_event ev = {.now = 1, .acked_bytes = 1000};
    cc_on_ack(&sk, &ev);
    assert_int_equal(p->acks, 0);
}

static void test_defaults_for_null_hooks(void **state)
{
    (void)state;
    struct cc_sock sk;
    assert_int_equal(cc_sock_init(&sk, &fake_ops, NULL, 1000, 0), UMPTCP_OK);
    sk.st.cwnd = 40000;
    /* on_loss is the algorithm's (ssthresh = flight / 4 here); prior values are saved. */
    struct cc_loss_event loss = {.now = 5, .kind = CC_LOSS_FAST, .bytes_in_flight = 40000};
    cc_on_loss(&sk, &loss);
    assert_int_equal(sk.st.ssthresh, 10000);
    assert_int_equal(sk.st.prior_cwnd, 40000);
    assert_int_equal(sk.st.prior_ssthresh, CC_SSTHRESH_INFINITE);
    assert_int_equal(sk.st.loss_events, 1);
    /* Default recovery exit: cwnd = ssthresh. */
    struct cc_exit_event ex = {.now = 6, .bytes_in_flight = 9000};
    cc_on_recovery_exit(&sk, &ex);
    assert_int_equal(sk.st.cwnd, 10000);
    /* Default undo: both restored. */
    struct cc_undo_event un = {.now = 7};
    cc_undo(&sk, &un);
    assert_int_equal(sk.st.cwnd, 40000);
    assert_int_equal(sk.st.ssthresh, CC_SSTHRESH_INFINITE);
    /* Default idle restart: RFC 5681 4.1 only when idle exceeds the RTO. */
    struct cc_idle_event idle = {.now = 8, .idle_ns = 100, .rto_ns = 200};
    cc_on_idle_restart(&sk, &idle);
    assert_int_equal(sk.st.cwnd, 40000);
    idle.idle_ns = 201;
    cc_on_idle_restart(&sk, &idle);
    assert_int_equal(sk.st.cwnd, 10000); /* RW = min(IW, cwnd) = IW */
}

static void test_ack_updates_rtt_fields(void **state)
{
    (void)state;
    struct cc_sock sk;
    assert_int_equal(cc_sock_init(&sk, &fake_ops, NULL, 1000, 0), UMPTCP_OK);
    struct cc_ack_event ev = {.now = 1, .acked_bytes = 1000, .rtt_ns = 30000, .srtt_ns = 31000};
    cc_on_ack(&sk, &ev);
    assert_int_equal(sk.srtt_ns, 31000);
    assert_int_equal(sk.min_rtt_ns, 30000);
    ev.rtt_ns = 50000;
    ev.srtt_ns = 0; /* unknown: keep the last one */
    cc_on_ack(&sk, &ev);
    assert_int_equal(sk.srtt_ns, 31000);
    assert_int_equal(sk.min_rtt_ns, 30000);
    ev.min_rtt_ns = 20000; /* the engine's own min RTT wins */
    cc_on_ack(&sk, &ev);
    assert_int_equal(sk.min_rtt_ns, 20000);
    assert_int_equal(((struct fake_priv *)cc_priv(&sk))->acks, 3);
}

static void test_coupled_sees_whole_group(void **state)
{
    (void)state;
    /* Three subflows of one connection sharing a group, as the MPTCP layer will set up. */
    struct cc_sock sf[3];
    struct cc_sock *members[3] = {&sf[0], &sf[1], &sf[2]};
    struct cc_group group = {.members = members, .count = 3};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cc_sock_init(&sf[i], &fake_ops, &group, 1000, 0), UMPTCP_OK);
        sf[i].st.cwnd = 10000 * (uint32_t)(i + 1);
        sf[i].srtt_ns = 1000000 * (uint64_t)(i + 1);
    }
    struct cc_ack_event ev = {.now = 1, .acked_bytes = 1000};
    cc_on_ack(&sf[1], &ev);
    struct fake_priv *p = cc_priv(&sf[1]);
    assert_int_equal(p->group_seen, 3);
    assert_int_equal(p->group_cwnd_sum, 60000);
    assert_int_equal(p->group_srtt_sum, 6000000);
    /* Uncoupled (no group): sees only itself. */
    struct cc_sock alone;
    assert_int_equal(cc_sock_init(&alone, &fake_ops, NULL, 1000, 0), UMPTCP_OK);
    cc_on_ack(&alone, &ev);
    assert_int_equal(((struct fake_priv *)cc_priv(&alone))->group_seen, 0);
}

static void test_helpers(void **state)
{
    (void)state;
    /* RFC 6928: min(10*MSS, max(2*MSS, 14600)). */
    assert_int_equal(cc_initial_window(1460), 14600);
    assert_int_equal(cc_initial_window(536), 5360);
    assert_int_equal(cc_initial_window(4000), 14600);
    assert_int_equal(cc_initial_window(9000), 18000);
    assert_int_equal(cc_initial_window(1), 10);
    /* RFC 5681 eq. 4. */
    assert_int_equal(cc_reno_ssthresh(30000, 1000), 15000);
    assert_int_equal(cc_reno_ssthresh(30001, 1000), 15000);
    assert_int_equal(cc_reno_ssthresh(3000, 1000), 2000);
    assert_int_equal(cc_reno_ssthresh(0, 1000), 2000);
    struct cc_state st = {.cwnd = 500, .ssthresh = 9000, .mss = 1000};
    assert_int_equal(cc_clamp_cwnd(&st, 0), 1000);
    assert_int_equal(cc_clamp_cwnd(&st, UINT64_MAX), CC_CWND_MAX);
    assert_true(cc_in_slow_start(&st));
    st.cwnd = 9000;
    assert_false(cc_in_slow_start(&st)); /* at equality: congestion avoidance */
    st.cwnd = 3000;
    assert_int_equal(cc_restart_window(&st), 3000);
    st.cwnd = 30000;
    assert_int_equal(cc_restart_window(&st), 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins_found_by_name),
        cmocka_unit_test(test_unknown_name_is_null),
        cmocka_unit_test(test_add_and_duplicates),
        cmocka_unit_test(test_invalid_ops_rejected),
        cmocka_unit_test(test_full_registry),
        cmocka_unit_test(test_listing_names),
        cmocka_unit_test(test_sock_init_validates),
        cmocka_unit_test(test_defaults_for_null_hooks),
        cmocka_unit_test(test_ack_updates_rtt_fields),
        cmocka_unit_test(test_coupled_sees_whole_group),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
