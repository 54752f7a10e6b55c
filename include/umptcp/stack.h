/* A umptcp stack: one host's TCP/MPTCP instance. Sans-IO: packets go in through
 * umptcp_stack_input() with the time, leave through the send callback; the caller runs the
 * timers (umptcp_stack_next_timeout / umptcp_stack_on_timeout). Several stacks may live in one
 * process (the simulator runs one per host); nothing is global. */
#ifndef UMPTCP_STACK_H
#define UMPTCP_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umptcp/addr.h"
#include "umptcp/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct umptcp_stack umptcp_stack;

/* No timer armed. */
#define UMPTCP_TIME_NEVER UINT64_MAX
/* Bounds of the interface table. */
#define UMPTCP_MAX_INTERFACES 16
#define UMPTCP_MAX_IFACE_ADDRS 8

typedef struct umptcp_callbacks {
    /* Sends one IP packet (IPv4 or IPv6, by its version nibble) out of interface ifindex.
     * Returns 0, or a negative UMPTCP_ERR_* (counted as OutDiscards; TCP recovers). Required. */
    int (*send)(void *user, int ifindex, const uint8_t *pkt, size_t len);
    /* Fills buf with n unpredictable bytes. Every secret of the stack (ISN keys, MPTCP keys,
     * nonces) comes from here, so a seeded source makes a run reproducible. Required. */
    void (*random)(void *user, uint8_t *buf, size_t n);
} umptcp_callbacks;

/* Stack-wide settings; umptcp_config_init() fills the defaults given in brackets. */
typedef struct umptcp_config {
    uint32_t sndbuf;         /* send buffer per connection, bytes [4 MiB] */
    uint32_t rcvbuf;         /* initial receive buffer, bytes [128 KiB] */
    uint32_t rcvbuf_max;     /* receive buffer auto-tuning limit, bytes [16 MiB] */
    uint32_t max_ooo_ranges; /* out-of-order ranges held per connection [256] */
    uint32_t max_conns;      /* connections (incl. TIME_WAIT) per stack [1024] */
    uint32_t backlog;        /* established connections waiting in accept per listener [64] */
    uint16_t mss;            /* MSS to advertise; 0 = from the interface MTU [0] */
    uint16_t mtu;            /* interface MTU the MSS is derived from [1500] */
    uint64_t time_wait_ns;   /* TIME_WAIT duration (2*MSL) [60 s; RFC 9293 says 2*2 min] */
    uint64_t rto_min_ns;     /* RFC 6298 lower bound [200 ms, as Linux] */
    uint64_t rto_max_ns;     /* [60 s] */
    uint64_t rto_initial_ns; /* [1 s] */
    uint64_t delack_ns;      /* delayed-ACK timeout [40 ms] */
    uint32_t syn_retries;    /* SYN retransmissions before giving up [6] */
    uint32_t data_retries;   /* RTO retransmissions of one segment before giving up [15] */
    bool nagle;              /* Nagle's algorithm on by default [true] */
    bool sack;               /* offer SACK [true] */
    bool timestamps;         /* offer timestamps [true] */
    bool window_scaling;     /* offer window scaling [true] */
    const char *cc;          /* default congestion control [cubic] */
    bool hystart;            /* HyStart++ (RFC 9406) in the initial slow start [true] */
} umptcp_config;

/* Fills cfg with the defaults. */
UMPTCP_API void umptcp_config_init(umptcp_config *cfg);

/* Creates a stack. cfg may be NULL (defaults). Errors: UMPTCP_ERR_INVAL (missing callback),
 * UMPTCP_ERR_NOMEM. */
UMPTCP_API int umptcp_stack_new(umptcp_stack **out, const umptcp_config *cfg,
                                const umptcp_callbacks *cb, void *user);
UMPTCP_API void umptcp_stack_free(umptcp_stack *s);

/* Gives the stack the local address addr on interface ifindex (> 0). Call again to add more
 * addresses to an interface. Errors: UMPTCP_ERR_INVAL, UMPTCP_ERR_EXISTS (address already
 * local), UMPTCP_ERR_NOMEM (UMPTCP_MAX_INTERFACES or UMPTCP_MAX_IFACE_ADDRS reached). */
UMPTCP_API int umptcp_stack_add_address(umptcp_stack *s, int ifindex, const umptcp_addr *addr);
/* Removes a local address. UMPTCP_ERR_NOTFOUND when it is not local. MPTCP connections
 * reset their subflows on it (their data goes on the others) and tell the peer with
 * REMOVE_ADDR (RFC 8684 3.4.2); packets for that leave at once, timed at the latest `now` the
 * stack was given. Adding an address lets each connection's path manager use it. */
UMPTCP_API int umptcp_stack_remove_address(umptcp_stack *s, const umptcp_addr *addr);

/* One packet that arrived on interface ifindex at time now (ns, any epoch, non-decreasing).
 * Returns 0 when the packet was taken, or the negative reason it was dropped (also counted):
 * a malformed or foreign packet never harms the stack. */
UMPTCP_API int umptcp_stack_input(umptcp_stack *s, int ifindex, const uint8_t *pkt, size_t len,
                                  uint64_t now);
/* The earliest time a timer needs umptcp_stack_on_timeout(), or UMPTCP_TIME_NEVER. */
UMPTCP_API uint64_t umptcp_stack_next_timeout(const umptcp_stack *s);
UMPTCP_API void umptcp_stack_on_timeout(umptcp_stack *s, uint64_t now);

/* ---- counters (Linux's Ip/Tcp/TcpExt/MPTcpExt names where the same event exists) ---- */
typedef struct umptcp_counter {
    const char *name;
    uint64_t value;
} umptcp_counter;

/* Copies up to max counters (name and value) into out; returns how many exist in all. */
UMPTCP_API size_t umptcp_stack_counters(const umptcp_stack *s, umptcp_counter *out, size_t max);
/* The value of one counter by name; UMPTCP_ERR_NOTFOUND for an unknown name. */
UMPTCP_API int umptcp_stack_counter(const umptcp_stack *s, const char *name, uint64_t *value);

#ifdef __cplusplus
}
#endif
#endif
