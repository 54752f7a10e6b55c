/* MPTCP v1 cryptographic derivations (RFC 8684) on OpenSSL libcrypto: key -> token and
 * IDSN, the MP_JOIN and ADD_ADDR truncated HMACs, and the DSS checksum. Pure functions. */
#ifndef UMPTCP_CRYPTO_MPTCP_CRYPTO_H
#define UMPTCP_CRYPTO_MPTCP_CRYPTO_H

#include "umptcp/addr.h"

#include <stddef.h>
#include <stdint.h>

#define MPTCP_CRYPTO_SHA256_LEN 32
#define MPTCP_CRYPTO_JOIN_ACK_HMAC_LEN 20 /* 160 bits */

/* RFC 8684 3.1: token = most significant 32 bits of SHA-256(key), IDSN = least
 * significant 64 bits; the key is hashed in network byte order. */
void mptcp_crypto_key_derive(uint64_t key, uint32_t *token, uint64_t *idsn);
uint32_t mptcp_crypto_token(uint64_t key);
uint64_t mptcp_crypto_idsn(uint64_t key);

/* HMAC-SHA256 (RFC 2104, RFC 6234). Returns 0, or UMPTCP_ERR_NOMEM if OpenSSL fails. */
int mptcp_crypto_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                             uint8_t out[MPTCP_CRYPTO_SHA256_LEN]);

/* RFC 8684 3.2: the MP_JOIN HMAC of the host that owns key_self:
 * HMAC(key = key_self || key_peer, msg = nonce_self || nonce_peer). */
int mptcp_crypto_join_hmac(uint64_t key_self, uint64_t key_peer, uint32_t nonce_self,
                           uint32_t nonce_peer, uint8_t out[MPTCP_CRYPTO_SHA256_LEN]);
/* The responder's SYN/ACK carries the leftmost 64 bits of its HMAC. */
uint64_t mptcp_crypto_join_synack_hmac(uint64_t key_self, uint64_t key_peer, uint32_t nonce_self,
                                       uint32_t nonce_peer);
/* The initiator's third ACK carries the leftmost 160 bits of its HMAC. */
void mptcp_crypto_join_ack_hmac(uint64_t key_self, uint64_t key_peer, uint32_t nonce_self,
                                uint32_t nonce_peer, uint8_t out[MPTCP_CRYPTO_JOIN_ACK_HMAC_LEN]);

/* RFC 8684 3.4.1: ADD_ADDR carries the rightmost 64 bits of
 * HMAC(key = key_sender || key_receiver, msg = Address ID || address || port), where the
 * port is two zero octets when the option carries none (port 0 here). */
uint64_t mptcp_crypto_add_addr_hmac(uint64_t key_sender, uint64_t key_receiver, uint8_t addr_id,
                                    const umptcp_addr *addr, uint16_t port);

/* RFC 8684 3.3.1: the DSS checksum is the TCP ones'-complement checksum over the pseudo-header
 * DSN (64) | relative SSN (32) | data-level length (16) | zeros (16), followed by the mapped
 * payload. Returns the value to put in the option. Because the sum is additive, the payload
 * part may be summed separately (wire_csum_add) and combined through _with_payload_sum. */
uint16_t mptcp_crypto_dss_csum(uint64_t dsn, uint32_t ssn, uint16_t data_len,
                               const uint8_t *payload, size_t payload_len);
uint16_t mptcp_crypto_dss_csum_with_payload_sum(uint64_t dsn, uint32_t ssn, uint16_t data_len,
                                                uint32_t payload_sum);

#endif
