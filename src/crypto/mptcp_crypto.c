#include "crypto/mptcp_crypto.h"
#include "umptcp/error.h"
#include "util/bytes.h"
#include "wire/checksum.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

static void mptcp_crypto_key_digest(uint64_t key, uint8_t digest[MPTCP_CRYPTO_SHA256_LEN])
{
    uint8_t key_be[8];
    unsigned int len = 0;
    be64_put(key_be, key);
    if (EVP_Digest(key_be, sizeof(key_be), digest, &len, EVP_sha256(), NULL) != 1)
        memset(digest, 0, MPTCP_CRYPTO_SHA256_LEN); /* only on OpenSSL failure */
}

void mptcp_crypto_key_derive(uint64_t key, uint32_t *token, uint64_t *idsn)
{
    uint8_t d[MPTCP_CRYPTO_SHA256_LEN];
    mptcp_crypto_key_digest(key, d);
    if (token != NULL)
        *token = be32_get(d);
    if (idsn != NULL)
        *idsn = be64_get(d + MPTCP_CRYPTO_SHA256_LEN - 8);
}

uint32_t mptcp_crypto_token(uint64_t key)
{
    uint32_t token;
    mptcp_crypto_key_derive(key, &token, NULL);
    return token;
}

uint64_t mptcp_crypto_idsn(uint64_t key)
{
    uint64_t idsn;
    mptcp_crypto_key_derive(key, NULL, &idsn);
    return idsn;
}

int mptcp_crypto_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                             uint8_t out[MPTCP_CRYPTO_SHA256_LEN])
{
    unsigned int len = 0;
    if (HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &len) == NULL ||
        len != MPTCP_CRYPTO_SHA256_LEN) {
        memset(out, 0, MPTCP_CRYPTO_SHA256_LEN);
        return UMPTCP_ERR_NOMEM;
    }
    return UMPTCP_OK;
}

/* Both HMACs of RFC 8684 are keyed with key_self || key_peer (16 bytes). */
static int mptcp_crypto_hmac_keyed(uint64_t key_self, uint64_t key_peer, const uint8_t *msg,
                                   size_t msg_len, uint8_t out[MPTCP_CRYPTO_SHA256_LEN])
{
    uint8_t key[16];
    be64_put(key, key_self);
    be64_put(key + 8, key_peer);
    return mptcp_crypto_hmac_sha256(key, sizeof(key), msg, msg_len, out);
}

int mptcp_crypto_join_hmac(uint64_t key_self, uint64_t key_peer, uint32_t nonce_self,
                           uint32_t nonce_peer, uint8_t out[MPTCP_CRYPTO_SHA256_LEN])
{
    uint8_t msg[8];
    be32_put(msg, nonce_self);
    be32_put(msg + 4, nonce_peer);
    return mptcp_crypto_hmac_keyed(key_self, key_peer, msg, sizeof(msg), out);
}

uint64_t mptcp_crypto_join_synack_hmac(uint64_t key_self, uint64_t key_peer, uint32_t nonce_self,
                                       uint32_t nonce_peer)
{
    uint8_t h[MPTCP_CRYPTO_SHA256_LEN];
    mptcp_crypto_join_hmac(key_self, key_peer, nonce_self, nonce_peer, h);
    return be64_get(h);
}

void mptcp_crypto_join_ack_hmac(uint64_t key_self, uint64_t key_peer, uint32_t nonce_self,
                                uint32_t nonce_peer, uint8_t out[MPTCP_CRYPTO_JOIN_ACK_HMAC_LEN])
{
    uint8_t h[MPTCP_CRYPTO_SHA256_LEN];
    mptcp_crypto_join_hmac(key_self, key_peer, nonce_self, nonce_peer, h);
    memcpy(out, h, MPTCP_CRYPTO_JOIN_ACK_HMAC_LEN);
}

uint64_t mptcp_crypto_add_addr_hmac(uint64_t key_sender, uint64_t key_receiver, uint8_t addr_id,
                                    const umptcp_addr *addr, uint16_t port)
{
    uint8_t msg[1 + 16 + 2];
    size_t alen = umptcp_addr_len(addr);
    uint8_t h[MPTCP_CRYPTO_SHA256_LEN];
    msg[0] = addr_id;
    memcpy(msg + 1, addr->bytes, alen);
    be16_put(msg + 1 + alen, port);
    mptcp_crypto_hmac_keyed(key_sender, key_receiver, msg, 1 + alen + 2, h);
    return be64_get(h + MPTCP_CRYPTO_SHA256_LEN - 8);
}

uint16_t mptcp_crypto_dss_csum_with_payload_sum(uint64_t dsn, uint32_t ssn, uint16_t data_len,
                                                uint32_t payload_sum)
{
    uint8_t pseudo[16];
    be64_put(pseudo, dsn);
    be32_put(pseudo + 8, ssn);
    be16_put(pseudo + 12, data_len);
    be16_put(pseudo + 14, 0);
    return wire_csum_fold(wire_csum_add(payload_sum, pseudo, sizeof(pseudo)));
}

uint16_t mptcp_crypto_dss_csum(uint64_t dsn, uint32_t ssn, uint16_t data_len,
                               const uint8_t *payload, size_t payload_len)
{
    return mptcp_crypto_dss_csum_with_payload_sum(dsn, ssn, data_len,
                                                  wire_csum_add(0, payload, payload_len));
}
