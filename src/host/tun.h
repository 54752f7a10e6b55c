/* Linux TUN devices for the host runtime: one TUN = one interface of a stack.
 *
 * The device is layer 3 (IFF_TUN) without packet information (IFF_NO_PI): every read gives
 * one whole IPv4 or IPv6 packet, every write injects one. The descriptor is non-blocking and
 * close-on-exec, ready for host_loop_add_fd(). A device created here is not persistent: it
 * disappears on host_tun_close() (or process exit).
 *
 * All functions return 0 (or a non-negative value) on success and a negative UMPTCP_ERR_*
 * code on failure. Needs CAP_NET_ADMIN in the device's network namespace. */
#ifndef UMPTCP_HOST_TUN_H
#define UMPTCP_HOST_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "umptcp/pcap.h"

#define HOST_TUN_DEV_PATH "/dev/net/tun"
/* A read buffer of this size holds any packet a TUN can deliver. */
#define HOST_TUN_MAX_PKT 65535
/* Longest interface name (IFNAMSIZ - 1). */
#define HOST_TUN_NAME_MAX 15

struct host_tun;

/* Direction of a packet through the TUN, seen from the process. */
enum host_dir {
    HOST_DIR_RX = 0, /* kernel -> process: host_tun_read() */
    HOST_DIR_TX = 1, /* process -> kernel: host_tun_write() */
};

struct host_tun_stats {
    uint64_t rx_packets, rx_bytes; /* delivered by host_tun_read() */
    uint64_t tx_packets, tx_bytes; /* accepted by the kernel in host_tun_write() */
    uint64_t rx_loss_dropped;      /* read from the device but dropped by injected loss */
    uint64_t tx_loss_dropped;      /* not written because of injected loss */
    uint64_t pcap_errors;          /* packets the capture could not record */
};

/* Opens (or creates) the TUN device `name` through /dev/net/tun. name NULL or "" lets the
 * kernel choose ("tun%d" also works); host_tun_name() gives the result. On failure *out is
 * NULL and errbuf (if errlen > 0) holds a sentence a tool can print as is, e.g.
 * "cannot open TUN device 'tun0': operation not permitted (needs CAP_NET_ADMIN)".
 * Errors: UMPTCP_ERR_INVAL (name too long or invalid, or an existing device of another
 * type), UMPTCP_ERR_PERM (EPERM/EACCES), UMPTCP_ERR_NOTFOUND (no /dev/net/tun or no tun
 * driver), UMPTCP_ERR_EXISTS (device busy: attached to another descriptor),
 * UMPTCP_ERR_NOMEM, UMPTCP_ERR_IO. */
int host_tun_open(struct host_tun **out, const char *name, char *errbuf, size_t errlen);
/* The same with another clone device path instead of /dev/net/tun (tests, odd systems). */
int host_tun_open_dev(struct host_tun **out, const char *dev_path, const char *name, char *errbuf,
                      size_t errlen);
/* Closes the descriptor (the kernel removes the device). NULL is accepted. */
void host_tun_close(struct host_tun *t);

/* The interface name the kernel gave the device. */
const char *host_tun_name(const struct host_tun *t);
/* The non-blocking descriptor, to register with an event loop. Do not close it. */
int host_tun_fd(const struct host_tun *t);
/* The interface index (> 0), or a negative error. */
int host_tun_ifindex(const struct host_tun *t);
/* The MTU (> 0), or a negative error. */
int host_tun_mtu(const struct host_tun *t);
/* Sets the MTU (68..65535 for IPv4; IPv6 needs at least 1280). */
int host_tun_set_mtu(struct host_tun *t, int mtu);
/* Brings the interface administratively up (true) or down (false). */
int host_tun_set_up(struct host_tun *t, bool up);

/* Reads one packet into buf (cap should be at least the MTU; HOST_TUN_MAX_PKT always
 * suffices). Returns its length, UMPTCP_ERR_AGAIN when nothing is pending, or another
 * negative error. Packets dropped by injected RX loss are consumed and skipped. */
ssize_t host_tun_read(struct host_tun *t, uint8_t *buf, size_t cap);
/* Writes one whole packet. Returns 0 (also when injected TX loss drops it),
 * UMPTCP_ERR_AGAIN, UMPTCP_ERR_INVAL (the kernel rejected the packet), UMPTCP_ERR_IO. */
int host_tun_write(struct host_tun *t, const uint8_t *pkt, size_t len);

/* Injects loss with probability p (0 disables) in one direction, decisions drawn from a
 * PRNG seeded with seed. Returns 0 or UMPTCP_ERR_INVAL (p outside [0, 1]). */
int host_tun_set_loss(struct host_tun *t, enum host_dir dir, double p, uint64_t seed);
/* Packet and byte counters since open. */
/* Records every packet read (after injected RX loss) and every packet given to
 * host_tun_write (before injected TX loss) into pcap, with wall-clock timestamps. pcap is not
 * owned and may be shared by several devices (one capture for all interfaces); NULL stops. */
void host_tun_set_pcap(struct host_tun *t, umptcp_pcap *pcap);
void host_tun_get_stats(const struct host_tun *t, struct host_tun_stats *out);

#endif
