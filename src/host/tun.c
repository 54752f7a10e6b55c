#include "host/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/clock.h"
#include "host/loss.h"
#include "host/syserr.h"
#include "umptcp/error.h"

struct host_tun {
    int fd;                   /* the TUN descriptor */
    int ctl;                  /* AF_INET datagram socket for interface ioctls */
    char name[IFNAMSIZ];      /* name the kernel assigned */
    struct host_loss loss[2]; /* indexed by enum host_dir */
    struct host_tun_stats stats;
    umptcp_pcap *pcap; /* not owned; may be shared by several devices */
};

static void host_tun_errf(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void host_tun_errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

/* The errno of a failed open()/TUNSETIFF as an error code plus a sentence for people. */
static int host_tun_open_error(int e, const char *dev_path, const char *name, char *errbuf,
                               size_t errlen, bool at_setiff)
{
    int err = host_err_from_errno(e);
    const char *shown = name[0] != '\0' ? name : "(any)";
    switch (err) {
    case UMPTCP_ERR_PERM:
        host_tun_errf(errbuf, errlen,
                      "cannot open TUN device '%s': operation not permitted (needs "
                      "CAP_NET_ADMIN)",
                      shown);
        break;
    case UMPTCP_ERR_NOTFOUND:
        if (at_setiff || e == ENXIO || e == ENODEV)
            host_tun_errf(errbuf, errlen,
                          "cannot open TUN device '%s': %s has no TUN driver behind it (is "
                          "the tun module loaded?)",
                          shown, dev_path);
        else
            host_tun_errf(errbuf, errlen,
                          "cannot open TUN device '%s': %s does not exist (is the tun module "
                          "loaded?)",
                          shown, dev_path);
        break;
    case UMPTCP_ERR_EXISTS:
        host_tun_errf(errbuf, errlen,
                      "cannot open TUN device '%s': device busy (already attached elsewhere)",
                      shown);
        break;
    case UMPTCP_ERR_INVAL:
        host_tun_errf(errbuf, errlen,
                      "cannot open TUN device '%s': invalid name, or a device of another type "
                      "has that name",
                      shown);
        break;
    default:
        host_tun_errf(errbuf, errlen, "cannot open TUN device '%s': %s", shown, strerror(e));
        break;
    }
    return err;
}

/* A datagram socket in the current network namespace for SIOC*IF* ioctls; IPv6-only kernels
 * get an AF_INET6 one. */
static int host_tun_ctl_socket(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    return s;
}

static int host_tun_attach(struct host_tun *t, const char *dev_path, const char *name, char *errbuf,
                           size_t errlen)
{
    t->fd = open(dev_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0)
        return host_tun_open_error(errno, dev_path, name, errbuf, errlen, false);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    memcpy(ifr.ifr_name, name, strlen(name)); /* length checked by the caller */
    if (ioctl(t->fd, TUNSETIFF, &ifr) < 0)
        return host_tun_open_error(errno, dev_path, name, errbuf, errlen, true);
    memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
    t->name[IFNAMSIZ - 1] = '\0';
    t->ctl = host_tun_ctl_socket();
    if (t->ctl < 0) {
        int e = errno;
        host_tun_errf(errbuf, errlen, "cannot open TUN device '%s': control socket: %s", t->name,
                      strerror(e));
        return host_err_from_errno(e);
    }
    return UMPTCP_OK;
}

int host_tun_open_dev(struct host_tun **out, const char *dev_path, const char *name, char *errbuf,
                      size_t errlen)
{
    if (errbuf != NULL && errlen > 0)
        errbuf[0] = '\0';
    if (out == NULL || dev_path == NULL) {
        host_tun_errf(errbuf, errlen, "cannot open TUN device: invalid argument");
        return UMPTCP_ERR_INVAL;
    }
    *out = NULL;
    if (name == NULL)
        name = "";
    if (strlen(name) > HOST_TUN_NAME_MAX) {
        host_tun_errf(errbuf, errlen,
                      "cannot open TUN device '%s': name too long (at most %d characters)", name,
                      HOST_TUN_NAME_MAX);
        return UMPTCP_ERR_INVAL;
    }
    struct host_tun *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        host_tun_errf(errbuf, errlen, "cannot open TUN device '%s': out of memory", name);
        return UMPTCP_ERR_NOMEM;
    }
    t->fd = -1;
    t->ctl = -1;
    int rc = host_tun_attach(t, dev_path, name, errbuf, errlen);
    if (rc != UMPTCP_OK) {
        host_tun_close(t);
        return rc;
    }
    *out = t;
    return UMPTCP_OK;
}

int host_tun_open(struct host_tun **out, const char *name, char *errbuf, size_t errlen)
{
    return host_tun_open_dev(out, HOST_TUN_DEV_PATH, name, errbuf, errlen);
}

void host_tun_close(struct host_tun *t)
{
    if (t == NULL)
        return;
    if (t->ctl >= 0)
        close(t->ctl);
    if (t->fd >= 0)
        close(t->fd);
    free(t);
}

const char *host_tun_name(const struct host_tun *t)
{
    return t->name;
}

int host_tun_fd(const struct host_tun *t)
{
    return t->fd;
}

static void host_tun_ifreq(const struct host_tun *t, struct ifreq *ifr)
{
    memset(ifr, 0, sizeof(*ifr));
    memcpy(ifr->ifr_name, t->name, IFNAMSIZ);
}

int host_tun_ifindex(const struct host_tun *t)
{
    struct ifreq ifr;
    host_tun_ifreq(t, &ifr);
    if (ioctl(t->ctl, SIOCGIFINDEX, &ifr) < 0)
        return host_err_from_errno(errno);
    return ifr.ifr_ifindex;
}

int host_tun_mtu(const struct host_tun *t)
{
    struct ifreq ifr;
    host_tun_ifreq(t, &ifr);
    if (ioctl(t->ctl, SIOCGIFMTU, &ifr) < 0)
        return host_err_from_errno(errno);
    return ifr.ifr_mtu;
}

int host_tun_set_mtu(struct host_tun *t, int mtu)
{
    if (mtu <= 0 || mtu > HOST_TUN_MAX_PKT)
        return UMPTCP_ERR_INVAL;
    struct ifreq ifr;
    host_tun_ifreq(t, &ifr);
    ifr.ifr_mtu = mtu;
    if (ioctl(t->ctl, SIOCSIFMTU, &ifr) < 0)
        return host_err_from_errno(errno);
    return UMPTCP_OK;
}

int host_tun_set_up(struct host_tun *t, bool up)
{
    struct ifreq ifr;
    host_tun_ifreq(t, &ifr);
    if (ioctl(t->ctl, SIOCGIFFLAGS, &ifr) < 0)
        return host_err_from_errno(errno);
    if (up)
        ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
    else
        ifr.ifr_flags = (short)(ifr.ifr_flags & ~IFF_UP);
    if (ioctl(t->ctl, SIOCSIFFLAGS, &ifr) < 0)
        return host_err_from_errno(errno);
    return UMPTCP_OK;
}

void host_tun_set_pcap(struct host_tun *t, umptcp_pcap *pcap)
{
    t->pcap = pcap;
}

static void host_tun_capture(struct host_tun *t, const uint8_t *pkt, size_t len)
{
    if (t->pcap != NULL && umptcp_pcap_write(t->pcap, host_clock_wall(), pkt, len) != UMPTCP_OK)
        t->stats.pcap_errors++;
}

ssize_t host_tun_read(struct host_tun *t, uint8_t *buf, size_t cap)
{
    if (t == NULL || buf == NULL || cap == 0)
        return UMPTCP_ERR_INVAL;
    /* Each read() consumes one queued packet, so skipping dropped ones ends when the queue
     * is empty (EAGAIN). */
    for (;;) {
        ssize_t n = read(t->fd, buf, cap);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return host_err_from_errno(errno);
        }
        if (host_loss_drop(&t->loss[HOST_DIR_RX])) {
            t->stats.rx_loss_dropped++;
            continue;
        }
        t->stats.rx_packets++;
        t->stats.rx_bytes += (uint64_t)n;
        host_tun_capture(t, buf, (size_t)n);
        return n;
    }
}

int host_tun_write(struct host_tun *t, const uint8_t *pkt, size_t len)
{
    if (t == NULL || pkt == NULL || len == 0 || len > HOST_TUN_MAX_PKT)
        return UMPTCP_ERR_INVAL;
    /* Captured before injected loss: the capture shows what the stack sent. */
    host_tun_capture(t, pkt, len);
    if (host_loss_drop(&t->loss[HOST_DIR_TX])) {
        t->stats.tx_loss_dropped++;
        return UMPTCP_OK;
    }
    ssize_t n;
    do {
        n = write(t->fd, pkt, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return host_err_from_errno(errno);
    if ((size_t)n != len)
        return UMPTCP_ERR_IO; /* a TUN takes whole packets; a short write is an I/O error */
    t->stats.tx_packets++;
    t->stats.tx_bytes += len;
    return UMPTCP_OK;
}

int host_tun_set_loss(struct host_tun *t, enum host_dir dir, double p, uint64_t seed)
{
    if (t == NULL || (dir != HOST_DIR_RX && dir != HOST_DIR_TX))
        return UMPTCP_ERR_INVAL;
    return host_loss_init(&t->loss[dir], p, seed);
}

void host_tun_get_stats(const struct host_tun *t, struct host_tun_stats *out)
{
    *out = t->stats;
}
