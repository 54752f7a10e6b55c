/* The stack's counters: one X-macro list gives the enum and the names, so they cannot drift.
 * Names follow Linux's /proc/net/snmp and netstat sections where the same event exists. */
#ifndef UMPTCP_STACK_MIB_H
#define UMPTCP_STACK_MIB_H

#include <stdint.h>

#define MIB_COUNTERS(X)                                                                            \
    X(IP_IN_RECEIVES, "IpInReceives")            /* packets handed to umptcp_stack_input */        \
    X(IP_IN_HDR_ERRORS, "IpInHdrErrors")         /* malformed IP header or bad IPv4 checksum */    \
    X(IP_IN_ADDR_ERRORS, "IpInAddrErrors")       /* destination is not a local address */          \
    X(IP_IN_UNKNOWN_PROTOS, "IpInUnknownProtos") /* not TCP */                                     \
    X(IP_IN_UNSUPPORTED, "IpInUnsupported")      /* fragments, unsupported IPv6 headers */         \
    X(IP_OUT_DISCARDS, "IpOutDiscards")          /* the send callback failed */                    \
    X(TCP_IN_SEGS, "TcpInSegs")                  /* valid TCP segments received */                 \
    X(TCP_IN_ERRS, "TcpInErrs")                  /* malformed TCP header or options */             \
    X(TCP_IN_CSUM_ERRORS, "TcpInCsumErrors")     /* bad TCP (or IPv4 header) checksum */           \
    X(TCP_OUT_SEGS, "TcpOutSegs")                /* segments sent */                               \
    X(TCP_OUT_RSTS, "TcpOutRsts")                /* resets sent */                                 \
    X(TCP_IN_NO_SOCKET, "TcpInNoSocket")         /* no connection or listener: reset or drop */    \
    X(TCP_IN_NO_SOCKET_RST, "TcpInNoSocketRst")  /* a reset for no socket, not answered */

enum mib_counter {
#define MIB_ENUM(id, name) MIB_##id,
    MIB_COUNTERS(MIB_ENUM)
#undef MIB_ENUM
        MIB_COUNT
};

struct mib {
    uint64_t v[MIB_COUNT];
};

static inline void mib_inc(struct mib *m, enum mib_counter c)
{
    m->v[c]++;
}

/* Name of a counter (for tools and the public API). */
const char *mib_name(enum mib_counter c);

#endif
