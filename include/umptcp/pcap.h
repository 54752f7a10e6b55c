/* Packet captures: raw IPv4/IPv6 packets (LINKTYPE_RAW) with nanosecond timestamps,
 * written through libpcap's dump API. Used by the simulator and the host runtime. */
#ifndef UMPTCP_PCAP_H
#define UMPTCP_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "umptcp/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct umptcp_pcap umptcp_pcap;

/* Creates (truncates) FILE. Returns 0 and sets *out, or UMPTCP_ERR_IO / _NOMEM / _INVAL. */
UMPTCP_API int umptcp_pcap_open(umptcp_pcap **out, const char *path);
/* Appends one packet captured at ts_ns nanoseconds (of any epoch). */
UMPTCP_API int umptcp_pcap_write(umptcp_pcap *p, uint64_t ts_ns, const uint8_t *pkt, size_t len);
/* Flushes the file to disk; returns 0 or UMPTCP_ERR_IO. */
UMPTCP_API int umptcp_pcap_flush(umptcp_pcap *p);
/* Flushes and closes; NULL is allowed. */
UMPTCP_API void umptcp_pcap_close(umptcp_pcap *p);

#ifdef __cplusplus
}
#endif
#endif
