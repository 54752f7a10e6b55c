/* Path management of MPTCP connections (RFC 8684): subflow backup priority (3.3.8, MP_PRIO),
 * and why a subflow was reset (3.6, MP_TCPRST). Address removal (3.4.2, REMOVE_ADDR) follows
 * umptcp_stack_remove_address() (stack.h); the path manager is chosen per connection with
 * umptcp_conn_opts.pm (conn.h). */
#ifndef UMPTCP_PM_H
#define UMPTCP_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "umptcp/addr.h"
#include "umptcp/conn.h"
#include "umptcp/export.h"
#include "umptcp/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Marks this connection's subflows from local address `local` (every subflow when NULL) as
 * backup or not: each changed subflow sends MP_PRIO at once and the scheduler moves data off
 * (or back onto) it from the next chunk; subflows opened later keep their own flag. Returns
 * how many subflows changed, or UMPTCP_ERR_INVAL, UMPTCP_ERR_STATE (not MPTCP, or fallen
 * back). */
UMPTCP_API int umptcp_conn_set_backup(umptcp_conn *c, const umptcp_addr *local, bool backup,
                                      uint64_t now);
/* The same for an interface's address, for every MPTCP connection of the stack, and for
 * subflows opened from it later (their MP_JOIN carries B). Timed at the latest `now` the
 * stack was given. UMPTCP_ERR_NOTFOUND when addr is not local. */
UMPTCP_API int umptcp_stack_set_backup(umptcp_stack *s, const umptcp_addr *addr, bool backup);

/* RFC 8684 3.6 reason codes of MP_TCPRST. */
typedef enum umptcp_rst_reason {
    UMPTCP_RST_UNSPECIFIED = 0x00,
    UMPTCP_RST_MPTCP_ERROR = 0x01, /* e.g. an MP_JOIN whose HMAC did not verify */
    UMPTCP_RST_NO_RESOURCES = 0x02,
    UMPTCP_RST_PROHIBITED = 0x03, /* administratively prohibited, e.g. over the subflow limit */
    UMPTCP_RST_TOO_MUCH_DATA = 0x04,
    UMPTCP_RST_BAD_PERFORMANCE = 0x05,
    UMPTCP_RST_MIDDLEBOX = 0x06,
} umptcp_rst_reason;

/* How a subflow was reset. */
typedef struct umptcp_subflow_rst {
    bool sent;           /* we sent a RST with MP_TCPRST on it */
    uint8_t sent_reason; /* ... with this reason */
    bool received;       /* the peer reset it with MP_TCPRST */
    uint8_t reason;      /* ... with this reason (umptcp_rst_reason or another value) */
    bool transient;      /* ... and the T flag (the condition may pass) */
} umptcp_subflow_rst;

/* Subflow `index` of c (0 = the initial one, then in the order they were created).
 * UMPTCP_ERR_NOTFOUND past the last one or for a plain TCP connection. */
UMPTCP_API int umptcp_conn_subflow_rst(const umptcp_conn *c, unsigned index,
                                       umptcp_subflow_rst *out);

#ifdef __cplusplus
}
#endif

#endif
