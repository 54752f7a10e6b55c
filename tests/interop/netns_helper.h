/* Helpers for interop tests that run inside a private network namespace.
 *
 * The test process moves itself into a fresh, anonymous network namespace
 * (unshare(CLONE_NEWNET)) before any test runs. Everything the tests create (TUN devices,
 * addresses, sockets, sysctls under /proc/sys/net) lives there, and the kernel destroys the
 * namespace with everything in it when the process exits, whatever the exit path (assertion,
 * crash, SIGKILL by a CTest timeout): there is nothing to clean up and nothing can leak into
 * the machine's own namespace. Child processes (ip, sysctl) inherit the namespace. */
#ifndef UMPTCP_TESTS_NETNS_HELPER_H
#define UMPTCP_TESTS_NETNS_HELPER_H

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Skips (or fails under CI) without root or iproute2, then enters a new network namespace;
 * exits with an error if that fails. Brings lo up. Call once from main(). */
static inline void netns_enter_private(void)
{
    tu_require(tu_is_root(), "root");
    tu_require(tu_have_command("ip"), "iproute2");
    if (unshare(CLONE_NEWNET) != 0) {
        fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
        exit(1);
    }
    if (system("ip link set lo up") != 0) {
        fprintf(stderr, "cannot bring lo up in the test namespace\n");
        exit(1);
    }
}

/* Runs a shell command built from fmt; prints it and its status when it fails. Returns the
 * exit status (0 = success). */
static inline int netns_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int netns_sh(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    char out[1024];
    int st = tu_run(cmd, out, sizeof(out));
    if (st != 0)
        fprintf(stderr, "command failed (%d): %s\n%s", st, cmd, out);
    return st;
}

/* Creates the persistent TUN device dev, brings it up and gives the kernel side the address
 * cidr ("10.1.0.1/24"; an IPv6 one without duplicate address detection). Returns 0, or the
 * status of the command that failed. */
static inline int netns_tun_add(const char *dev, const char *cidr)
{
    return netns_sh("ip tuntap add dev %s mode tun && ip link set %s up && ip addr add %s dev %s%s",
                    dev, dev, cidr, dev, strchr(cidr, ':') != NULL ? " nodad" : "");
}

/* Writes value to a file under /proc/sys (of the current network namespace for net.*). */
static inline int netns_sysctl_write(const char *path, const char *value)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int rc = fputs(value, f) < 0 ? -1 : 0;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

/* A counter from a /proc/net file of the current namespace laid out as pairs of lines
 * "Group: name name..." / "Group: value value..." (/proc/net/netstat: "MPTcpExt:",
 * "TcpExt:"; /proc/net/snmp: "Icmp:", "Tcp:"...). group includes the colon. Returns the value
 * or -1 when absent. nstat shows the same counters as group+name, e.g.
 * MPTcpExtMPCapableSYNRX. */
static inline long long netns_proc_counter(const char *file, const char *group, const char *name)
{
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return -1;
    size_t glen = strlen(group);
    char names[8192], values[8192];
    long long result = -1;
    while (result < 0 && fgets(names, sizeof(names), f) != NULL) {
        if (strncmp(names, group, glen) != 0 || fgets(values, sizeof(values), f) == NULL)
            continue;
        char *sn = NULL, *sv = NULL;
        char *n = strtok_r(names + glen, " \n", &sn);
        char *v = strtok_r(values + glen, " \n", &sv);
        for (; n != NULL && v != NULL;
             n = strtok_r(NULL, " \n", &sn), v = strtok_r(NULL, " \n", &sv))
            if (strcmp(n, name) == 0)
                result = strtoll(v, NULL, 10);
    }
    fclose(f);
    return result;
}

#endif
