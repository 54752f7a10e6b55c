/* What the kernel interop tests of RFC 8684 3.7 and DSS checksums share (include after
 * cmocka.h): one TUN device and subnet per case, a run in either role, our fallback reason,
 * and the kernel's MPTcpExt counters that tell how a connection fell back (or did not). */
#ifndef UMPTCP_TESTS_KERNEL_FALLBACK_COMMON_H
#define UMPTCP_TESTS_KERNEL_FALLBACK_COMMON_H

#include "mptcp/mptcp_conn.h"
#include "mptcp_kernel_harness.h"
#include "stack/stack_internal.h"

/* Why our connection fell back (NULL: it did not, or it never was MPTCP). */
static inline const char *umptcp_reason(const struct app *a)
{
    return a->c->mp != NULL ? mptcp_conn_fallback_reason(a->c->mp) : NULL;
}

/* Kernel counters that tell how a fallback happened, before and after a run. */
static const char *const fb_counters[] = {
    "MPCapableFallbackACK", "MPCapableFallbackSYNACK", "MPCapableDataFallback", "DssFallback",
    "InfiniteMapTx",        "InfiniteMapRx",           "FallbackFailed",        "DataCsumErr",
    "MPCapableSYNRX",       "MPCapableSYNACKRX",
};
#define NFB (sizeof(fb_counters) / sizeof(fb_counters[0]))

static inline void kernel_snapshot(long long v[NFB])
{
    for (size_t i = 0; i < NFB; i++)
        v[i] = kernel_mib(fb_counters[i]);
}

/* The kernel counter's growth since the snapshot. */
static inline long long kernel_grew(const long long v[NFB], const char *name)
{
    for (size_t i = 0; i < NFB; i++)
        if (strcmp(fb_counters[i], name) == 0)
            return kernel_mib(name) - v[i];
    fail_msg("unknown counter %s", name);
    return 0;
}

static inline void print_fallback(struct app *a, const long long v[NFB])
{
    print_message("  kernel:");
    for (size_t i = 0; i < NFB; i++)
        print_message(" %s +%lld", fb_counters[i], kernel_mib(fb_counters[i]) - v[i]);
    print_message("\n  umptcp (%s): Fallback %llu SYNACK %llu ACK %llu DataFallback %llu "
                  "DssFallback %llu InfiniteMapTx %llu InfiniteMapRx %llu\n",
                  umptcp_reason(a) != NULL ? umptcp_reason(a) : "no fallback",
                  (unsigned long long)stack_mib(a, "MPTcpExtFallback"),
                  (unsigned long long)stack_mib(a, "MPTcpExtMPCapableFallbackSYNACK"),
                  (unsigned long long)stack_mib(a, "MPTcpExtMPCapableFallbackACK"),
                  (unsigned long long)stack_mib(a, "MPTcpExtMPCapableDataFallback"),
                  (unsigned long long)stack_mib(a, "MPTcpExtDssFallback"),
                  (unsigned long long)stack_mib(a, "MPTcpExtInfiniteMapTx"),
                  (unsigned long long)stack_mib(a, "MPTcpExtInfiniteMapRx"));
}

/* Device umf<n> gets its own subnet 10.<70 + n>.0.0/24 (kernel .1, umptcp .2), so that a
 * case that failed half-way leaves nothing in the way of the next. */
struct net {
    char dev[16], kernel_cidr[32], kernel[32], stack[32];
};

static inline struct net net_of(unsigned n)
{
    struct net t;
    snprintf(t.dev, sizeof(t.dev), "umf%u", n);
    snprintf(t.kernel_cidr, sizeof(t.kernel_cidr), "10.%u.0.1/24", 70 + n);
    snprintf(t.kernel, sizeof(t.kernel), "10.%u.0.1", 70 + n);
    snprintf(t.stack, sizeof(t.stack), "10.%u.0.2", 70 + n);
    return t;
}

static inline void setup(struct app *a, const struct net *t)
{
    app_setup_net(a, t->dev, t->kernel_cidr, t->stack);
}

/* One run in a role: umptcp client (kernel server) or umptcp server (kernel client). */
static inline void run_role(struct app *a, const struct net *t, bool umptcp_client, uint16_t port,
                            const umptcp_conn_opts *o)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child;
    if (umptcp_client) {
        child = kernel_server_at("0.0.0.0", port, pfd[1]);
        app_connect_opts(a, t->kernel, port, o);
    } else {
        app_listen_opts(a, port, o);
        child = kernel_client_to(t->stack, port, pfd[1]);
    }
    app_transfer_check(a, child, pfd[0], pfd[1]);
    close(pfd[0]);
}

#endif
