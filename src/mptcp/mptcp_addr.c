/* Address signalling of an MPTCP connection (RFC 8684 3.4.1): ADD_ADDR announcements of our
 * addresses (HMAC-protected, repeated until echoed), and the peer's announcements (HMAC
 * checked, echoed, handed to the path manager). REMOVE_ADDR comes with the PM registry. */
#include "mptcp/mptcp_conn.h"

#include "crypto/mptcp_crypto.h"
#include "umptcp/error.h"
#include "wire/mptcp_opt.h"
#include "wire/tcp.h"

#include <string.h>

/* Between repeats of an announcement not yet echoed (3.4.1 leaves the policy local). */
#define MPTCP_ANNOUNCE_INTERVAL_NS (1000ull * 1000000ull)
#define MPTCP_ANNOUNCE_MAX 5

int mptcp_conn_announce(struct mptcp_conn *mc, uint8_t id, const umptcp_addr *addr, uint64_t now)
{
    if (mc->nann == MPTCP_MAX_ADDRS)
        return UMPTCP_ERR_NOMEM;
    struct mptcp_announce *a = &mc->ann[mc->nann++];
    memset(a, 0, sizeof(*a));
    a->id = id;
    a->addr = *addr;
    a->next_tx = now;
    return UMPTCP_OK;
}

/* The subflow that carries the connection's signals: the first established, working one. */
static struct mptcp_subflow *mptcp_addr_signal_subflow(struct mptcp_conn *mc)
{
    for (unsigned i = 0; i < mc->nsub; i++) {
        struct mptcp_subflow *sf = mc->sub[i];
        if (sf->sk != NULL && !sf->closed && !sf->stalled && tcp_sock_synchronized(sf->sk) &&
            (!sf->join || sf->join_ok))
            return sf;
    }
    return NULL;
}

void mptcp_conn_signal_soon(struct mptcp_conn *mc)
{
    struct mptcp_subflow *sf = mptcp_addr_signal_subflow(mc);
    if (sf != NULL)
        sf->sk->ack_now = true;
}

void mptcp_conn_signal_now(struct mptcp_conn *mc, uint64_t now)
{
    struct mptcp_subflow *sf = mptcp_addr_signal_subflow(mc);
    if (sf == NULL)
        return;
    sf->sk->ack_now = true;
    tcp_output(sf->sk, now);
}

size_t mptcp_addr_write(struct mptcp_conn *mc, uint8_t *buf, size_t room, uint64_t now)
{
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_ADD_ADDR};
    struct wire_add_addr *w = &o.u.add_addr;
    if (mc->echo_pending) {
        w->echo = true;
        w->addr_id = mc->echo_id;
        w->addr = mc->echo_addr;
        size_t n = wire_mptcp_put(&o, buf, room);
        if (n > 0)
            mc->echo_pending = false;
        return n;
    }
    for (unsigned i = 0; i < mc->nann; i++) {
        struct mptcp_announce *a = &mc->ann[i];
        if (a->echoed || a->sent >= MPTCP_ANNOUNCE_MAX || now < a->next_tx)
            continue;
        w->addr_id = a->id;
        w->addr = a->addr;
        /* 3.4.1: rightmost 64 bits of HMAC(Key-sender || Key-receiver, ID || addr || port 0) */
        uint64_t h = mptcp_crypto_add_addr_hmac(mc->local_key, mc->remote_key, a->id, &a->addr, 0);
        for (int b = 0; b < WIRE_ADD_ADDR_HMAC_LEN; b++)
            w->hmac[b] = (uint8_t)(h >> (56 - 8 * b));
        size_t n = wire_mptcp_put(&o, buf, room);
        if (n > 0) {
            a->sent++;
            a->next_tx = now + MPTCP_ANNOUNCE_INTERVAL_NS;
            mib_inc(mc->mib, MIB_MPTCP_ADD_ADDR_TX);
        }
        return n;
    }
    return 0;
}

static void mptcp_addr_echoed(struct mptcp_conn *mc, const struct wire_add_addr *a)
{
    for (unsigned i = 0; i < mc->nann; i++) {
        if (mc->ann[i].id == a->addr_id && umptcp_addr_equal(&mc->ann[i].addr, &a->addr) &&
            !mc->ann[i].echoed) {
            mc->ann[i].echoed = true;
            mib_inc(mc->mib, MIB_MPTCP_ECHO_ADD);
        }
    }
}

void mptcp_addr_input(struct mptcp_conn *mc, struct mptcp_subflow *sf,
                      const struct wire_add_addr *a, uint64_t now)
{
    if (a->echo) {
        mptcp_addr_echoed(mc, a);
        return;
    }
    uint16_t port = a->has_port ? a->port : 0;
    uint64_t want =
        mptcp_crypto_add_addr_hmac(mc->remote_key, mc->local_key, a->addr_id, &a->addr, port);
    uint64_t got = 0;
    for (int b = 0; b < WIRE_ADD_ADDR_HMAC_LEN; b++)
        got = got << 8 | a->hmac[b];
    if (got != want) {
        mib_inc(mc->mib, MIB_MPTCP_ADD_ADDR_DROP); /* 3.4.1: silently ignored */
        return;
    }
    mib_inc(mc->mib, MIB_MPTCP_ADD_ADDR);
    /* Echo it (3.4.1) at once, on a segment without data: a sender whose segments all carry
     * data (and a full DSS) would otherwise hold the echo back until its next pure ACK, and
     * the peer would keep repeating the announcement meanwhile. */
    mc->echo_pending = true;
    mc->echo_id = a->addr_id;
    mc->echo_addr = a->addr;
    sf->sk->ack_now = true;
    if (tcp_sock_synchronized(sf->sk))
        tcp_send_control(sf->sk, WIRE_TCP_ACK, sf->sk->snd_nxt, now);
    /* Soft state: a known ID is refreshed, a new one remembered and handed to the PM. */
    for (unsigned i = 0; i < mc->nraddr; i++)
        if (mc->raddr[i].id == a->addr_id)
            return;
    if (mc->nraddr == MPTCP_MAX_ADDRS)
        return;
    struct mptcp_remote_addr *r = &mc->raddr[mc->nraddr++];
    r->id = a->addr_id;
    r->addr = a->addr;
    r->port = port;
    if (mc->ops->addr_announced != NULL)
        mc->ops->addr_announced(mc, r->id, &r->addr, r->port, now);
}

/* ---- REMOVE_ADDR (3.4.2) ------------------------------------------------------------------ */

/* Sends of one REMOVE_ADDR at most, and the gap between them. */
#define MPTCP_RM_ADDR_MAX 3

/* A subflow of ours on local address ID id that is not closed yet. */
static bool mptcp_addr_id_in_use(const struct mptcp_conn *mc, uint8_t id)
{
    for (unsigned i = 0; i < mc->nsub; i++) {
        const struct mptcp_subflow *sf = mc->sub[i];
        if (!sf->closed && sf->sk != NULL && sf->sk->state != UMPTCP_STATE_CLOSED &&
            sf->local_id == id)
            return true;
    }
    return false;
}

/* Forgets our announcement of id (it stops being repeated); true when there was one. */
static bool mptcp_addr_unannounce(struct mptcp_conn *mc, uint8_t id)
{
    for (unsigned i = 0; i < mc->nann; i++) {
        if (mc->ann[i].id != id)
            continue;
        mc->ann[i] = mc->ann[--mc->nann];
        return true;
    }
    return false;
}

static void mptcp_addr_queue_rm(struct mptcp_conn *mc, uint8_t id, uint64_t now)
{
    for (unsigned i = 0; i < mc->nrm; i++)
        if (mc->rm[i].id == id)
            return;
    if (mc->nrm == MPTCP_MAX_ADDRS) { /* the oldest has been sent by now: make room */
        memmove(&mc->rm[0], &mc->rm[1], (MPTCP_MAX_ADDRS - 1) * sizeof(mc->rm[0]));
        mc->nrm--;
    }
    mc->rm[mc->nrm].id = id;
    mc->rm[mc->nrm].sent = 0;
    mc->rm[mc->nrm].next_tx = now;
    mc->nrm++;
}

void mptcp_conn_remove_local(struct mptcp_conn *mc, const umptcp_addr *addr, uint8_t id,
                             uint64_t now)
{
    if (mc->fallback || mc->closed)
        return;
    bool known = mptcp_addr_unannounce(mc, id);
    /* "The sending ... of this message SHOULD trigger the sending of RSTs ... on the affected
     * subflow(s)": each is reset (MP_TCPRST unspecified), its data reinjected on the others. */
    for (unsigned i = 0; i < mc->nsub; i++) {
        struct mptcp_subflow *sf = mc->sub[i];
        if (sf->closed || sf->sk == NULL || !umptcp_addr_equal(&sf->sk->local.addr, addr))
            continue;
        known = true;
        id = sf->local_id; /* the ID the peer knows it by (0 for the initial subflow's) */
        if (sf->sk->state != UMPTCP_STATE_CLOSED) {
            mib_inc(mc->mib, MIB_MPTCP_RM_SUBFLOW);
            mptcp_subflow_reset(sf, WIRE_TCPRST_UNSPECIFIED, false, now);
        }
    }
    if (!known || !mc->remote_key_known)
        return;
    mptcp_addr_queue_rm(mc, id, now);
    mptcp_conn_signal_now(mc, now);
}

size_t mptcp_rmaddr_write(struct mptcp_conn *mc, uint8_t *buf, size_t room, uint64_t now)
{
    struct wire_mptcp_opt o = {.subtype = WIRE_MPTCP_REMOVE_ADDR};
    unsigned done = 0;
    for (unsigned i = 0; i < mc->nrm; i++) {
        bool over = mc->rm[i].sent >= MPTCP_RM_ADDR_MAX ||
                    (mc->rm[i].sent > 0 && !mptcp_addr_id_in_use(mc, mc->rm[i].id));
        if (over) {
            done++;
            continue;
        }
        if (now >= mc->rm[i].next_tx && o.u.rm_addr.count < WIRE_MPTCP_MAX_RM_IDS)
            o.u.rm_addr.ids[o.u.rm_addr.count++] = mc->rm[i].id;
    }
    if (done == mc->nrm)
        mc->nrm = 0;
    if (o.u.rm_addr.count == 0)
        return 0;
    int n = wire_mptcp_write(&o, buf, room);
    if (n <= 0)
        return 0;
    for (unsigned i = 0; i < mc->nrm; i++) {
        if (now >= mc->rm[i].next_tx) {
            mc->rm[i].sent++;
            mc->rm[i].next_tx = now + MPTCP_ANNOUNCE_INTERVAL_NS;
        }
    }
    mib_inc(mc->mib, MIB_MPTCP_RM_ADDR_TX);
    return (size_t)n;
}

/* A subflow other than except that carries (or will carry) the connection. */
static bool mptcp_addr_other_working(const struct mptcp_conn *mc, uint8_t except_id)
{
    for (unsigned i = 0; i < mc->nsub; i++) {
        const struct mptcp_subflow *sf = mc->sub[i];
        if (!sf->closed && !sf->stalled && sf->sk != NULL && sf->remote_id != except_id &&
            tcp_sock_synchronized(sf->sk) && (!sf->join || sf->join_ok))
            return true;
    }
    return false;
}

/* The peer's REMOVE_ADDR: our subflows to each ID are reset (RSTs "by both hosts", 3.4.2) and
 * their data goes on the others, unless that would leave the connection without a working
 * subflow: the last one stays (if the address is really gone, TCP's timeouts end it). We do not
 * probe the path with a keepalive first (3.4.2 SHOULD); Linux does not either. */
void mptcp_rmaddr_input(struct mptcp_conn *mc, const struct wire_remove_addr *rm, uint64_t now)
{
    for (unsigned k = 0; k < rm->count; k++) {
        uint8_t id = rm->ids[k];
        mib_inc(mc->mib, MIB_MPTCP_RM_ADDR);
        for (unsigned i = 0; i < mc->nraddr; i++) {
            if (mc->raddr[i].id == id) {
                mc->raddr[i] = mc->raddr[--mc->nraddr];
                break;
            }
        }
        bool spare = mptcp_addr_other_working(mc, id);
        for (unsigned i = 0; i < mc->nsub && spare; i++) {
            struct mptcp_subflow *sf = mc->sub[i];
            if (sf->closed || sf->sk == NULL || sf->sk->state == UMPTCP_STATE_CLOSED ||
                sf->remote_id != id)
                continue;
            mib_inc(mc->mib, MIB_MPTCP_RM_SUBFLOW);
            mptcp_subflow_reset(sf, WIRE_TCPRST_UNSPECIFIED, false, now);
        }
        if (mc->ops->addr_removed != NULL)
            mc->ops->addr_removed(mc, id, now);
    }
}
