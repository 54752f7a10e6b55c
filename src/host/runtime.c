#include "host/runtime.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "host/clock.h"
#include "host/loop.h"
#include "umptcp/error.h"

/* Packets read from one TUN per readiness callback before the others get a turn. */
#define HOST_RUNTIME_READ_BATCH 64

struct host_runtime_iface {
    struct host_tun *tun;
    int ifindex;
    umptcp_addr addr;
    uint64_t input_dropped;
};

struct host_runtime {
    struct host_loop *loop;
    umptcp_stack *stack;
    umptcp_pcap *pcap;
    bool seeded;
    uint64_t rng_state; /* splitmix64, when seeded */
    int mtu;
    struct host_runtime_iface ifaces[UMPTCP_MAX_INTERFACES];
    size_t nifaces;
    host_runtime_after_cb after;
    void *after_user;
    uint8_t rxbuf[HOST_TUN_MAX_PKT];
};

static void host_runtime_errf(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void host_runtime_errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

/* ---- the stack's callbacks ------------------------------------------------------------ */

static uint64_t host_runtime_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void host_runtime_random(void *user, uint8_t *buf, size_t n)
{
    struct host_runtime *rt = user;
    if (rt->seeded) {
        for (size_t i = 0; i < n; i += 8) {
            uint64_t v = host_runtime_splitmix64(&rt->rng_state);
            size_t k = n - i < 8 ? n - i : 8;
            memcpy(buf + i, &v, k);
        }
        return;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t r = getrandom(buf + done, n - done, 0);
        if (r > 0) {
            done += (size_t)r;
        } else if (r < 0 && errno != EINTR) {
            /* getrandom() only fails on kernels without it; secrets would be predictable. */
            fprintf(stderr, "umptcp: getrandom failed: %s\n", strerror(errno));
            abort();
        }
    }
}

static struct host_runtime_iface *host_runtime_iface_by_index(struct host_runtime *rt, int ifindex)
{
    for (size_t i = 0; i < rt->nifaces; i++)
        if (rt->ifaces[i].ifindex == ifindex)
            return &rt->ifaces[i];
    return NULL;
}

static int host_runtime_send(void *user, int ifindex, const uint8_t *pkt, size_t len)
{
    struct host_runtime_iface *ifc = host_runtime_iface_by_index(user, ifindex);
    if (ifc == NULL)
        return UMPTCP_ERR_NOTFOUND;
    return host_tun_write(ifc->tun, pkt, len);
}

/* ---- the loop's hooks ------------------------------------------------------------------ */

static void host_runtime_run_after(struct host_runtime *rt, uint64_t now)
{
    if (rt->after != NULL)
        rt->after(rt->after_user, now);
}

static uint64_t host_runtime_next_timeout(void *user)
{
    struct host_runtime *rt = user;
    uint64_t t = umptcp_stack_next_timeout(rt->stack);
    return t == UMPTCP_TIME_NEVER ? HOST_TIME_NONE : t;
}

static void host_runtime_on_timeout(void *user, uint64_t now)
{
    struct host_runtime *rt = user;
    umptcp_stack_on_timeout(rt->stack, host_clock_now());
    host_runtime_run_after(rt, now);
}

static const struct host_stack_ops host_runtime_stack_ops = {
    .next_timeout = host_runtime_next_timeout,
    .on_timeout = host_runtime_on_timeout,
};

static struct host_runtime_iface *host_runtime_iface_by_fd(struct host_runtime *rt, int fd)
{
    for (size_t i = 0; i < rt->nifaces; i++)
        if (host_tun_fd(rt->ifaces[i].tun) == fd)
            return &rt->ifaces[i];
    return NULL;
}

static void host_runtime_on_tun_readable(void *user, int fd, uint64_t now)
{
    struct host_runtime *rt = user;
    struct host_runtime_iface *ifc = host_runtime_iface_by_fd(rt, fd);
    if (ifc == NULL)
        return;
    for (int i = 0; i < HOST_RUNTIME_READ_BATCH; i++) {
        ssize_t n = host_tun_read(ifc->tun, rt->rxbuf, sizeof(rt->rxbuf));
        if (n <= 0)
            break; /* AGAIN, or an error the next readiness will report again */
        if (umptcp_stack_input(rt->stack, ifc->ifindex, rt->rxbuf, (size_t)n, host_clock_now()) !=
            UMPTCP_OK)
            ifc->input_dropped++;
    }
    host_runtime_run_after(rt, now);
}

/* ---- lifecycle ------------------------------------------------------------------------- */

int host_runtime_new(struct host_runtime **out, const struct host_runtime_config *cfg, char *errbuf,
                     size_t errlen)
{
    *out = NULL;
    struct host_runtime *rt = calloc(1, sizeof(*rt));
    if (rt == NULL) {
        host_runtime_errf(errbuf, errlen, "out of memory");
        return UMPTCP_ERR_NOMEM;
    }
    rt->seeded = cfg != NULL && cfg->seeded;
    rt->rng_state = cfg != NULL ? cfg->seed : 0;
    rt->mtu = cfg != NULL ? cfg->mtu : 0;
    int rc = host_loop_new(&rt->loop);
    if (rc != UMPTCP_OK) {
        host_runtime_errf(errbuf, errlen, "cannot create the event loop: %s", umptcp_strerror(rc));
        goto fail;
    }
    const umptcp_callbacks cb = {.send = host_runtime_send, .random = host_runtime_random};
    rc = umptcp_stack_new(&rt->stack, cfg != NULL ? cfg->stack : NULL, &cb, rt);
    if (rc != UMPTCP_OK) {
        host_runtime_errf(errbuf, errlen, "cannot create the stack: %s", umptcp_strerror(rc));
        goto fail;
    }
    if (cfg != NULL && cfg->pcap_path != NULL) {
        rc = umptcp_pcap_open(&rt->pcap, cfg->pcap_path);
        if (rc != UMPTCP_OK) {
            host_runtime_errf(errbuf, errlen, "cannot write capture '%s': %s", cfg->pcap_path,
                              umptcp_strerror(rc));
            goto fail;
        }
    }
    host_loop_set_stack(rt->loop, &host_runtime_stack_ops, rt);
    *out = rt;
    return UMPTCP_OK;
fail:
    host_runtime_free(rt);
    return rc;
}

void host_runtime_free(struct host_runtime *rt)
{
    if (rt == NULL)
        return;
    /* The stack goes first: freeing it must not find a closed TUN behind its send callback. */
    umptcp_stack_free(rt->stack);
    for (size_t i = 0; i < rt->nifaces; i++) {
        if (rt->loop != NULL)
            host_loop_del_fd(rt->loop, host_tun_fd(rt->ifaces[i].tun));
        host_tun_close(rt->ifaces[i].tun);
    }
    umptcp_pcap_close(rt->pcap);
    host_loop_free(rt->loop);
    free(rt);
}

/* ---- interfaces ------------------------------------------------------------------------ */

static int host_runtime_attach(struct host_runtime *rt, struct host_tun *tun,
                               const umptcp_addr *addr, char *errbuf, size_t errlen)
{
    char text[UMPTCP_ADDR_STRLEN];
    umptcp_addr_format(addr, text, sizeof(text));
    int rc = rt->mtu > 0 ? host_tun_set_mtu(tun, rt->mtu) : UMPTCP_OK;
    if (rc != UMPTCP_OK) {
        host_runtime_errf(errbuf, errlen, "cannot set the MTU of TUN device '%s' to %d: %s",
                          host_tun_name(tun), rt->mtu, umptcp_strerror(rc));
        return rc;
    }
    rc = host_tun_set_up(tun, true);
    if (rc != UMPTCP_OK) {
        host_runtime_errf(errbuf, errlen, "cannot bring TUN device '%s' up: %s", host_tun_name(tun),
                          umptcp_strerror(rc));
        return rc;
    }
    int ifindex = host_tun_ifindex(tun);
    if (ifindex < 0) {
        host_runtime_errf(errbuf, errlen, "TUN device '%s' has no interface index: %s",
                          host_tun_name(tun), umptcp_strerror(ifindex));
        return ifindex;
    }
    rc = umptcp_stack_add_address(rt->stack, ifindex, addr);
    if (rc != UMPTCP_OK) {
        if (rc == UMPTCP_ERR_EXISTS)
            host_runtime_errf(errbuf, errlen, "address %s is given to more than one interface",
                              text);
        else
            host_runtime_errf(errbuf, errlen, "cannot use address %s on '%s': %s", text,
                              host_tun_name(tun), umptcp_strerror(rc));
        return rc;
    }
    rc = host_loop_add_fd(rt->loop, host_tun_fd(tun), host_runtime_on_tun_readable, NULL, rt);
    if (rc != UMPTCP_OK) {
        umptcp_stack_remove_address(rt->stack, addr);
        host_runtime_errf(errbuf, errlen, "cannot watch TUN device '%s': %s", host_tun_name(tun),
                          umptcp_strerror(rc));
        return rc;
    }
    host_tun_set_pcap(tun, rt->pcap);
    struct host_runtime_iface *ifc = &rt->ifaces[rt->nifaces];
    *ifc = (struct host_runtime_iface){.tun = tun, .ifindex = ifindex, .addr = *addr};
    return (int)rt->nifaces++;
}

int host_runtime_add_tun(struct host_runtime *rt, const char *dev, const umptcp_addr *addr,
                         char *errbuf, size_t errlen)
{
    if (rt->nifaces >= UMPTCP_MAX_INTERFACES) {
        host_runtime_errf(errbuf, errlen, "too many interfaces (at most %d)",
                          UMPTCP_MAX_INTERFACES);
        return UMPTCP_ERR_NOMEM;
    }
    struct host_tun *tun = NULL;
    int rc = host_tun_open(&tun, dev, errbuf, errlen);
    if (rc != UMPTCP_OK)
        return rc;
    rc = host_runtime_attach(rt, tun, addr, errbuf, errlen);
    if (rc < 0)
        host_tun_close(tun);
    return rc;
}

int host_runtime_set_loss(struct host_runtime *rt, double p_in, double p_out, uint64_t seed)
{
    uint64_t stream = seed;
    for (size_t i = 0; i < rt->nifaces; i++) {
        struct host_tun *t = rt->ifaces[i].tun;
        int rc = host_tun_set_loss(t, HOST_DIR_RX, p_in, host_runtime_splitmix64(&stream));
        if (rc == UMPTCP_OK)
            rc = host_tun_set_loss(t, HOST_DIR_TX, p_out, host_runtime_splitmix64(&stream));
        if (rc != UMPTCP_OK)
            return rc;
    }
    return UMPTCP_OK;
}

umptcp_stack *host_runtime_stack(struct host_runtime *rt)
{
    return rt->stack;
}

struct host_loop *host_runtime_loop(struct host_runtime *rt)
{
    return rt->loop;
}

void host_runtime_set_after(struct host_runtime *rt, host_runtime_after_cb cb, void *user)
{
    rt->after = cb;
    rt->after_user = user;
}

size_t host_runtime_iface_count(const struct host_runtime *rt)
{
    return rt->nifaces;
}

int host_runtime_iface_info(const struct host_runtime *rt, size_t i,
                            struct host_runtime_iface_info *out)
{
    if (i >= rt->nifaces)
        return UMPTCP_ERR_NOTFOUND;
    const struct host_runtime_iface *ifc = &rt->ifaces[i];
    out->name = host_tun_name(ifc->tun);
    out->ifindex = ifc->ifindex;
    out->addr = ifc->addr;
    host_tun_get_stats(ifc->tun, &out->stats);
    out->input_dropped = ifc->input_dropped;
    return UMPTCP_OK;
}

int host_runtime_ifindex_of(const struct host_runtime *rt, const umptcp_addr *addr)
{
    for (size_t i = 0; i < rt->nifaces; i++)
        if (umptcp_addr_equal(&rt->ifaces[i].addr, addr))
            return rt->ifaces[i].ifindex;
    return UMPTCP_ERR_NOTFOUND;
}

int host_runtime_run(struct host_runtime *rt, uint64_t deadline)
{
    return host_loop_run(rt->loop, deadline);
}

void host_runtime_stop(struct host_runtime *rt)
{
    host_loop_stop(rt->loop);
}
