/* The host runtime: one umptcp stack driven over one or more TUN devices by an epoll loop.
 *
 * Each TUN device is one interface of the stack, with the stack's own address on it. The
 * stack's send callback writes each packet to the TUN of its ifindex; packets read from a TUN
 * go to umptcp_stack_input() with host_clock_now(); the loop runs the stack's timers through
 * its stack ops (next_timeout / on_timeout). An optional pcap records every packet of every
 * interface, and loss can be injected per direction for tests.
 *
 * The application talks to the stack directly (umptcp_connect, umptcp_conn_read, ...) through
 * host_runtime_stack(), and adds its own descriptors and timers to host_runtime_loop(). After
 * every batch of packets and every timer run the runtime calls the "after" hook, the place to
 * look at connection state that changed without an event.
 *
 * Functions return 0 (or a non-negative value) on success and a negative UMPTCP_ERR_* code on
 * failure; those that take errbuf fill it with one sentence a tool can print as is. */
#ifndef UMPTCP_HOST_RUNTIME_H
#define UMPTCP_HOST_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/tun.h"
#include "umptcp/addr.h"
#include "umptcp/stack.h"

struct host_loop;
struct host_runtime;

struct host_runtime_config {
    const umptcp_config *stack; /* NULL = umptcp_config_init() defaults */
    bool seeded;                /* true: the stack's randomness is a PRNG seeded with seed */
    uint64_t seed;              /* false: every random byte comes from getrandom() */
    const char *pcap_path;      /* NULL = no capture */
    int mtu;                    /* > 0: set every TUN device's MTU to this */
};

/* Creates the loop and the stack (no interface yet) and opens the capture. */
int host_runtime_new(struct host_runtime **out, const struct host_runtime_config *cfg, char *errbuf,
                     size_t errlen);
/* Closes the capture, the stack, the TUN devices and the loop. NULL is accepted. */
void host_runtime_free(struct host_runtime *rt);

/* Opens (or creates) the TUN device dev, brings it up, and gives the stack the address addr
 * on it. Returns the interface's position (0 for the first call, 1 for the next...). Errors:
 * those of host_tun_open(), UMPTCP_ERR_EXISTS (addr already local), UMPTCP_ERR_NOMEM (too
 * many interfaces). */
int host_runtime_add_tun(struct host_runtime *rt, const char *dev, const umptcp_addr *addr,
                         char *errbuf, size_t errlen);
/* Injects loss on every interface: p_in on packets read from the TUNs, p_out on packets
 * written to them (0 = none). Each device and direction draws from its own stream derived
 * from seed. UMPTCP_ERR_INVAL when a probability is outside [0, 1]. */
int host_runtime_set_loss(struct host_runtime *rt, double p_in, double p_out, uint64_t seed);

umptcp_stack *host_runtime_stack(struct host_runtime *rt);
struct host_loop *host_runtime_loop(struct host_runtime *rt);

/* Called after every batch of packets fed to the stack and after every run of its timers. */
typedef void (*host_runtime_after_cb)(void *user, uint64_t now);
void host_runtime_set_after(struct host_runtime *rt, host_runtime_after_cb cb, void *user);

/* Number of interfaces, and what is known about one of them (i < count). */
size_t host_runtime_iface_count(const struct host_runtime *rt);
struct host_runtime_iface_info {
    const char *name; /* the TUN device */
    int ifindex;
    umptcp_addr addr;
    struct host_tun_stats stats;
    uint64_t input_dropped; /* packets umptcp_stack_input() refused */
};
int host_runtime_iface_info(const struct host_runtime *rt, size_t i,
                            struct host_runtime_iface_info *out);
/* The interface index that carries the local address addr, or UMPTCP_ERR_NOTFOUND. */
int host_runtime_ifindex_of(const struct host_runtime *rt, const umptcp_addr *addr);

/* Runs the loop until host_runtime_stop() or the deadline (absolute host_clock_now() ns,
 * HOST_TIME_NONE = none); see host_loop_run(). */
int host_runtime_run(struct host_runtime *rt, uint64_t deadline);
/* Async-signal-safe, like host_loop_stop(). */
void host_runtime_stop(struct host_runtime *rt);

#endif
