/* The applications at both ends of a scenario flow: the server listens and accepts, the
 * client connects at the flow's start; each side writes its stream (deterministic content
 * from the seed) as fast as its send buffer takes it, reads what arrives, checks every byte
 * against what was sent at that offset, and hashes both (SHA-256). A sized flow shuts down
 * once written and closes once the peer's end of stream was read; a bulk flow sends until the
 * scenario ends. Only the public API of umptcp is used, as an application would. */
#include "scenario/scenario_internal.h"

#include "sim/sim_stack.h"
#include "umptcp/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bounds the read/write loops of one event (each pass moves at least one byte or stops). */
#define SCN_MAX_LOOP 100000

/* ---- deterministic content ------------------------------------------------------------- */

/* Word k of the stream seeded with seed: a multiply and an xor-shift of k, both bijective,
 * so no two words of a stream are equal and a byte delivered at the wrong offset shows. Cheap
 * on purpose: a 2 Gbit/s run generates and checks tens of gigabytes. */
static uint64_t scn_content_word(uint64_t seed, uint64_t k)
{
    uint64_t z = (k + seed * 0xd1342543de82ef95ull) * 0x9e3779b97f4a7c15ull;
    return z ^ (z >> 29);
}

/* Byte i of word k is bits 8i..8i+7: little-endian order, so on such hosts a whole word is
 * stored at once. */
static void scn_content_store(uint8_t *dst, uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(dst, &w, 8);
#else
    for (unsigned j = 0; j < 8; j++)
        dst[j] = (uint8_t)(w >> (8 * j));
#endif
}

void scn_content(uint64_t seed, uint64_t off, uint8_t *buf, size_t len)
{
    size_t i = 0;
    for (; i < len && (off + i) % 8 != 0; i++) /* up to the next word boundary */
        buf[i] = (uint8_t)(scn_content_word(seed, (off + i) / 8) >> (8 * ((off + i) % 8)));
    for (; len - i >= 8; i += 8)
        scn_content_store(buf + i, scn_content_word(seed, (off + i) / 8));
    for (; i < len; i++)
        buf[i] = (uint8_t)(scn_content_word(seed, (off + i) / 8) >> (8 * ((off + i) % 8)));
}

/* ---- per-flow errors --------------------------------------------------------------------- */

static struct scn_flow_result *scn_fr_result(const struct scn_flowrun *fr)
{
    return &fr->run->r->flow[fr->idx];
}

static void scn_flow_error(struct scn_flowrun *fr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Keeps the flow's first error; the run goes on (other flows are not affected). */
static void scn_flow_error(struct scn_flowrun *fr, const char *fmt, ...)
{
    struct scn_flow_result *res = scn_fr_result(fr);
    if (res->error[0] != '\0')
        return;
    int n = snprintf(res->error, sizeof(res->error),
                     "t=%.3f s: ", (double)sim_world_now(fr->run->w) / 1e9);
    if (n <= 0 || (size_t)n >= sizeof(res->error))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->error + n, sizeof(res->error) - (size_t)n, fmt, ap);
    va_end(ap);
}

static const char *scn_ep_name(const struct scn_ep *ep)
{
    return ep->is_server ? "server" : "client";
}

/* ---- snapshots of the connection ----------------------------------------------------------- */

static bool scn_sockaddr_equal(const umptcp_sockaddr *a, const umptcp_sockaddr *b)
{
    return a->port == b->port && umptcp_addr_equal(&a->addr, &b->addr);
}

/* The server's view of the subflow in slot k (the client's subflow at index `index` now):
 * the subflow with the mirrored 4-tuple or, when a NAT rewrote the client's end, the server's
 * subflow at the same index with the same server end (both sides number subflows in the order
 * their handshakes began, and free closed ones alike). */
static void scn_flow_match_server(struct scn_flowrun *fr, size_t k, unsigned index)
{
    umptcp_mptcp_info mi;
    if (umptcp_conn_get_mptcp_info(fr->server.conn, &mi) != UMPTCP_OK)
        return;
    const umptcp_conn_info *ci = &fr->sub[k].client.tcp;
    umptcp_subflow_info si;
    for (unsigned j = 0; j < mi.subflows; j++) {
        if (umptcp_conn_get_subflow_info(fr->server.conn, j, &si) == UMPTCP_OK &&
            scn_sockaddr_equal(&si.tcp.local, &ci->remote) &&
            scn_sockaddr_equal(&si.tcp.remote, &ci->local)) {
            fr->sub[k].server = si;
            fr->sub[k].have_server = true;
            return;
        }
    }
    if (index < mi.subflows &&
        umptcp_conn_get_subflow_info(fr->server.conn, index, &si) == UMPTCP_OK &&
        scn_sockaddr_equal(&si.tcp.local, &ci->remote)) {
        fr->sub[k].server = si;
        fr->sub[k].have_server = true;
    }
}

/* The slot of the client's subflow `id`: the one it had, or the next free one (ids grow, so
 * slots stay in the order the subflows were opened); SCN_MAX_SUBFLOWS when all are taken. */
static size_t scn_flow_slot(struct scn_flowrun *fr, uint32_t id)
{
    for (size_t k = 0; k < fr->nsub; k++)
        if (fr->sub[k].client.id == id)
            return k;
    if (id + 1 > fr->next_sub_id)
        fr->next_sub_id = id + 1;
    return fr->nsub < SCN_MAX_SUBFLOWS ? fr->nsub++ : SCN_MAX_SUBFLOWS;
}

void scn_flow_refresh(struct scn_flowrun *fr)
{
    umptcp_conn *c = fr->client.conn;
    if (c == NULL || umptcp_conn_get_mptcp_info(c, &fr->mptcp) != UMPTCP_OK)
        return;
    fr->have_mptcp = true;
    snprintf(fr->fallback, sizeof(fr->fallback), "%s",
             fr->mptcp.fallback != NULL ? fr->mptcp.fallback : "");
    for (unsigned i = 0; i < fr->mptcp.subflows; i++) {
        umptcp_subflow_info si;
        if (umptcp_conn_get_subflow_info(c, i, &si) != UMPTCP_OK)
            continue;
        size_t k = scn_flow_slot(fr, si.id);
        if (k == SCN_MAX_SUBFLOWS)
            continue;
        fr->sub[k].client = si;
        if (fr->server.conn != NULL)
            scn_flow_match_server(fr, k, i);
    }
}

/* ---- closing: outside the event callback (close frees what the callback runs in) -------- */

static void scn_flow_check_done(struct scn_flowrun *fr)
{
    if (!fr->client.closed || !fr->server.closed || fr->done)
        return;
    fr->done = true;
    struct scn_flow_result *res = scn_fr_result(fr);
    uint64_t last =
        fr->up.last_byte_ns > fr->down.last_byte_ns ? fr->up.last_byte_ns : fr->down.last_byte_ns;
    bool all = fr->up.eof && fr->down.eof && fr->up.received == fr->up.total &&
               fr->down.received == fr->down.total;
    if (all && !fr->up.mismatch && !fr->down.mismatch && res->error[0] == '\0') {
        res->complete = true;
        res->done_ns = last;
    }
}

static void scn_ep_do_close(struct sim_world *w, void *arg, uint64_t now)
{
    (void)w;
    struct scn_ep *ep = arg;
    if (ep->conn == NULL)
        return;
    scn_flow_refresh(ep->fr);
    int rc = umptcp_conn_close(ep->conn, now);
    ep->conn = NULL;
    ep->closed = true;
    if (rc != UMPTCP_OK)
        scn_flow_error(ep->fr, "%s: close: %s", scn_ep_name(ep), umptcp_strerror(rc));
    scn_flow_check_done(ep->fr);
}

static void scn_ep_close_later(struct scn_ep *ep)
{
    if (ep->close_scheduled)
        return;
    ep->close_scheduled = true;
    struct scn_runner *run = ep->fr->run;
    int rc = sim_world_at(run->w, sim_world_now(run->w), scn_ep_do_close, ep);
    if (rc != UMPTCP_OK)
        scn_run_fail(run, "sim_world_at: %s", umptcp_strerror(rc));
}

static void scn_ep_conn_error(struct scn_ep *ep, const char *what, int err)
{
    scn_flow_error(ep->fr, "%s: %s: %s", scn_ep_name(ep), what, umptcp_strerror(err));
    scn_ep_close_later(ep);
}

/* ---- writing and reading ------------------------------------------------------------------ */

/* Shuts down once everything is written (an end with nothing to send waits for the peer's
 * end of stream first, so a one-way flow is not also a half-close), closes once shut down and
 * the peer's end of stream was read. */
static void scn_ep_maybe_finish(struct scn_ep *ep, uint64_t now)
{
    struct scn_stream *out = ep->out;
    if (ep->conn == NULL)
        return;
    if (!ep->shut && out->written == out->total && (out->total > 0 || ep->in->eof)) {
        int rc = umptcp_conn_shutdown(ep->conn, now);
        if (rc != UMPTCP_OK) {
            scn_ep_conn_error(ep, "shutdown", rc);
            return;
        }
        ep->shut = true;
    }
    if (ep->shut && ep->in->eof)
        scn_ep_close_later(ep);
}

static void scn_ep_pump(struct scn_ep *ep, uint64_t now)
{
    struct scn_stream *f = ep->out;
    for (int i = 0; i < SCN_MAX_LOOP && ep->conn != NULL && f->written < f->total; i++) {
        if (f->wpos == f->wlen) {
            uint64_t left = f->total - f->written;
            f->wlen = left < SCN_CHUNK ? (size_t)left : SCN_CHUNK;
            f->wpos = 0;
            scn_content(f->seed, f->written, f->wbuf, f->wlen);
        }
        size_t want = f->wlen - f->wpos;
        ssize_t n = umptcp_conn_write(ep->conn, f->wbuf + f->wpos, want, now);
        if (n == UMPTCP_ERR_AGAIN)
            break;
        if (n <= 0 || (size_t)n > want) {
            scn_ep_conn_error(ep, "write", n < 0 ? (int)n : UMPTCP_ERR_STATE);
            return;
        }
        EVP_DigestUpdate(f->tx_md, f->wbuf + f->wpos, (size_t)n);
        f->wpos += (size_t)n;
        f->written += (uint64_t)n;
        if ((size_t)n < want)
            break; /* short write: a WRITABLE event follows */
    }
    scn_ep_maybe_finish(ep, now);
}

/* Checks n bytes that arrived at stream offset f->received against what was sent there. */
static void scn_ep_check(struct scn_ep *ep, const uint8_t *buf, size_t n, uint64_t now)
{
    struct scn_runner *run = ep->fr->run;
    struct scn_stream *f = ep->in;
    if (n > f->total - f->received) {
        f->mismatch = true;
        scn_flow_error(ep->fr, "%s: more bytes arrived than were sent", scn_ep_name(ep));
        n = (size_t)(f->total - f->received);
    }
    scn_content(f->seed, f->received, run->expect, n);
    if (!f->mismatch && memcmp(buf, run->expect, n) != 0) {
        size_t i = 0;
        while (buf[i] == run->expect[i])
            i++;
        f->mismatch = true;
        scn_flow_error(ep->fr, "%s: byte at offset %llu is 0x%02x, sent 0x%02x", scn_ep_name(ep),
                       (unsigned long long)(f->received + i), buf[i], run->expect[i]);
    }
    EVP_DigestUpdate(f->rx_md, buf, n);
    if (f->received == 0 && n > 0)
        f->first_byte_ns = now;
    f->received += n;
    f->last_byte_ns = now;
}

static void scn_ep_drain(struct scn_ep *ep, uint64_t now)
{
    struct scn_runner *run = ep->fr->run;
    struct scn_stream *f = ep->in;
    for (int i = 0; i < SCN_MAX_LOOP && ep->conn != NULL && !f->eof; i++) {
        ssize_t n = umptcp_conn_read(ep->conn, run->rbuf, sizeof(run->rbuf), now);
        if (n == UMPTCP_ERR_AGAIN)
            break;
        if (n < 0 || (size_t)n > sizeof(run->rbuf)) {
            scn_ep_conn_error(ep, "read", n < 0 ? (int)n : UMPTCP_ERR_STATE);
            return;
        }
        if (n == 0) {
            f->eof = true;
            if (f->received != f->total)
                scn_flow_error(ep->fr, "%s: end of stream after %llu of %llu bytes",
                               scn_ep_name(ep), (unsigned long long)f->received,
                               (unsigned long long)f->total);
            break;
        }
        scn_ep_check(ep, run->rbuf, (size_t)n, now);
    }
    if (f->eof)
        scn_ep_maybe_finish(ep, now);
}

static void scn_ep_opened(struct scn_ep *ep, umptcp_conn *c, uint64_t now)
{
    ep->conn = c;
    ep->opened = true;
    umptcp_conn_set_user(c, ep);
    scn_ep_pump(ep, now);
    scn_ep_drain(ep, now);
}

/* ---- events -------------------------------------------------------------------------------- */

static void scn_accept_all(struct scn_flowrun *fr, umptcp_listener *l, uint64_t now)
{
    for (int i = 0; i < SCN_MAX_LOOP; i++) {
        int err = 0;
        umptcp_conn *c = umptcp_accept(l, &err);
        if (c == NULL) {
            if (err != UMPTCP_ERR_AGAIN)
                scn_flow_error(fr, "server: accept: %s", umptcp_strerror(err));
            return;
        }
        if (fr->server.opened) {
            scn_flow_error(fr, "server: a second connection arrived");
            umptcp_conn_abort(c, now);
            continue;
        }
        scn_ep_opened(&fr->server, c, now);
    }
}

void scn_host_event(void *user, umptcp_conn *c, const umptcp_event *ev)
{
    struct scn_runner *run = user;
    uint64_t now = sim_world_now(run->w);
    if (ev->type == UMPTCP_EV_ACCEPTABLE) {
        for (size_t i = 0; i < run->s->nflow; i++)
            if (run->flow[i].listener == ev->listener)
                scn_accept_all(&run->flow[i], ev->listener, now);
        return;
    }
    struct scn_ep *ep = c != NULL ? umptcp_conn_user(c) : NULL;
    if (ep == NULL || ep->conn != c)
        return; /* a connection its application closed already */
    switch (ev->type) {
    case UMPTCP_EV_CONNECTED:
        ep->opened = true;
        scn_fr_result(ep->fr)->connected = true;
        scn_fr_result(ep->fr)->connected_ns = now;
        scn_ep_pump(ep, now);
        break;
    case UMPTCP_EV_WRITABLE:
        scn_ep_pump(ep, now);
        break;
    case UMPTCP_EV_READABLE:
    case UMPTCP_EV_PEER_CLOSED:
        scn_ep_drain(ep, now);
        break;
    case UMPTCP_EV_CLOSED:
        if (ev->error != 0)
            scn_ep_conn_error(ep, "connection closed", ev->error);
        break;
    case UMPTCP_EV_ACCEPTABLE:
        break;
    }
}

/* ---- set-up and start ---------------------------------------------------------------------- */

static int scn_stream_init(struct scn_stream *st, uint64_t total, uint64_t seed)
{
    st->total = total;
    st->seed = seed;
    st->tx_md = EVP_MD_CTX_new();
    st->rx_md = EVP_MD_CTX_new();
    if (st->tx_md == NULL || st->rx_md == NULL ||
        EVP_DigestInit_ex(st->tx_md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestInit_ex(st->rx_md, EVP_sha256(), NULL) != 1)
        return UMPTCP_ERR_NOMEM;
    return UMPTCP_OK;
}

static void scn_flow_opts(const struct scn_flowrun *fr, umptcp_conn_opts *o)
{
    const struct scn_flow *f = fr->f;
    const struct scn_run_opts *ro = &fr->run->opts;
    memset(o, 0, sizeof(*o));
    o->cc = ro->cc != NULL ? ro->cc : (f->cc[0] != '\0' ? f->cc : NULL);
    o->mptcp = f->mptcp;
    o->mptcp_checksum = f->checksum;
    o->sched = ro->sched != NULL ? ro->sched : (f->sched[0] != '\0' ? f->sched : NULL);
    o->pm = ro->pm != NULL ? ro->pm : (f->pm[0] != '\0' ? f->pm : NULL);
    o->max_subflows = (uint8_t)f->max_subflows;
}

int scn_flow_setup(struct scn_runner *run, size_t i)
{
    struct scn_flowrun *fr = &run->flow[i];
    const struct scn_flow *f = &run->s->flow[i];
    fr->run = run;
    fr->idx = i;
    fr->f = f;
    fr->client = (struct scn_ep){.fr = fr, .node = f->client, .out = &fr->up, .in = &fr->down};
    fr->server = (struct scn_ep){
        .fr = fr, .is_server = true, .node = f->server, .out = &fr->down, .in = &fr->up};
    uint64_t bytes = f->bytes == 0 ? SCN_BULK : f->bytes;
    uint64_t seed = run->r->seed * 1000003ull + i * 2;
    int rc = scn_stream_init(&fr->up, f->dir != SCN_FLOW_DOWNLOAD ? bytes : 0, seed);
    if (rc == UMPTCP_OK)
        rc = scn_stream_init(&fr->down, f->dir != SCN_FLOW_UPLOAD ? bytes : 0, seed + 1);
    if (rc != UMPTCP_OK) {
        scn_run_fail(run, "out of memory");
        return rc;
    }
    umptcp_conn_opts o;
    scn_flow_opts(fr, &o);
    umptcp_sockaddr local = {.addr = f->server_addr, .port = f->port};
    rc = umptcp_listen(run->stack[f->server], &local, &o, &fr->listener);
    if (rc != UMPTCP_OK)
        scn_run_fail(run, "flow '%s': listen: %s", f->name, umptcp_strerror(rc));
    return rc;
}

void scn_flow_start(struct sim_world *w, void *arg, uint64_t now)
{
    (void)w;
    struct scn_flowrun *fr = arg;
    const struct scn_flow *f = fr->f;
    umptcp_conn_opts o;
    scn_flow_opts(fr, &o);
    o.user = &fr->client;
    /* A stack's addresses carry no prefix, so the source is given: it picks the interface. */
    o.local_addr = f->source;
    umptcp_sockaddr dst = {.addr = f->server_addr, .port = f->port};
    scn_fr_result(fr)->start_ns = now;
    umptcp_conn *c = NULL;
    int rc = umptcp_connect(fr->run->stack[f->client], &dst, &o, now, &c);
    if (rc != UMPTCP_OK) {
        scn_flow_error(fr, "client: connect: %s", umptcp_strerror(rc));
        fr->client.closed = fr->server.closed = true;
        return;
    }
    fr->client.conn = c;
    scn_ep_pump(&fr->client, now); /* data waits for the handshake inside the stack */
}

void scn_flow_teardown(struct scn_flowrun *fr)
{
    struct scn_stream *st[2] = {&fr->up, &fr->down};
    for (int i = 0; i < 2; i++) {
        EVP_MD_CTX_free(st[i]->tx_md);
        EVP_MD_CTX_free(st[i]->rx_md);
        st[i]->tx_md = st[i]->rx_md = NULL;
    }
}
