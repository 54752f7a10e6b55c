/* RFC 6528 initial sequence numbers and per-connection timestamp offsets; see tcp_isn.h. */
#include "tcp/tcp_isn.h"

#include "crypto/mptcp_crypto.h"
#include "umptcp/error.h"
#include "util/bytes.h"

#include <string.h>

/* Labels keep the ISN and the timestamp offset independent although both hash the 4-tuple. */
#define ISN_LABEL "umptcp-isn"
#define TSOFF_LABEL "umptcp-tsoff"
#define LABEL_MAX 16
#define MSG_MAX (LABEL_MAX + 1 + 2 * (16 + 2))

static int keyed_hash(const char *label, const uint8_t *secret, size_t secret_len,
                      const umptcp_sockaddr *local, const umptcp_sockaddr *remote, uint32_t *out)
{
    if (secret == NULL || local == NULL || remote == NULL || out == NULL ||
        secret_len < TCP_ISN_SECRET_MIN || secret_len > TCP_ISN_SECRET_MAX)
        return UMPTCP_ERR_INVAL;
    size_t alen = umptcp_addr_len(&local->addr);
    if (alen == 0 || local->addr.family != remote->addr.family)
        return UMPTCP_ERR_INVAL;
    /* F(localip, localport, remoteip, remoteport, secretkey), RFC 6528 3. */
    uint8_t msg[MSG_MAX];
    size_t n = strlen(label);
    memcpy(msg, label, n);
    msg[n++] = local->addr.family;
    memcpy(msg + n, local->addr.bytes, alen);
    n += alen;
    be16_put(msg + n, local->port);
    n += 2;
    memcpy(msg + n, remote->addr.bytes, alen);
    n += alen;
    be16_put(msg + n, remote->port);
    n += 2;
    uint8_t mac[MPTCP_CRYPTO_SHA256_LEN];
    int rc = mptcp_crypto_hmac_sha256(secret, secret_len, msg, n, mac);
    if (rc != 0)
        return rc;
    *out = be32_get(mac);
    return UMPTCP_OK;
}

int tcp_isn_hash(const uint8_t *secret, size_t secret_len, const umptcp_sockaddr *local,
                 const umptcp_sockaddr *remote, uint32_t *out)
{
    return keyed_hash(ISN_LABEL, secret, secret_len, local, remote, out);
}

int tcp_isn_generate(const uint8_t *secret, size_t secret_len, const umptcp_sockaddr *local,
                     const umptcp_sockaddr *remote, uint64_t now, uint32_t *isn)
{
    if (isn == NULL)
        return UMPTCP_ERR_INVAL;
    uint32_t f;
    int rc = tcp_isn_hash(secret, secret_len, local, remote, &f);
    if (rc != 0)
        return rc;
    /* RFC 6528 3: ISN = M + F, M ticking every 4 microseconds (mod 2^32). */
    *isn = (uint32_t)(now / TCP_ISN_TICK_NS) + f;
    return UMPTCP_OK;
}

int tcp_isn_ts_offset(const uint8_t *secret, size_t secret_len, const umptcp_sockaddr *local,
                      const umptcp_sockaddr *remote, uint32_t *offset)
{
    return keyed_hash(TSOFF_LABEL, secret, secret_len, local, remote, offset);
}
