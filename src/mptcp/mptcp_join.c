/* MP_JOIN (RFC 8684 3.2): the handshake that adds a subflow to an existing connection. The
 * initiator (A) sends the receiver's token and a nonce; the responder (B) answers with the
 * leftmost 64 bits of HMAC(Key-B || Key-A, R-B || R-A) and its nonce; A proves its key with
 * the leftmost 160 bits of HMAC(Key-A || Key-B, R-A || R-B) on the third ACK and may send
 * data once B's ACK of it arrives (the subflow is PRE_ESTABLISHED until then). A wrong HMAC
 * resets the subflow (MP_TCPRST 0x01 comes with the reset options). */
#include "mptcp/mptcp_join.h"

#include "crypto/mptcp_crypto.h"
#include "umptcp/error.h"
#include "wire/tcp.h"

#include <string.h>

static bool mptcp_join_find(const struct wire_segment *seg, struct wire_mp_join *out)
{
    struct wire_mptcp_opt o;
    if (!wire_mptcp_find(seg, WIRE_MPTCP_MP_JOIN, &o))
        return false;
    *out = o.u.join;
    return true;
}

bool mptcp_join_syn_token(const struct wire_segment *syn, uint32_t *token)
{
    struct wire_mp_join j;
    if (!mptcp_join_find(syn, &j) || j.form != WIRE_JOIN_SYN)
        return false;
    *token = j.token;
    return true;
}

bool mptcp_join_accept_syn(struct mptcp_subflow *sf, const struct wire_segment *syn)
{
    struct wire_mp_join j;
    if (!mptcp_join_find(syn, &j) || j.form != WIRE_JOIN_SYN)
        return false;
    sf->remote_nonce = j.nonce;
    sf->remote_id = j.addr_id;
    sf->peer_backup = j.backup;
    mib_inc(sf->mc->mib, MIB_MPTCP_JOIN_SYN_RX);
    return true;
}

size_t mptcp_join_write(struct mptcp_subflow *sf, const struct tcp_seg_info *info, uint8_t *buf,
                        size_t room)
{
    struct mptcp_conn *mc = sf->mc;
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_MP_JOIN};
    struct wire_mp_join *j = &o.u.join;
    if ((info->flags & WIRE_TCP_SYN) && !(info->flags & WIRE_TCP_ACK)) {
        j->form = WIRE_JOIN_SYN;
        j->token = mc->remote_token;
        j->nonce = sf->local_nonce;
        j->addr_id = sf->local_id;
        j->backup = sf->backup;
    } else if (info->flags & WIRE_TCP_SYN) {
        j->form = WIRE_JOIN_SYNACK;
        j->nonce = sf->local_nonce;
        j->addr_id = sf->local_id;
        j->backup = sf->backup;
        uint64_t h = mptcp_crypto_join_synack_hmac(mc->local_key, mc->remote_key, sf->local_nonce,
                                                   sf->remote_nonce);
        for (int i = 0; i < WIRE_JOIN_SYNACK_HMAC_LEN; i++)
            j->hmac[i] = (uint8_t)(h >> (56 - 8 * i));
    } else {
        j->form = WIRE_JOIN_ACK;
        mptcp_crypto_join_ack_hmac(mc->local_key, mc->remote_key, sf->local_nonce, sf->remote_nonce,
                                   j->hmac);
    }
    int n = wire_mptcp_write(&o, buf, room);
    return n > 0 ? (size_t)n : 0;
}

/* The initiator's check of the responder's SYN/ACK. */
static bool mptcp_join_synack(struct mptcp_subflow *sf, const struct wire_segment *seg)
{
    struct mptcp_conn *mc = sf->mc;
    struct wire_mp_join j;
    if (!mptcp_join_find(seg, &j) || j.form != WIRE_JOIN_SYNACK) {
        mib_inc(mc->mib, MIB_MPTCP_JOIN_SYNACK_HMAC_FAIL);
        return false;
    }
    uint64_t want =
        mptcp_crypto_join_synack_hmac(mc->remote_key, mc->local_key, j.nonce, sf->local_nonce);
    uint64_t got = 0;
    for (int i = 0; i < WIRE_JOIN_SYNACK_HMAC_LEN; i++)
        got = got << 8 | j.hmac[i];
    if (got != want) {
        mib_inc(mc->mib, MIB_MPTCP_JOIN_SYNACK_HMAC_FAIL);
        return false;
    }
    sf->remote_nonce = j.nonce;
    sf->remote_id = j.addr_id;
    sf->peer_backup = j.backup;
    mib_inc(mc->mib, MIB_MPTCP_JOIN_SYNACK_RX);
    return true;
}

/* The responder's check of the initiator's third ACK. */
static bool mptcp_join_third_ack(struct mptcp_subflow *sf, const struct wire_segment *seg)
{
    struct mptcp_conn *mc = sf->mc;
    struct wire_mp_join j;
    uint8_t want[MPTCP_CRYPTO_JOIN_ACK_HMAC_LEN];
    mptcp_crypto_join_ack_hmac(mc->remote_key, mc->local_key, sf->remote_nonce, sf->local_nonce,
                               want);
    if (!mptcp_join_find(seg, &j) || j.form != WIRE_JOIN_ACK ||
        memcmp(j.hmac, want, sizeof(want)) != 0) {
        mib_inc(mc->mib, MIB_MPTCP_JOIN_ACK_HMAC_FAIL);
        return false;
    }
    mib_inc(mc->mib, MIB_MPTCP_JOIN_ACK_RX);
    return true;
}

int mptcp_join_input(struct mptcp_subflow *sf, const struct wire_segment *seg, uint64_t now)
{
    struct tcp_sock *sk = sf->sk;
    uint8_t flags = seg->tcp.flags;
    if (flags & WIRE_TCP_RST)
        return MPTCP_JOIN_CONTINUE;
    if (sk->state == UMPTCP_STATE_SYN_SENT) {
        if ((flags & (WIRE_TCP_SYN | WIRE_TCP_ACK)) != (WIRE_TCP_SYN | WIRE_TCP_ACK))
            return MPTCP_JOIN_CONTINUE;
        return mptcp_join_synack(sf, seg) ? MPTCP_JOIN_CONTINUE : MPTCP_JOIN_RESET;
    }
    if (sf->join_ok)
        return MPTCP_JOIN_CONTINUE;
    if (sk->state == UMPTCP_STATE_SYN_RECEIVED) {
        if (!(flags & WIRE_TCP_ACK) || (flags & WIRE_TCP_SYN))
            return MPTCP_JOIN_CONTINUE;
        if (!mptcp_join_third_ack(sf, seg))
            return MPTCP_JOIN_RESET;
        /* 3.2: B acknowledges the third ACK, which tells A the subflow is established. */
        sf->join_ok = true;
        sk->ack_now = true;
        return MPTCP_JOIN_CONTINUE;
    }
    /* The initiator: any segment after the handshake shows B has our third ACK. */
    if (!(flags & WIRE_TCP_SYN)) {
        sf->join_ok = true;
        (void)now;
    }
    return MPTCP_JOIN_CONTINUE;
}
