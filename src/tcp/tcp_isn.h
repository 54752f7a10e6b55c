/* Initial sequence numbers (RFC 6528) and per-connection timestamp offsets (RFC 7323 5.4/7.1).
 *
 * ISN = M + F(localip, localport, remoteip, remoteport, secretkey), where M is a timer ticking
 * every 4 microseconds (computed from `now`, no clock read) and F is the first 32 bits of
 * HMAC-SHA256(secret, label || family || local addr || local port || remote addr || remote
 * port). The timestamp offset is derived the same way with another label, so it is random per
 * connection but stable for a given 4-tuple and secret. The secret (16..32 bytes) comes from
 * the stack's random callback. Pure functions, no state. */
#ifndef UMPTCP_TCP_TCP_ISN_H
#define UMPTCP_TCP_TCP_ISN_H

#include "umptcp/addr.h"

#include <stddef.h>
#include <stdint.h>

#define TCP_ISN_SECRET_MIN 16
#define TCP_ISN_SECRET_MAX 32
#define TCP_ISN_TICK_NS 4000ull /* RFC 6528 3 / RFC 9293 3.4.1: M ticks every 4 us */

/* F(4-tuple, secret) alone (the RFC 6528 keyed hash). Errors: UMPTCP_ERR_INVAL (secret length
 * out of range, NULL pointer, families differ or unset), UMPTCP_ERR_NOMEM (libcrypto failed). */
int tcp_isn_hash(const uint8_t *secret, size_t secret_len, const umptcp_sockaddr *local,
                 const umptcp_sockaddr *remote, uint32_t *out);

/* RFC 6528 3: ISN = M + F, M = now / 4 us (mod 2^32). Errors as tcp_isn_hash. */
int tcp_isn_generate(const uint8_t *secret, size_t secret_len, const umptcp_sockaddr *local,
                     const umptcp_sockaddr *remote, uint64_t now, uint32_t *isn);

/* Offset added to this connection's TSval clock (RFC 7323 7.1 suggests a random per-connection
 * offset so TSval does not reveal uptime or link connections). Errors as tcp_isn_hash. */
int tcp_isn_ts_offset(const uint8_t *secret, size_t secret_len, const umptcp_sockaddr *local,
                      const umptcp_sockaddr *remote, uint32_t *offset);

#endif
