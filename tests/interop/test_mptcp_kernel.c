/* MPTCP against the Linux kernel over a TUN device, one subflow, in both roles: the kernel's
 * MPTCP socket (IPPROTO_MPTCP) is the peer of a umptcp stack driven by the host runtime.
 * Each run moves data both ways, byte-exact (SHA-256 on both ends), and checks the kernel's
 * MPTcpExt counters: the handshake was MPTCP (MPCapableSYNRX / MPCapableSYNACKRX /
 * MPCapableACKRX), nothing fell back, no checksum or mapping errors. Runs in a private network
 * namespace that disappears with the process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mptcp_kernel_harness.h"

static pid_t kernel_server(uint16_t port, int report)
{
    return kernel_server_at("10.41.0.1", port, report);
}

static pid_t kernel_client(uint16_t port, int report)
{
    return kernel_client_to("10.41.0.2", port, report);
}

static void app_setup(struct app *a, const char *dev)
{
    app_setup_net(a, dev, "10.41.0.1/24", "10.41.0.2");
}

static void test_umptcp_client_kernel_server(void **state)
{
    (void)state;
    struct app a;
    app_setup(&a, "umk0");
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_server(5000, pfd[1]);
    app_connect(&a, "10.41.0.1", 5000);
    app_finish(&a, child, pfd[0], pfd[1]);
    /* The kernel saw an MPTCP handshake completed with our key. */
    assert_true(kernel_mib("MPCapableSYNRX") >= 1);
    assert_true(kernel_mib("MPCapableACKRX") >= 1);
    check_kernel_clean();
    assert_int_equal(stack_mib(&a, "MPTcpExtMPCapableSYNACKRX"), 1);
    app_teardown(&a);
    close(pfd[0]);
}

static void test_kernel_client_umptcp_server(void **state)
{
    (void)state;
    long long synack_before = kernel_mib("MPCapableSYNACKRX");
    struct app a;
    app_setup(&a, "umk1");
    app_listen(&a, 5001);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_client(5001, pfd[1]);
    app_finish(&a, child, pfd[0], pfd[1]);
    assert_true(kernel_mib("MPCapableSYNACKRX") > synack_before);
    check_kernel_clean();
    assert_int_equal(stack_mib(&a, "MPTcpExtMPCapableACKRX"), 1);
    app_teardown(&a);
    close(pfd[0]);
}

/* Two paths: the client's second TUN address opens an MP_JOIN subflow to the kernel, which
 * accepts it (HMACs verified on both sides) and receives data on both subflows. */
static void test_join_second_path_kernel_server(void **state)
{
    (void)state;
    assert_int_equal(netns_sh("ip mptcp limits set subflows 4 add_addr_accepted 4"), 0);
    long long joins_before = kernel_mib("MPJoinAckRx");
    struct app a;
    app_setup(&a, "umk2");
    app_add_path(&a, "umk3", "10.42.0.1/24", "10.42.0.2");
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_server(5002, pfd[1]);
    app_connect(&a, "10.41.0.1", 5002);
    app_finish(&a, child, pfd[0], pfd[1]);
    print_message("  kernel MPJoinSynRx %lld MPJoinAckRx %lld\n", kernel_mib("MPJoinSynRx"),
                  kernel_mib("MPJoinAckRx"));
    assert_true(kernel_mib("MPJoinAckRx") > joins_before);
    assert_int_equal(kernel_mib("MPJoinAckHMacFailure"), 0);
    assert_int_equal(kernel_mib("MPJoinSynAckHMacFailure"), 0);
    check_kernel_clean();
    assert_int_equal(stack_mib(&a, "MPTcpExtMPJoinSynAckRx"), 1);
    /* Both subflows carried data, as the kernel counts them. */
    check_kernel_subflows_carry(&a, 2);
    app_teardown(&a);
    assert_int_equal(netns_sh("ip link del dev umk3"), 0);
    close(pfd[0]);
}

/* The kernel server has a `signal` endpoint on its second address: it announces it with
 * ADD_ADDR; umptcp checks the HMAC, echoes it, and joins it from both its addresses. */
static void test_kernel_signal_endpoint(void **state)
{
    (void)state;
    assert_int_equal(netns_sh("ip mptcp limits set subflows 4 add_addr_accepted 4"), 0);
    long long echo_before = kernel_mib("EchoAdd"), joins_before = kernel_mib("MPJoinAckRx");
    struct app a;
    app_setup_net(&a, "umk4", "10.44.0.1/24", "10.44.0.2");
    app_add_path(&a, "umk5", "10.45.0.1/24", "10.45.0.2");
    assert_int_equal(netns_sh("ip mptcp endpoint add 10.45.0.1 dev umk5 signal"), 0);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_server_at("0.0.0.0", 5003, pfd[1]);
    app_connect(&a, "10.44.0.1", 5003);
    app_finish(&a, child, pfd[0], pfd[1]);
    print_message("  umptcp AddAddr %llu; kernel EchoAdd +%lld, MPJoinAckRx +%lld\n",
                  (unsigned long long)stack_mib(&a, "MPTcpExtAddAddr"),
                  kernel_mib("EchoAdd") - echo_before, kernel_mib("MPJoinAckRx") - joins_before);
    assert_int_equal(stack_mib(&a, "MPTcpExtAddAddr"), 1);
    assert_int_equal(stack_mib(&a, "MPTcpExtAddAddrDrop"), 0);
    assert_true(kernel_mib("EchoAdd") > echo_before);
    assert_true(kernel_mib("MPJoinAckRx") >= joins_before + 2);
    check_kernel_subflows_carry(&a, 4);
    check_kernel_clean();
    assert_int_equal(netns_sh("ip mptcp endpoint flush"), 0);
    app_teardown(&a);
    assert_int_equal(netns_sh("ip link del dev umk5"), 0);
    close(pfd[0]);
}

/* The kernel server does not take joins to its initial address and port
 * (net.mptcp.allow_join_initial_addr_port=0): its SYN/ACK carries flag C (RFC 8684 3.1).
 * umptcp joins only the address the kernel announces, from both its addresses. */
static void test_kernel_c_flag(void **state)
{
    (void)state;
    assert_int_equal(netns_sh("ip mptcp limits set subflows 4 add_addr_accepted 4"), 0);
    long long joins_before = kernel_mib("MPJoinSynRx");
    struct app a;
    app_setup_net(&a, "umk15", "10.55.0.1/24", "10.55.0.2"); /* resets the sysctl */
    assert_int_equal(netns_sysctl_write("/proc/sys/net/mptcp/allow_join_initial_addr_port", "0"),
                     0);
    app_add_path(&a, "umk16", "10.56.0.1/24", "10.56.0.2");
    assert_int_equal(netns_sh("ip mptcp endpoint add 10.56.0.1 dev umk16 signal"), 0);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_server_at("0.0.0.0", 5009, pfd[1]);
    app_connect(&a, "10.55.0.1", 5009);
    app_finish(&a, child, pfd[0], pfd[1]);
    print_message("  kernel MPJoinSynRx +%lld\n", kernel_mib("MPJoinSynRx") - joins_before);
    /* Two joins, both to the announced address; none to 10.55.0.1 besides the first. */
    assert_int_equal(kernel_mib("MPJoinSynRx") - joins_before, 2);
    unsigned to_initial = 0;
    for (unsigned i = 0; i < a.nksf; i++)
        to_initial += strncmp(a.ksf[i].local, "10.55.0.1:", 10) == 0;
    assert_int_equal(to_initial, 1);
    check_kernel_subflows_carry(&a, 3);
    check_kernel_clean();
    assert_int_equal(netns_sh("ip mptcp endpoint flush"), 0);
    assert_int_equal(netns_sysctl_write("/proc/sys/net/mptcp/allow_join_initial_addr_port", "1"),
                     0);
    app_teardown(&a);
    assert_int_equal(netns_sh("ip link del dev umk16"), 0);
    close(pfd[0]);
}

/* umptcp serves on two addresses and announces the second; the kernel client (in-kernel path
 * manager with a subflow endpoint) echoes the announcement and joins. */
static void test_umptcp_server_announces(void **state)
{
    (void)state;
    assert_int_equal(netns_sh("ip mptcp limits set subflows 4 add_addr_accepted 4"), 0);
    long long addr_before = kernel_mib("AddAddr");
    struct app a;
    app_setup_net(&a, "umk6", "10.46.0.1/24", "10.46.0.2");
    app_add_path(&a, "umk7", "10.47.0.1/24", "10.47.0.2");
    assert_int_equal(netns_sh("ip mptcp endpoint add 10.47.0.1 dev umk7 subflow"), 0);
    app_listen(&a, 5004);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_client_to("10.46.0.2", 5004, pfd[1]);
    app_finish(&a, child, pfd[0], pfd[1]);
    print_message("  kernel AddAddr +%lld; umptcp EchoAdd %llu, MPJoinSynRx %llu\n",
                  kernel_mib("AddAddr") - addr_before,
                  (unsigned long long)stack_mib(&a, "MPTcpExtEchoAdd"),
                  (unsigned long long)stack_mib(&a, "MPTcpExtMPJoinSynRx"));
    assert_true(kernel_mib("AddAddr") > addr_before);
    assert_int_equal(stack_mib(&a, "MPTcpExtEchoAdd"), 1);
    assert_true(stack_mib(&a, "MPTcpExtMPJoinSynRx") >= 1);
    assert_int_equal(stack_mib(&a, "MPTcpExtMPJoinAckHMacFailure"), 0);
    check_kernel_subflows_carry(&a, 2);
    check_kernel_clean();
    assert_int_equal(netns_sh("ip mptcp endpoint flush"), 0);
    app_teardown(&a);
    assert_int_equal(netns_sh("ip link del dev umk7"), 0);
    close(pfd[0]);
}

/* A kernel client whose second path is a `backup` endpoint joins with B=1 (RFC 8684 3.2):
 * umptcp's scheduler keeps its data off that subflow while the first path works, and so does
 * the kernel's. */
static void test_kernel_backup_endpoint(void **state)
{
    (void)state;
    assert_int_equal(netns_sh("ip mptcp limits set subflows 4 add_addr_accepted 4"), 0);
    struct app a;
    app_setup_net(&a, "umk9", "10.49.0.1/24", "10.49.0.2");
    app_add_path(&a, "umk10", "10.50.0.1/24", "10.50.0.2");
    assert_int_equal(netns_sh("ip mptcp endpoint add 10.50.0.1 dev umk10 subflow backup"), 0);
    app_listen(&a, 5006);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_client_to("10.49.0.2", 5006, pfd[1]);
    app_finish(&a, child, pfd[0], pfd[1]);
    assert_true(stack_mib(&a, "MPTcpExtMPJoinSynRx") >= 1);
    /* Per subflow, as the kernel counts it (the kernel may also join our announced second
     * address with a regular subflow, which then carries data over the backup interface):
     * the backup subflows (from the backup endpoint to each of our addresses) carry handshakes
     * and ACKs only, far below 1% of the data. */
    unsigned backups = 0;
    for (unsigned i = 0; i < a.nksf; i++) {
        if (!kernel_subflow_backup(&a.ksf[i]))
            continue;
        backups++;
        assert_true(a.ksf[i].sent < DOWN_BYTES / 100);
        assert_true(a.ksf[i].received < UP_BYTES / 100);
    }
    assert_true(backups >= 1);
    check_kernel_clean();
    assert_int_equal(netns_sh("ip mptcp endpoint flush"), 0);
    app_teardown(&a);
    assert_int_equal(netns_sh("ip link del dev umk10"), 0);
    close(pfd[0]);
}

/* IPv6, umptcp as the client with two paths: the MP_CAPABLE subflow and a join from the
 * second address, both carrying data, to a kernel server listening on ::. */
static void test_ipv6_two_paths_kernel_server(void **state)
{
    (void)state;
    assert_int_equal(netns_sh("ip mptcp limits set subflows 4 add_addr_accepted 4"), 0);
    long long joins_before = kernel_mib("MPJoinAckRx");
    struct app a;
    app_setup_net(&a, "umk11", "fd00:51::1/64", "fd00:51::2");
    app_add_path(&a, "umk12", "fd00:52::1/64", "fd00:52::2");
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_server_at("::", 5007, pfd[1]);
    app_connect(&a, "fd00:51::1", 5007);
    app_finish(&a, child, pfd[0], pfd[1]);
    assert_true(kernel_mib("MPJoinAckRx") > joins_before);
    assert_int_equal(kernel_mib("MPJoinAckHMacFailure"), 0);
    check_kernel_subflows_carry(&a, 2);
    check_kernel_clean();
    app_teardown(&a);
    assert_int_equal(netns_sh("ip link del dev umk12"), 0);
    close(pfd[0]);
}

/* IPv6, umptcp as the server on two addresses: it announces the second (ADD_ADDR with an IPv6
 * address, RFC 8684 3.4.1) and the kernel client joins it from its subflow endpoint. */
static void test_ipv6_kernel_client_umptcp_server(void **state)
{
    (void)state;
    assert_int_equal(netns_sh("ip mptcp limits set subflows 4 add_addr_accepted 4"), 0);
    long long addr_before = kernel_mib("AddAddr");
    struct app a;
    app_setup_net(&a, "umk13", "fd00:53::1/64", "fd00:53::2");
    app_add_path(&a, "umk14", "fd00:54::1/64", "fd00:54::2");
    assert_int_equal(netns_sh("ip mptcp endpoint add fd00:54::1 dev umk14 subflow"), 0);
    app_listen(&a, 5008);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child = kernel_client_to("fd00:53::2", 5008, pfd[1]);
    app_finish(&a, child, pfd[0], pfd[1]);
    assert_true(kernel_mib("AddAddr") > addr_before);
    assert_int_equal(stack_mib(&a, "MPTcpExtEchoAdd"), 1);
    assert_int_equal(stack_mib(&a, "MPTcpExtMPJoinAckHMacFailure"), 0);
    check_kernel_subflows_carry(&a, 2);
    check_kernel_clean();
    assert_int_equal(netns_sh("ip mptcp endpoint flush"), 0);
    app_teardown(&a);
    assert_int_equal(netns_sh("ip link del dev umk14"), 0);
    close(pfd[0]);
}

/* A kernel MPTCP server that reads about 1 MB and then closes with SO_LINGER 0: the kernel
 * aborts the MPTCP connection (MP_FASTCLOSE, RFC 8684 3.5). */
static pid_t kernel_server_abort(uint16_t port)
{
    int ls = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
    assert_true(ls >= 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(ls, 1), 0);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(100);
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            _exit(2);
        static uint8_t buf[65536];
        size_t got = 0;
        while (got < (1u << 20)) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0)
                _exit(3);
            got += (size_t)n;
        }
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(fd);
        _exit(0);
    }
    close(ls);
    return pid;
}

/* The kernel aborts: umptcp's connection ends with a reset, which read() reports. */
static void test_kernel_fastclose(void **state)
{
    (void)state;
    long long fc_before = kernel_mib("MPFastcloseTx");
    struct app a;
    app_setup_net(&a, "umk8", "10.48.0.1/24", "10.48.0.2");
    pid_t child = kernel_server_abort(5005);
    app_connect(&a, "10.48.0.1", 5005);
    host_runtime_run(a.rt, host_clock_now() + RUN_NS);
    int status = 0;
    waitpid(child, &status, 0);
    print_message("  close error %d, kernel MPFastcloseTx +%lld, umptcp MPFastcloseRx %llu\n",
                  a.error, kernel_mib("MPFastcloseTx") - fc_before,
                  (unsigned long long)stack_mib(&a, "MPTcpExtMPFastcloseRx"));
    assert_true(a.closed);
    assert_int_equal(a.error, UMPTCP_ERR_RESET);
    assert_true(kernel_mib("MPFastcloseTx") > fc_before);
    assert_int_equal(stack_mib(&a, "MPTcpExtMPFastcloseRx"), 1);
    uint8_t b[8];
    assert_int_equal(umptcp_conn_read(a.c, b, sizeof(b), host_clock_now()), UMPTCP_ERR_RESET);
    umptcp_conn_close(a.c, host_clock_now());
    EVP_MD_CTX_free(a.h);
    app_teardown(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_umptcp_client_kernel_server),
        cmocka_unit_test(test_kernel_client_umptcp_server),
        cmocka_unit_test(test_join_second_path_kernel_server),
        cmocka_unit_test(test_umptcp_server_announces),
        cmocka_unit_test(test_kernel_fastclose),
        cmocka_unit_test(test_kernel_backup_endpoint),
        cmocka_unit_test(test_kernel_signal_endpoint),
        cmocka_unit_test(test_kernel_c_flag),
        cmocka_unit_test(test_ipv6_two_paths_kernel_server),
        cmocka_unit_test(test_ipv6_kernel_client_umptcp_server),
    };
    return KERNEL_TESTS_RUN(tests);
}
