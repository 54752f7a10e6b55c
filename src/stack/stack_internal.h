/* The stack object, shared by the files of src/stack. */
#ifndef UMPTCP_STACK_INTERNAL_H
#define UMPTCP_STACK_INTERNAL_H

#include "stack/mib.h"
#include "umptcp/stack.h"
#include "wire/segment.h"

#include <stdbool.h>

/* Largest IP packet the stack builds (IPv4 total length / IPv6 header + payload length). */
#define UMPTCP_MAX_PACKET 65535

struct stack_iface {
    int ifindex; /* 0 = free slot */
    uint8_t naddrs;
    umptcp_addr addrs[UMPTCP_MAX_IFACE_ADDRS];
};

struct umptcp_stack {
    umptcp_config cfg;
    umptcp_callbacks cb;
    void *user;
    struct stack_iface ifaces[UMPTCP_MAX_INTERFACES];
    struct mib mib;
    uint8_t txbuf[UMPTCP_MAX_PACKET]; /* where stack_emit builds each outgoing packet */
};

/* True when addr is one of the stack's local addresses (weak host model: on any interface). */
bool stack_addr_is_local(const umptcp_stack *s, const umptcp_addr *addr);

/* Builds a segment from spec and hands it to the send callback on ifindex. Counts
 * TcpOutSegs (and TcpOutRsts for RST) or IpOutDiscards. Returns 0 or the error. */
int stack_emit(umptcp_stack *s, int ifindex, const struct wire_segment_spec *spec);

/* RFC 9293 3.10.7.1: the answer to a segment for which there is no connection. */
void stack_reply_no_socket(umptcp_stack *s, int ifindex, const struct wire_segment *seg);

#endif
