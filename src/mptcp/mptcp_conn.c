/* The data level of an MPTCP connection: keys and tokens, the data-level send and receive
 * buffers, DATA_ACK and the shared window, moving bytes between the data level and the
 * subflows, DATA_FIN, and the fallback to TCP. See mptcp_conn.h. */
#include "mptcp/mptcp_conn.h"

#include "crypto/mptcp_crypto.h"
#include "mptcp/mptcp_dsn.h"
#include "tcp/tcp_seq.h"
#include "umptcp/error.h"
#include "wire/tcp.h"

#include <stdlib.h>
#include <string.h>

struct mptcp_conn *mptcp_conn_new(const umptcp_config *cfg, struct mib *mib,
                                  struct mptcp_token_table *tokens,
                                  void (*random)(void *user, uint8_t *buf, size_t n),
                                  void *random_user, bool initiator, bool want_csum,
                                  const struct mptcp_conn_ops *ops, void *owner)
{
    struct mptcp_conn *mc = calloc(1, sizeof(*mc));
    if (mc == NULL)
        return NULL;
    mc->ops = ops;
    mc->owner = owner;
    mc->tokens = tokens;
    mc->cfg = cfg;
    mc->mib = mib;
    mc->initiator = initiator;
    mc->want_csum = want_csum;
    mc->max_subflows = MPTCP_MAX_SUBFLOWS;
    /* RFC 8684 3.1: a key unique among the host's connections (checked by its token). */
    if (mptcp_token_new_key(tokens, random, random_user, mc, &mc->local_key, &mc->local_token) !=
        UMPTCP_OK) {
        free(mc);
        return NULL;
    }
    mc->local_idsn = mptcp_crypto_idsn(mc->local_key);
    mptcp_sched_init(&mc->sched, &mptcp_sched_minrtt_ops);
    /* RFC 8684 3.1: the MP_CAPABLE SYN takes the first octet of the data sequence space. */
    mc->snd_una = mc->snd_nxt = mc->local_idsn + 1;
    mc->snd_right = mc->hol_dsn = mc->snd_una;
    if (tcp_sndbuf_init(&mc->snd, mptcp_dsn_low32(mc->snd_una), cfg->sndbuf) != UMPTCP_OK) {
        mptcp_token_remove(tokens, mc->local_token);
        free(mc);
        return NULL;
    }
    return mc;
}

static void mptcp_subflow_free(struct mptcp_subflow *sf)
{
    mptcp_smap_destroy(&sf->smap);
    mptcp_rmap_destroy(&sf->rmap);
    free(sf); /* the socket belongs to the caller (the stack frees it) */
}

void mptcp_conn_free(struct mptcp_conn *mc)
{
    if (mc == NULL)
        return;
    for (unsigned i = 0; i < mc->nsub; i++)
        mptcp_subflow_free(mc->sub[i]);
    mptcp_token_remove(mc->tokens, mc->local_token);
    mptcp_sched_release(&mc->sched);
    tcp_sndbuf_destroy(&mc->snd);
    tcp_rcvbuf_destroy(&mc->rcv);
    free(mc);
}

unsigned mptcp_conn_live_subflows(const struct mptcp_conn *mc)
{
    unsigned n = 0;
    for (unsigned i = 0; i < mc->nsub; i++)
        n += !mc->sub[i]->closed;
    return n;
}

bool mptcp_conn_subflow_done(const struct mptcp_conn *mc, unsigned i)
{
    if (i == 0 || i >= mc->nsub)
        return false;
    const struct mptcp_subflow *sf = mc->sub[i];
    if (!sf->closed || sf->reinject_pending)
        return false;
    const struct tcp_sock *sk = sf->sk;
    return sk == NULL || (sk->state == UMPTCP_STATE_CLOSED && tcp_rcvbuf_readable(&sk->rcv) == 0);
}

void mptcp_conn_drop_subflow(struct mptcp_conn *mc, unsigned i)
{
    if (i >= mc->nsub)
        return;
    mptcp_subflow_free(mc->sub[i]);
    for (unsigned k = i + 1; k < mc->nsub; k++)
        mc->sub[k - 1] = mc->sub[k];
    mc->sub[--mc->nsub] = NULL;
}

struct mptcp_subflow *mptcp_conn_new_subflow(struct mptcp_conn *mc, bool initial)
{
    if (mptcp_conn_live_subflows(mc) >= mc->max_subflows || mc->nsub >= MPTCP_MAX_SUBFLOWS)
        return NULL;
    struct mptcp_subflow *sf = calloc(1, sizeof(*sf));
    if (sf == NULL)
        return NULL;
    sf->mc = mc;
    sf->initial = initial;
    sf->id = mc->next_sf_id++;
    mptcp_smap_init(&sf->smap, 0);
    mptcp_rmap_init(&sf->rmap, 1, 0); /* data starts at relative SSN 1, after the SYN */
    mc->sub[mc->nsub++] = sf;
    return sf;
}

void mptcp_conn_set_subflow_sock(struct mptcp_subflow *sf, struct tcp_sock *sk)
{
    sf->sk = sk;
}

void mptcp_conn_set_remote_key(struct mptcp_conn *mc, uint64_t key)
{
    if (mc->remote_key_known)
        return;
    mc->remote_key_known = true;
    mc->remote_key = key;
    mptcp_crypto_key_derive(key, &mc->remote_token, &mc->remote_idsn);
    mc->rcv_nxt = mc->remote_idsn + 1;
    mc->rcv_adv = mc->rcv_nxt;
    /* The data level has no auto-tuning of its own: it offers the configured maximum (the
     * ring only grows as data actually waits in it). */
    struct tcp_rcvbuf_config rc = {.capacity = mc->cfg->rcvbuf_max,
                                   .max_capacity = mc->cfg->rcvbuf_max,
                                   .max_intervals = mc->cfg->max_ooo_ranges};
    mc->rcv_ready = tcp_rcvbuf_init(&mc->rcv, mptcp_dsn_low32(mc->rcv_nxt), &rc) == UMPTCP_OK;
}

/* ---- data level: send -------------------------------------------------------------------- */

ssize_t mptcp_conn_write(struct mptcp_conn *mc, const void *buf, size_t n, uint64_t now)
{
    if (mc->closed)
        return mc->error != 0 ? mc->error : UMPTCP_ERR_STATE;
    if (mc->fin_queued)
        return UMPTCP_ERR_STATE;
    if (n == 0)
        return 0;
    ssize_t taken = tcp_sndbuf_write(&mc->snd, buf, n);
    if (taken == 0)
        return UMPTCP_ERR_AGAIN;
    if (taken > 0)
        mptcp_conn_push(mc, now);
    return taken;
}

bool mptcp_conn_usable(const struct mptcp_subflow *sf)
{
    return !sf->closed && !sf->stalled && sf->sk != NULL && tcp_sock_synchronized(sf->sk) &&
           !sf->sk->fin_queued && (!sf->join || sf->join_ok);
}

/* Bytes queued on a subflow but not sent yet: data given to a subflow waits there, so only
 * what its window can take soon is handed over (the scheduler decides per chunk). */
static uint32_t mptcp_conn_unsent(const struct tcp_sock *sk)
{
    return tcp_sock_data_end(sk) - sk->snd_nxt;
}

/* The scheduler's choice for the next chunk of up to want bytes (3.3.8: backup subflows only
 * when no other one is usable), or NULL; never `except` (may be NULL). */
static struct mptcp_subflow *mptcp_conn_pick_except(struct mptcp_conn *mc, size_t want,
                                                    const struct mptcp_subflow *except)
{
    struct mptcp_sched_subflow view[MPTCP_MAX_SUBFLOWS];
    for (unsigned i = 0; i < mc->nsub; i++) {
        const struct mptcp_subflow *sf = mc->sub[i];
        struct mptcp_sched_subflow *v = &view[i];
        memset(v, 0, sizeof(*v));
        v->id = sf->id;
        v->backup = sf->backup || sf->peer_backup;
        v->usable = mptcp_conn_usable(sf);
        v->excluded = sf == except;
        if (!v->usable)
            continue;
        const struct tcp_sock *sk = sf->sk;
        v->srtt_ns = tcp_rtt_srtt(&sk->rtt);
        v->cwnd = sk->cc.st.cwnd;
        v->pipe = tcp_rtx_pipe(&sk->rtx) + mptcp_conn_unsent(sk);
        v->snd_wnd_room = UINT32_MAX; /* the data-level window is checked by the caller */
        v->sndbuf_room = (uint32_t)tcp_sndbuf_free_space(&sk->snd);
        v->mss = sk->mss;
    }
    if (mc->fallback)
        return mptcp_conn_usable(mc->sub[0]) ? mc->sub[0] : NULL;
    int i = mptcp_sched_pick(&mc->sched, view, mc->nsub, want);
    return i == MPTCP_SCHED_NONE ? NULL : mc->sub[i];
}

static struct mptcp_subflow *mptcp_conn_pick(struct mptcp_conn *mc, size_t want)
{
    return mptcp_conn_pick_except(mc, want, NULL);
}

/* How many data-level bytes may go to sf now: unsent data, the peer's data-level window, the
 * subflow's send-buffer room, the DSS length limit; the first chunk on the MP_CAPABLE subflow
 * of an initiator fits one segment, since MP_CAPABLE carries its mapping (3.1). */
static size_t mptcp_conn_chunk_len(const struct mptcp_conn *mc, const struct mptcp_subflow *sf)
{
    uint64_t end = mc->snd_una + tcp_sndbuf_used(&mc->snd);
    uint64_t len = end - mc->snd_nxt;
    if (!mc->fallback) {
        uint64_t room = mptcp_dsn_gt(mc->snd_right, mc->snd_nxt) ? mc->snd_right - mc->snd_nxt : 0;
        /* A closed window with nothing in flight: one byte goes out anyway, for the subflow's
         * persist timer to probe with (RFC 9293 3.8.6.1 at the data level). Else, once the
         * peer's window update is lost (or it never reads again), nothing would ever ask. */
        if (room == 0 && mc->snd_nxt == mc->snd_una)
            room = 1;
        if (len > room)
            len = room;
        if (mc->initiator && sf->initial && mptcp_smap_count(&sf->smap) == 0 &&
            mc->snd_nxt == mc->local_idsn + 1 && len > sf->sk->mss)
            len = sf->sk->mss;
    }
    /* One chunk fits the scratch buffer it is copied through, and one DSS mapping. */
    if (len > MPTCP_MAX_CHUNK)
        len = MPTCP_MAX_CHUNK;
    size_t free_space = tcp_sndbuf_free_space(&sf->sk->snd);
    if (len > free_space)
        len = free_space;
    if (!mc->fallback) {
        /* No more than the subflow's congestion window can send soon. */
        const struct tcp_sock *sk = sf->sk;
        uint32_t busy = tcp_rtx_pipe(&sk->rtx) + mptcp_conn_unsent(sk);
        uint32_t room = sk->cc.st.cwnd > busy ? sk->cc.st.cwnd - busy : 0;
        /* Whole segments only: a chunk is one mapping and no segment crosses a mapping's
         * end, so a remainder here would go out as a small segment of its own. */
        if (sk->mss != 0)
            room -= room % sk->mss;
        if (room < sk->mss)
            room = sk->mss; /* the scheduler chose it: at least one segment */
        if (len > room)
            len = room;
    }
    return (size_t)len;
}

/* Copies [snd_nxt, snd_nxt + len) to the subflow and records its mapping. */
/* Copies the data-level bytes [dsn, dsn + len) to the subflow and records their mapping. */
static int mptcp_conn_place_at(struct mptcp_conn *mc, struct mptcp_subflow *sf, uint64_t dsn,
                               size_t len, uint64_t now)
{
    uint8_t *tmp = (uint8_t *)sf->sk->env->scratch;
    ssize_t got = tcp_sndbuf_copy(&mc->snd, mptcp_dsn_low32(dsn), len, tmp);
    if (got != (ssize_t)len)
        return UMPTCP_ERR_STATE;
    struct tcp_sock *sk = sf->sk;
    uint32_t ssn = tcp_sock_data_end(sk) - sk->iss;
    if (!mc->fallback) {
        uint16_t csum = mc->csum ? mptcp_crypto_dss_csum(dsn, ssn, (uint16_t)len, tmp, len) : 0;
        int rc = mptcp_smap_add(&sf->smap, ssn, dsn, (uint16_t)len, false, csum);
        if (rc != UMPTCP_OK)
            return rc;
    }
    ssize_t w = tcp_sock_write(sk, tmp, len, now);
    if (w != (ssize_t)len)
        return UMPTCP_ERR_STATE; /* cannot happen: room was checked */
    return UMPTCP_OK;
}

/* New data: [snd_nxt, snd_nxt + len). */
static int mptcp_conn_place(struct mptcp_conn *mc, struct mptcp_subflow *sf, size_t len,
                            uint64_t now)
{
    int rc = mptcp_conn_place_at(mc, sf, mc->snd_nxt, len, now);
    if (rc == UMPTCP_OK && mc->snd_nxt == mc->snd_una)
        mc->rtx_stamp = now; /* the data-level timer starts with the first byte out */
    if (rc == UMPTCP_OK)
        mc->snd_nxt += len;
    return rc;
}

/* RFC 8684 3.3.6: a subflow that failed (closed with an error) or stalled (two RTOs in a row)
 * keeps what it was given; everything of it not yet DATA_ACKed goes again on another one. The
 * receiver drops the copies it already has. Its mappings are walked from the oldest (there is
 * no bound on how many ranges this is: the subflow's mapping list is the queue). */
static void mptcp_conn_reinject_from(struct mptcp_conn *mc, struct mptcp_subflow *sf)
{
    sf->stalled = true;
    const struct mptcp_smap_entry *first = mptcp_smap_at(&sf->smap, 0);
    if (first == NULL)
        return;
    sf->reinject_pending = true;
    sf->reinject_ssn = first->ssn;
    (void)mc;
}

static void mptcp_conn_reap_stalled(struct mptcp_conn *mc, uint64_t now);

/* Notices stalled subflows, and ones that work again (their own retransmissions deliver what
 * they hold: reinjecting more of it would only duplicate). */
static void mptcp_conn_check_stalls(struct mptcp_conn *mc, uint64_t now)
{
    if (mc->fallback || mc->nsub < 2)
        return;
    for (unsigned i = 0; i < mc->nsub; i++) {
        struct mptcp_subflow *sf = mc->sub[i];
        /* A socket just reset is CLOSED before its subflow is marked closed: its retries are
         * 0, yet its reinjection must go on. */
        if (sf->sk == NULL || sf->closed || sf->sk->state == UMPTCP_STATE_CLOSED)
            continue;
        if (!sf->stalled && sf->sk->retries >= 2) {
            mptcp_conn_reinject_from(mc, sf);
        } else if (sf->stalled && sf->sk->retries == 0) {
            sf->stalled = false;
            sf->reinject_pending = false;
        }
    }
    mptcp_conn_reap_stalled(mc, now); /* one that stalled after both DATA_FINs went through */
}

/* Sends again, on whatever subflow the scheduler picks, the part of mapping e of `from` at
 * and after from->reinject_ssn that is not DATA_ACKed. Returns false when no subflow could take
 * all of it now (the cursor marks where to go on). */
static bool mptcp_conn_reinject_entry(struct mptcp_conn *mc, struct mptcp_subflow *from,
                                      const struct mptcp_smap_entry *e, uint64_t now)
{
    uint32_t end_ssn = e->ssn + e->len;
    if (!tcp_seq_lt(from->reinject_ssn, end_ssn))
        return true; /* done before */
    uint32_t off = tcp_seq_gt(from->reinject_ssn, e->ssn) ? from->reinject_ssn - e->ssn : 0;
    bool started = off > 0;
    for (unsigned guard = 0; guard < 64 && off < e->len; guard++) {
        uint64_t dsn = e->dsn + off;
        if (mptcp_dsn_lt(dsn, mc->snd_una)) { /* DATA_ACKed meanwhile */
            uint64_t skip = mc->snd_una - dsn;
            off = skip >= e->len - off ? e->len : off + (uint32_t)skip;
            from->reinject_ssn = e->ssn + off;
            continue;
        }
        size_t len = e->len - off;
        struct mptcp_subflow *sf = mptcp_conn_pick(mc, len);
        if (sf == NULL)
            return false;
        size_t room = tcp_sndbuf_free_space(&sf->sk->snd);
        size_t n = len < room ? len : room;
        if (n == 0 || mptcp_conn_place_at(mc, sf, dsn, n, now) != UMPTCP_OK)
            return false;
        if (!started)
            mib_inc(mc->mib, MIB_MPTCP_REINJECT); /* one more range sent again */
        started = true;
        off += (uint32_t)n;
        from->reinject_ssn = e->ssn + off;
    }
    return off >= e->len;
}

/* Reinjection goes first: every subflow with mappings left to send again. */
static void mptcp_conn_push_reinject(struct mptcp_conn *mc, uint64_t now)
{
    for (unsigned i = 0; i < mc->nsub; i++) {
        struct mptcp_subflow *from = mc->sub[i];
        if (!from->reinject_pending)
            continue;
        size_t count = mptcp_smap_count(&from->smap);
        for (size_t k = 0; k < count; k++)
            if (!mptcp_conn_reinject_entry(mc, from, mptcp_smap_at(&from->smap, k), now))
                return;
        from->reinject_pending = false;
    }
}

/* RFC 8684 3.3.3: once every byte is mapped, the DATA_FIN takes the next DSN; it rides on the
 * subflows' FIN segments (retransmitted by TCP until acknowledged). The subflows are shut down
 * only once every byte is DATA_ACKed: until then one of them may still fail, and what it held
 * must go again on another (3.3.6), which a subflow that sent its FIN can no longer carry. */
static void mptcp_conn_push_fin(struct mptcp_conn *mc, uint64_t now)
{
    uint64_t end = mc->snd_una + tcp_sndbuf_used(&mc->snd);
    if (!mc->fin_queued || mc->snd_nxt != end)
        return;
    if (!mc->fin_mapped) {
        mc->fin_mapped = true;
        mc->fin_dsn = end;
    }
    if (!mc->fallback && mc->snd_una != mc->fin_dsn)
        return;
    for (unsigned i = 0; i < mc->nsub; i++) {
        struct mptcp_subflow *sf = mc->sub[i];
        if (sf->sk == NULL || sf->closed || sf->sk->fin_queued || !tcp_sock_synchronized(sf->sk))
            continue;
        if (mc->fallback || sf->sk->snd_nxt == tcp_sock_data_end(sf->sk))
            tcp_sock_shutdown(sf->sk, now);
    }
}

/* The subflow holding a mapping (not yet acknowledged on it) that covers data-level byte dsn,
 * with that mapping in *entry; NULL when none does. */
size_t mptcp_conn_resend(struct mptcp_conn *mc, uint64_t dsn, size_t len,
                         const struct mptcp_subflow *except, uint64_t now)
{
    struct mptcp_subflow *sf = mptcp_conn_pick_except(mc, len, except);
    if (sf == NULL)
        sf = mptcp_conn_pick_except(mc, len, NULL);
    if (sf == NULL)
        return 0;
    size_t room = tcp_sndbuf_free_space(&sf->sk->snd);
    if (len > room)
        len = room;
    if (len == 0 || mptcp_conn_place_at(mc, sf, dsn, len, now) != UMPTCP_OK)
        return 0;
    return len;
}

static struct mptcp_subflow *mptcp_conn_holder(struct mptcp_conn *mc, uint64_t dsn,
                                               const struct mptcp_smap_entry **entry)
{
    for (unsigned i = 0; i < mc->nsub; i++) {
        struct mptcp_subflow *sf = mc->sub[i];
        if (sf->closed || sf->sk == NULL)
            continue;
        uint32_t una = sf->sk->snd_una - sf->sk->iss;
        for (size_t k = 0; k < mptcp_smap_count(&sf->smap); k++) {
            const struct mptcp_smap_entry *e = mptcp_smap_at(&sf->smap, k);
            /* Mappings stay until DATA_ACKed (release_maps): skip those acked on the subflow. */
            if (tcp_seq_geq(una, e->ssn + e->len))
                continue;
            if (mptcp_dsn_geq(dsn, e->dsn) && mptcp_dsn_lt(dsn, e->dsn + e->len)) {
                *entry = e;
                return sf;
            }
        }
    }
    return NULL;
}

/* Is new data held back by the connection itself rather than by the subflows: the peer's
 * data-level window has no room for a segment, or every byte of a full send buffer went out? */
static bool mptcp_conn_hol_blocked(const struct mptcp_conn *mc, uint32_t mss)
{
    uint64_t end = mc->snd_una + tcp_sndbuf_used(&mc->snd);
    if (mc->snd_nxt == end)
        return tcp_sndbuf_free_space(&mc->snd) == 0;
    uint64_t room = mptcp_dsn_gt(mc->snd_right, mc->snd_nxt) ? mc->snd_right - mc->snd_nxt : 0;
    return room < mss;
}

/* The holder of the head of line keeps too much in flight for its path: its congestion window
 * is cut as for a congestion signal without loss (the CC sets ssthresh, cwnd follows at once),
 * at most once per its RTT and never during its own loss recovery (PRR drives cwnd then). */
static void mptcp_conn_penalize(struct mptcp_subflow *sf, uint64_t now)
{
    struct tcp_sock *sk = sf->sk;
    uint64_t srtt = tcp_rtt_srtt(&sk->rtt);
    if ((sf->penalized_at != 0 && now - sf->penalized_at < srtt) || tcp_rtx_in_recovery(&sk->rtx))
        return;
    uint32_t flight = tcp_rtx_pipe(&sk->rtx);
    struct cc_loss_event loss = {.now = now, .kind = CC_LOSS_ECN, .bytes_in_flight = flight};
    cc_on_loss(&sk->cc, &loss);
    struct cc_exit_event done = {.now = now, .bytes_in_flight = flight};
    cc_on_recovery_exit(&sk->cc, &done);
    sf->penalized_at = now;
}

/* Opportunistic reinjection, a local policy RFC 8684 3.3.6 leaves open (Raiciu et al., "How
 * Hard Can It Be? Designing and Implementing a Deployable Multipath TCP", NSDI 2012): when
 * new data is held back by the connection (window or send buffer) while its oldest
 * un-DATA_ACKed bytes sit on a slower subflow (a long queue, a loss being repaired), a faster
 * subflow with room sends that mapping again, once per head of line. The data level then
 * moves at the pace of the fast path instead of waiting for the slow one, and the slow
 * subflow's window is cut (penalisation, same paper) so that it stops filling its queue. */
static void mptcp_conn_push_hol(struct mptcp_conn *mc, uint64_t now)
{
    if (mc->fallback || mc->nsub < 2 || !mptcp_dsn_gt(mc->snd_nxt, mc->snd_una) ||
        mptcp_dsn_lt(mc->snd_una, mc->hol_dsn))
        return;
    const struct mptcp_smap_entry *e = NULL;
    struct mptcp_subflow *holder = mptcp_conn_holder(mc, mc->snd_una, &e);
    if (holder == NULL)
        return; /* acknowledged on its subflow: the DATA_ACK is on its way */
    uint64_t len = e->dsn + e->len - mc->snd_una;
    struct mptcp_subflow *sf = mptcp_conn_pick_except(mc, (size_t)len, holder);
    if (sf == NULL || !mptcp_conn_hol_blocked(mc, sf->sk->mss) ||
        tcp_rtt_srtt(&sf->sk->rtt) >= tcp_rtt_srtt(&holder->sk->rtt))
        return;
    const struct tcp_sock *sk = sf->sk;
    uint32_t busy = tcp_rtx_pipe(&sk->rtx) + mptcp_conn_unsent(sk);
    uint32_t room = sk->cc.st.cwnd > busy ? sk->cc.st.cwnd - busy : 0;
    size_t free_space = tcp_sndbuf_free_space(&sk->snd);
    if (len > room)
        len = room;
    if (len > free_space)
        len = free_space;
    if (len == 0 || mptcp_conn_place_at(mc, sf, mc->snd_una, (size_t)len, now) != UMPTCP_OK)
        return;
    mc->hol_dsn = mc->snd_una + len;
    mib_inc(mc->mib, MIB_MPTCP_REINJECT);
    mptcp_conn_penalize(holder, now);
}

void mptcp_conn_push(struct mptcp_conn *mc, uint64_t now)
{
    mptcp_conn_check_stalls(mc, now);
    mptcp_conn_push_reinject(mc, now);
    for (unsigned guard = 0; guard < 1024; guard++) {
        uint64_t end = mc->snd_una + tcp_sndbuf_used(&mc->snd);
        if (mc->snd_nxt == end)
            break;
        struct mptcp_subflow *sf = mptcp_conn_pick(mc, (size_t)(end - mc->snd_nxt));
        if (sf == NULL)
            break;
        size_t len = mptcp_conn_chunk_len(mc, sf);
        if (len == 0 || mptcp_conn_place(mc, sf, len, now) != UMPTCP_OK)
            break;
    }
    mptcp_conn_push_hol(mc, now);
    mptcp_conn_push_fin(mc, now);
}

/* Frees a subflow's mappings once their bytes are acknowledged at subflow level AND at data
 * level: until DATA_ACKed, the data may have to go again on another subflow when this one
 * fails (3.3.6; 3.7: a reset subflow's receiver drops what it had not moved up). */
static void mptcp_conn_release_maps(struct mptcp_conn *mc, struct mptcp_subflow *sf)
{
    if (sf->sk == NULL)
        return;
    uint32_t una = sf->sk->snd_una - sf->sk->iss;
    for (size_t guard = mptcp_smap_count(&sf->smap); guard > 0; guard--) {
        const struct mptcp_smap_entry *e = mptcp_smap_at(&sf->smap, 0);
        uint32_t end = e->ssn + e->len;
        if (!tcp_seq_geq(una, end) || mptcp_dsn_gt(e->dsn + e->len, mc->snd_una))
            break;
        mptcp_smap_ack(&sf->smap, end);
    }
}

/* Frees data-level bytes below una (a DATA_ACK, or subflow ACKs in fallback). */
static void mptcp_conn_advance_una(struct mptcp_conn *mc, uint64_t una, uint64_t now)
{
    uint64_t end = mc->snd_una + tcp_sndbuf_used(&mc->snd);
    uint64_t data_una = mptcp_dsn_gt(una, end) ? end : una;
    if (mptcp_dsn_gt(data_una, mc->snd_una)) {
        tcp_sndbuf_ack(&mc->snd, mptcp_dsn_low32(data_una));
        mc->snd_una = data_una;
        mc->rtx_stamp = now; /* the data-level timer (mptcp_rtx.c) restarts */
        mc->rtx_backoff = 0;
        for (unsigned i = 0; i < mc->nsub; i++)
            mptcp_conn_release_maps(mc, mc->sub[i]);
        if (mc->ops->writable != NULL)
            mc->ops->writable(mc, now);
    }
    if (mc->fin_mapped && mptcp_dsn_gt(una, mc->fin_dsn) && !mc->fin_acked) {
        mc->fin_acked = true;
        mptcp_conn_reap_stalled(mc, now);
    }
}

void mptcp_conn_data_ack(struct mptcp_conn *mc, uint64_t data_ack, uint32_t wnd, uint64_t now)
{
    /* RFC 8684 3.3.2: a DATA_ACK for data never sent is ignored. */
    uint64_t limit = mc->fin_mapped ? mc->fin_dsn + 1 : mc->snd_nxt;
    if (mptcp_dsn_gt(data_ack, limit) || mptcp_dsn_lt(data_ack, mc->snd_una))
        return;
    mptcp_conn_advance_una(mc, data_ack, now);
    /* RFC 8684 3.3.4-3.3.5: the window is relative to the DATA_ACK; the right edge never
     * moves left (a shrinking window is ignored at the data level). */
    uint64_t right = data_ack + wnd;
    if (mptcp_dsn_gt(right, mc->snd_right))
        mc->snd_right = right;
    mptcp_conn_push(mc, now);
}

/* In fallback the subflow's cumulative ACK gives the data-level one (3.7: "only use subflow
 * ACKs to clear its send buffer"), through the send base (mptcp_fail.h). */
static void mptcp_conn_fallback_acked(struct mptcp_conn *mc, struct mptcp_subflow *sf, uint64_t now)
{
    uint64_t una;
    if (mptcp_fail_tx_una(mc, sf, &una))
        mptcp_conn_advance_una(mc, una, now);
}

/* ---- data level: receive ----------------------------------------------------------------- */

size_t mptcp_conn_rcv_window(const struct mptcp_conn *mc)
{
    return mc->rcv_ready ? tcp_rcvbuf_window(&mc->rcv) : mc->cfg->rcvbuf;
}

void mptcp_conn_window_sent(struct mptcp_conn *mc, uint32_t win)
{
    /* RFC 8684 3.3.4: the window is relative to the DATA_ACK that every segment carries. */
    uint64_t edge = mc->rcv_nxt + win;
    if (mptcp_dsn_gt(edge, mc->rcv_adv))
        mc->rcv_adv = edge;
}

/* Receiver-side silly window avoidance at the data level (RFC 9293 3.8.6.2.2 over the DSN
 * space): after a read, is the shared window worth announcing? Each subflow judges its own
 * announcements in its own sequence space, where data arriving on the others does not show:
 * a window the peer saw closed could stay closed until its persist timer fired. */
static bool mptcp_conn_window_update_due(const struct mptcp_conn *mc, uint32_t mss)
{
    uint64_t edge = mc->rcv_nxt + mptcp_conn_rcv_window(mc);
    if (!mptcp_dsn_gt(edge, mc->rcv_adv))
        return false;
    return tcp_window_update_worth(edge - mc->rcv_adv, mc->rcv_adv - mc->rcv_nxt,
                                   tcp_rcvbuf_capacity(&mc->rcv), mss);
}

/* Announces the window on one subflow (the lowest RTT among those open) when due. */
static void mptcp_conn_window_update(struct mptcp_conn *mc, uint64_t now)
{
    struct tcp_sock *best = NULL;
    for (unsigned i = 0; i < mc->nsub; i++) {
        struct tcp_sock *sk = mc->sub[i]->sk;
        if (sk == NULL || mc->sub[i]->closed || !tcp_sock_synchronized(sk) ||
            (mc->sub[i]->join && !mc->sub[i]->join_ok))
            continue;
        if (best == NULL || tcp_rtt_srtt(&sk->rtt) < tcp_rtt_srtt(&best->rtt))
            best = sk;
    }
    if (best == NULL || !mptcp_conn_window_update_due(mc, best->mss))
        return;
    best->ack_now = true;
    tcp_output(best, now);
}

uint64_t mptcp_conn_data_ack_value(const struct mptcp_conn *mc)
{
    return mc->rcv_nxt + (mc->peer_fin ? 1u : 0u);
}

/* Both DATA_FINs are through: a stalled subflow has nothing left to do; reset it rather than
 * let it retry for minutes (the connection closes when every subflow has). */
static void mptcp_conn_reap_stalled(struct mptcp_conn *mc, uint64_t now)
{
    if (!mc->fin_acked || !mc->peer_fin)
        return;
    for (unsigned i = 0; i < mc->nsub; i++) {
        struct mptcp_subflow *sf = mc->sub[i];
        if (sf->stalled && !sf->closed && sf->sk != NULL && sf->sk->state != UMPTCP_STATE_CLOSED) {
            tcp_send_control(sf->sk, WIRE_TCP_RST, sf->sk->snd_nxt, now);
            tcp_sock_set_closed(sf->sk, TCP_CLOSE_ABORTED, now);
        }
    }
}

static void mptcp_conn_check_peer_fin(struct mptcp_conn *mc, uint64_t now)
{
    if (mc->peer_fin || !mc->peer_fin_seen || mc->rcv_nxt != mc->peer_fin_dsn)
        return;
    mc->peer_fin = true;
    /* 3.3.3: the DATA_FIN is acknowledged by a DATA_ACK at once, as TCP does a FIN, even when
     * it came on a segment TCP would not answer (Linux sends it on a pure ACK). The subflow
     * whose segment completed the stream sends at the end of its input; the others carry the
     * DATA_ACK on their next segment. */
    for (unsigned i = 0; i < mc->nsub; i++) {
        struct tcp_sock *sk = mc->sub[i]->sk;
        if (sk != NULL && !mc->sub[i]->closed && tcp_sock_synchronized(sk))
            sk->ack_now = true;
    }
    if (mc->ops->peer_closed != NULL && !mc->in_read)
        mc->ops->peer_closed(mc, now);
    mptcp_conn_reap_stalled(mc, now);
}

void mptcp_conn_peer_data_fin(struct mptcp_conn *mc, uint64_t dsn, uint64_t now)
{
    if (!mc->peer_fin_seen) {
        mc->peer_fin_seen = true;
        mc->peer_fin_dsn = dsn;
    }
    mptcp_conn_check_peer_fin(mc, now);
}

/* Inserts bytes at a DSN into the data-level reassembly; returns the bytes now in order, and
 * in *all_kept whether every byte is held (stored, or a duplicate of what is). */
static size_t mptcp_conn_insert(struct mptcp_conn *mc, uint64_t dsn, const uint8_t *data,
                                size_t len, bool *all_kept)
{
    struct tcp_rcvbuf_insert_result r;
    *all_kept = false;
    if (tcp_rcvbuf_insert(&mc->rcv, mptcp_dsn_low32(dsn), data, len, &r) != UMPTCP_OK)
        return 0;
    mc->rcv_nxt += r.in_order;
    *all_kept = r.dropped == 0;
    return r.in_order;
}

/* MPTCP: subflow bytes go up through the mappings the peer declared (3.3.1). */
static size_t mptcp_conn_pull_mapped(struct mptcp_conn *mc, struct mptcp_subflow *sf, uint64_t now)
{
    struct tcp_sock *sk = sf->sk;
    size_t moved = 0;
    for (unsigned guard = 0; guard < 4096; guard++) {
        struct tcp_rcvbuf_span spans[2];
        if (tcp_rcvbuf_peek(&sk->rcv, spans) == 0)
            break;
        int nspans = tcp_rcvbuf_peek(&sk->rcv, spans);
        uint32_t ssn = mptcp_rmap_consumed(&sf->rmap);
        if (mc->csum) {
            /* A checksummed mapping is verified whole: feed every readable byte, both spans
             * of the ring (bytes fed before are skipped). */
            mptcp_rmap_csum_feed(&sf->rmap, ssn, spans[0].data, spans[0].len);
            if (nspans == 2)
                mptcp_rmap_csum_feed(&sf->rmap, ssn + (uint32_t)spans[0].len, spans[1].data,
                                     spans[1].len);
        }
        struct mptcp_rmap_chunk c;
        if (mptcp_rmap_lookup(&sf->rmap, ssn, spans[0].len, &c) != UMPTCP_OK)
            break; /* no mapping yet: the bytes wait */
        if (c.csum == MPTCP_RMAP_CSUM_PENDING)
            break;
        if (c.csum == MPTCP_RMAP_CSUM_FAIL) {
            mptcp_fail_csum(mc, sf, &c, now); /* MP_FAIL, or a reset (3.7) */
            break;
        }
        /* Never move more than the data level can hold: bytes beyond its right edge stay in
         * the subflow (the other subflows fill the gap first). */
        uint64_t right = mc->rcv_nxt + tcp_rcvbuf_window(&mc->rcv);
        if (mptcp_dsn_geq(c.dsn, right))
            break;
        if (mptcp_dsn_gt(c.dsn + c.len, right))
            c.len = (size_t)(right - c.dsn);
        /* Old data (below rcv_nxt) is a duplicate across subflows: the buffer trims it. The
         * subflow acknowledged these bytes and the peer will not send them again, so bytes
         * the data level cannot hold now (its out-of-order range limit, memory) must not be
         * dropped: they stay in the subflow until the gap before them fills (pull_all). */
        bool kept;
        mptcp_conn_insert(mc, c.dsn, spans[0].data, c.len, &kept);
        if (!kept)
            break;
        mptcp_rmap_consume(&sf->rmap, c.len);
        tcp_rcvbuf_consume(&sk->rcv, c.len);
        moved += c.len;
    }
    return moved;
}

/* Bytes left in subflows (beyond the data-level window, or held back by the out-of-order
 * limit) can go up once the data level moved on: pulls every subflow until none moves a byte
 * (each pass either advances or ends; bounded). */
static size_t mptcp_conn_pull_all(struct mptcp_conn *mc, uint64_t now)
{
    size_t moved = 0;
    if (mc->fallback) /* one subflow, through the receive base (mptcp_fail.h) */
        return mc->nsub > 0 && mc->sub[0]->sk != NULL ? mptcp_fail_pull(mc, mc->sub[0]) : 0;
    for (unsigned pass = 0; pass < MPTCP_MAX_SUBFLOWS + 1; pass++) {
        size_t now_moved = 0;
        for (unsigned i = 0; i < mc->nsub; i++)
            if (mc->sub[i]->sk != NULL && tcp_rcvbuf_readable(&mc->sub[i]->sk->rcv) > 0)
                now_moved += mptcp_conn_pull_mapped(mc, mc->sub[i], now);
        moved += now_moved;
        if (now_moved == 0)
            break;
    }
    return moved;
}

void mptcp_conn_pull(struct mptcp_conn *mc, struct mptcp_subflow *sf, uint64_t now)
{
    if (!mc->rcv_ready || sf->sk == NULL)
        return;
    uint64_t before = mc->rcv_nxt;
    size_t moved = mc->fallback ? mptcp_fail_pull(mc, sf) : mptcp_conn_pull_mapped(mc, sf, now);
    if (!mc->fallback && mc->rcv_nxt != before)
        moved += mptcp_conn_pull_all(mc, now);
    mptcp_conn_check_peer_fin(mc, now);
    if (moved > 0 && mc->ops->readable != NULL)
        mc->ops->readable(mc, now);
}

size_t mptcp_conn_readable(const struct mptcp_conn *mc)
{
    return mc->rcv_ready ? tcp_rcvbuf_readable(&mc->rcv) : 0;
}

ssize_t mptcp_conn_read(struct mptcp_conn *mc, void *buf, size_t n, uint64_t now)
{
    if (mc->closed && mc->error != 0 && mc->error != UMPTCP_ERR_ABORTED)
        return mc->error;
    /* Bytes subflows hold beyond the data level's right edge go up as reads move it, here
     * without any event: the application is inside a read (an event now would re-enter it
     * and, with one read buffer, overwrite what this read returns); it reads until
     * UMPTCP_ERR_AGAIN and finds them. */
    mc->in_read = true;
    if (mc->rcv_ready && mptcp_conn_pull_all(mc, now) > 0)
        mptcp_conn_check_peer_fin(mc, now);
    size_t got = mc->rcv_ready ? tcp_rcvbuf_read(&mc->rcv, buf, n) : 0;
    if (got > 0 && mptcp_conn_pull_all(mc, now) > 0)
        mptcp_conn_check_peer_fin(mc, now);
    mc->in_read = false;
    if (got > 0) {
        /* The shared window opened: tell the peer through a subflow ACK when worth it. */
        for (unsigned i = 0; i < mc->nsub; i++)
            if (mc->sub[i]->sk != NULL && !mc->sub[i]->closed)
                tcp_output(mc->sub[i]->sk, now);
        mptcp_conn_window_update(mc, now);
        return (ssize_t)got;
    }
    if (n == 0 || mc->peer_fin || mc->closed)
        return 0;
    return UMPTCP_ERR_AGAIN;
}

int mptcp_conn_shutdown(struct mptcp_conn *mc, uint64_t now)
{
    if (mc->closed)
        return mc->error != 0 ? mc->error : UMPTCP_ERR_STATE;
    mc->fin_queued = true;
    mptcp_conn_push(mc, now);
    return UMPTCP_OK;
}

void mptcp_conn_abort(struct mptcp_conn *mc, uint64_t now)
{
    /* RFC 8684 3.5 option R: a RST with MP_FASTCLOSE on every subflow. */
    if (!mc->fallback && mc->remote_key_known) {
        mc->fastclose = true;
        mib_inc(mc->mib, MIB_MPTCP_FASTCLOSE_TX);
    }
    for (unsigned i = 0; i < mc->nsub; i++)
        if (mc->sub[i]->sk != NULL && !mc->sub[i]->closed)
            tcp_sock_abort(mc->sub[i]->sk, now);
    mc->closed = true;
    mc->error = UMPTCP_ERR_ABORTED;
}

bool mptcp_conn_is_closed(const struct mptcp_conn *mc)
{
    return mc->closed;
}

void mptcp_conn_check_closed(struct mptcp_conn *mc, uint64_t now)
{
    if (mc->closed)
        return;
    int reason = 0;
    for (unsigned i = 0; i < mc->nsub; i++) {
        if (!mc->sub[i]->closed)
            return;
        if (reason == 0 && mc->sub[i]->sk != NULL)
            reason = mc->sub[i]->sk->error;
    }
    /* Every subflow is gone. The stream ended in order when both DATA_FINs were exchanged
     * (3.3.3), whatever happened to single subflows on the way; otherwise it failed. */
    if (!mc->fallback)
        reason = mc->fin_acked && mc->peer_fin ? 0 : (reason != 0 ? reason : UMPTCP_ERR_RESET);
    mc->closed = true;
    mc->error = reason;
    if (mc->ops->closed != NULL)
        mc->ops->closed(mc, reason, now);
}

/* Called by the subflow glue when a subflow's ACK freed send buffer or advanced. */
void mptcp_conn_subflow_acked(struct mptcp_conn *mc, struct mptcp_subflow *sf, uint64_t now)
{
    if (sf->sk == NULL)
        return;
    mptcp_conn_release_maps(mc, sf);
    if (mc->fallback)
        mptcp_conn_fallback_acked(mc, sf, now);
    mptcp_conn_push(mc, now);
}

struct mptcp_subflow *mptcp_conn_new_join_subflow(struct mptcp_conn *mc, uint8_t local_id,
                                                  uint32_t local_nonce, bool backup)
{
    struct mptcp_subflow *sf = mptcp_conn_new_subflow(mc, false);
    if (sf == NULL)
        return NULL;
    sf->join = true;
    sf->local_id = local_id;
    sf->local_nonce = local_nonce;
    sf->backup = backup;
    return sf;
}

bool mptcp_conn_join_ready(const struct mptcp_conn *mc)
{
    /* Queued data may still use a new subflow; once the DATA_FIN is mapped nothing will. */
    return !mc->fallback && !mc->closed && mc->remote_key_known && mc->peer_sent_dss &&
           !mc->fin_mapped;
}

bool mptcp_conn_join_ready_passive(const struct mptcp_conn *mc)
{
    /* Nor do we take new subflows once our DATA_FIN is mapped (as Linux refuses joins once
     * its connection left ESTABLISHED): the subflows open then were shut down by it, and one
     * joining later would stay open with nothing to send, without a timer. */
    return !mc->fallback && !mc->closed && mc->remote_key_known && !mc->fin_mapped;
}

void mptcp_conn_subflow_failed(struct mptcp_conn *mc, struct mptcp_subflow *sf, uint64_t now)
{
    if (!sf->stalled && mc->nsub > 1)
        mptcp_conn_reinject_from(mc, sf);
    mptcp_conn_push(mc, now);
}

void mptcp_conn_fastclosed(struct mptcp_conn *mc, uint64_t now)
{
    /* 3.5: the peer dropped the connection: every subflow is reset, the application hears a
     * reset. */
    if (mc->closed)
        return;
    mib_inc(mc->mib, MIB_MPTCP_FASTCLOSE_RX);
    for (unsigned i = 0; i < mc->nsub; i++) {
        struct tcp_sock *sk = mc->sub[i]->sk;
        if (sk == NULL || mc->sub[i]->closed || sk->state == UMPTCP_STATE_CLOSED)
            continue;
        if (tcp_sock_synchronized(sk))
            tcp_send_control(sk, WIRE_TCP_RST, sk->snd_nxt, now);
        mc->sub[i]->stalled = true; /* nothing to reinject: the connection is gone */
        tcp_sock_set_closed(sk, TCP_CLOSE_RESET, now);
    }
}

int mptcp_conn_set_sched(struct mptcp_conn *mc, const struct mptcp_sched_ops *ops)
{
    if (mptcp_sched_ops_validate(ops) != UMPTCP_OK)
        return UMPTCP_ERR_INVAL;
    mptcp_sched_release(&mc->sched);
    return mptcp_sched_init(&mc->sched, ops);
}
