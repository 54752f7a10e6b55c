/* The kernel connects to a umptcp address where nothing listens: the stack's reset
 * (RFC 9293 3.10.7.1) must make the kernel's connect() fail at once with ECONNREFUSED, for
 * plain TCP and for MPTCP (IPPROTO_MPTCP), over IPv4 and IPv6. Runs in a private network
 * namespace with one TUN device; the stack sits on the far side of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "netns_helper.h"
#include "host/clock.h"
#include "host/tun.h"
#include "umptcp/error.h"
#include "umptcp/stack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define CONNECT_WAIT_NS (3ull * 1000000000ull)

static int tun_send(void *user, int ifindex, const uint8_t *pkt, size_t len)
{
    (void)ifindex;
    return host_tun_write(user, pkt, len);
}

static void test_random(void *user, uint8_t *buf, size_t n)
{
    (void)user;
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(i * 31 + 7);
}

struct bed {
    struct host_tun *tun;
    umptcp_stack *stack;
};

/* One TUN: the kernel has .1 of the subnet, the stack .2. */
static void bed_setup(struct bed *b, const char *dev, const char *kernel_cidr,
                      const char *stack_addr)
{
    char err[200];
    assert_int_equal(host_tun_open(&b->tun, dev, err, sizeof(err)), UMPTCP_OK);
    assert_int_equal(host_tun_set_up(b->tun, true), UMPTCP_OK);
    assert_int_equal(netns_sh("ip addr add %s dev %s nodad", kernel_cidr, dev), 0);
    const umptcp_callbacks cb = {.send = tun_send, .random = test_random};
    assert_int_equal(umptcp_stack_new(&b->stack, NULL, &cb, b->tun), UMPTCP_OK);
    umptcp_addr a;
    assert_int_equal(umptcp_addr_parse(&a, stack_addr), UMPTCP_OK);
    assert_int_equal(umptcp_stack_add_address(b->stack, host_tun_ifindex(b->tun), &a), UMPTCP_OK);
}

static void bed_teardown(struct bed *b)
{
    umptcp_stack_free(b->stack);
    host_tun_close(b->tun);
}

/* Starts a non-blocking connect() from the kernel to addr:port. */
static int kernel_connect(int family, int proto, const char *addr, uint16_t port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, proto);
    assert_true(fd >= 0);
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        assert_int_equal(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
        sl = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
        sl = sizeof(*sin6);
    }
    int rc = connect(fd, (struct sockaddr *)&ss, sl);
    assert_true(rc == 0 || errno == EINPROGRESS);
    return fd;
}

/* Pumps packets from the TUN into the stack until the socket's connect() resolves or the
 * deadline passes; returns the socket's error (0 = connected, ETIMEDOUT on our deadline). */
static int pump_until_connect_resolves(struct bed *b, int fd)
{
    uint64_t deadline = host_clock_now() + CONNECT_WAIT_NS;
    uint8_t pkt[HOST_TUN_MAX_PKT];
    while (host_clock_now() < deadline) {
        struct pollfd p[2] = {{.fd = host_tun_fd(b->tun), .events = POLLIN},
                              {.fd = fd, .events = POLLOUT}};
        assert_true(poll(p, 2, 50) >= 0);
        if (p[1].revents != 0) {
            int soerr = 0;
            socklen_t l = sizeof(soerr);
            assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l), 0);
            return soerr;
        }
        ssize_t n;
        while ((n = host_tun_read(b->tun, pkt, sizeof(pkt))) > 0)
            umptcp_stack_input(b->stack, host_tun_ifindex(b->tun), pkt, (size_t)n,
                               host_clock_now());
    }
    return ETIMEDOUT;
}

static void check_refused(int family, int proto, const char *dev, const char *kernel_cidr,
                          const char *stack_addr)
{
    struct bed b;
    bed_setup(&b, dev, kernel_cidr, stack_addr);
    int fd = kernel_connect(family, proto, stack_addr, 5555);
    int soerr = pump_until_connect_resolves(&b, fd);
    if (soerr != ECONNREFUSED)
        fprintf(stderr, "connect() ended with %s, expected ECONNREFUSED\n", strerror(soerr));
    assert_int_equal(soerr, ECONNREFUSED);
    uint64_t rsts = 0;
    assert_int_equal(umptcp_stack_counter(b.stack, "TcpOutRsts", &rsts), UMPTCP_OK);
    assert_true(rsts >= 1);
    close(fd);
    bed_teardown(&b);
}

static void test_tcp_v4_refused(void **state)
{
    (void)state;
    long long before = netns_proc_counter("/proc/net/snmp", "Tcp", "AttemptFails");
    check_refused(AF_INET, IPPROTO_TCP, "umptcp-rst4", "10.31.0.1/24", "10.31.0.2");
    /* The kernel's own counter saw the failed active open. */
    assert_true(netns_proc_counter("/proc/net/snmp", "Tcp", "AttemptFails") > before);
}

static void test_tcp_v6_refused(void **state)
{
    (void)state;
    check_refused(AF_INET6, IPPROTO_TCP, "umptcp-rst6", "fd31::1/64", "fd31::2");
}

static void test_mptcp_v4_refused(void **state)
{
    (void)state;
    check_refused(AF_INET, IPPROTO_MPTCP, "umptcp-rstm", "10.32.0.1/24", "10.32.0.2");
}

int main(void)
{
    netns_enter_private();
    tu_require(netns_sysctl_write("/proc/sys/net/mptcp/enabled", "1") == 0, "kernel MPTCP");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_v4_refused),
        cmocka_unit_test(test_tcp_v6_refused),
        cmocka_unit_test(test_mptcp_v4_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
