/* Network addresses as the stack sees them: IPv4 or IPv6, bytes in network order. */
#ifndef UMPTCP_ADDR_H
#define UMPTCP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umptcp/export.h"

#ifdef __cplusplus
extern "C" {
#endif

enum umptcp_family { UMPTCP_AF_NONE = 0, UMPTCP_AF_INET = 4, UMPTCP_AF_INET6 = 6 };

typedef struct umptcp_addr {
    uint8_t family;    /* enum umptcp_family */
    uint8_t bytes[16]; /* IPv4 uses bytes[0..3] */
} umptcp_addr;

typedef struct umptcp_sockaddr {
    umptcp_addr addr;
    uint16_t port; /* host byte order */
} umptcp_sockaddr;

/* Length in bytes of the address (4 or 16), 0 for UMPTCP_AF_NONE. */
UMPTCP_API size_t umptcp_addr_len(const umptcp_addr *a);
UMPTCP_API bool umptcp_addr_equal(const umptcp_addr *a, const umptcp_addr *b);
/* Parses dotted IPv4 or textual IPv6; returns 0 or UMPTCP_ERR_INVAL. */
UMPTCP_API int umptcp_addr_parse(umptcp_addr *out, const char *text);
/* Writes the textual form into buf (NUL-terminated); returns buf. 46 bytes always suffice. */
UMPTCP_API const char *umptcp_addr_format(const umptcp_addr *a, char *buf, size_t buflen);

#define UMPTCP_ADDR_STRLEN 46

#ifdef __cplusplus
}
#endif
#endif
