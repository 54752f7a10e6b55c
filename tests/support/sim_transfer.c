/* Bulk-transfer harness for simulator scenarios: see sim_transfer.h. */
#include "sim_transfer.h"
#include "sim_transfer_net.h"

#include "scenario/scenario_run.h" /* scn_content: the same stream as `umptcp sim` sends */

#include "sim/sim.h"
#include "sim/sim_stack.h"
#include "umptcp/error.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ST_CHUNK (64u * 1024u)
#define ST_DEFAULT_PORT 5201
#define ST_DEFAULT_TIME_LIMIT (600ull * SIM_NS_PER_SEC)
#define ST_DEFAULT_MAX_EVENTS 200000000ull
#define ST_DEFAULT_LINGER SIM_NS_PER_SEC
/* Bounds the read/write loops of one event (each pass moves at least one byte or stops). */
#define ST_MAX_LOOP 100000

/* ---- configuration helpers ------------------------------------------------------------ */

void st_config_init(struct st_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->seed = 1;
    cfg->npaths = 1;
    cfg->bytes_c2s = 1000000;
}

void st_path_symmetric(struct st_config *cfg, size_t i, uint64_t rate_bps, uint64_t delay_ns,
                       uint64_t queue_bytes)
{
    if (i >= ST_MAX_PATHS)
        abort();
    struct st_dir_config d = {
        .rate_bps = rate_bps, .delay_ns = delay_ns, .queue_bytes = queue_bytes};
    cfg->paths[i].fwd = d;
    cfg->paths[i].rev = d;
}

void st_add_timed(struct st_config *cfg, uint64_t at_ns, enum st_action action, size_t path,
                  enum st_dir dir, uint64_t value, double p)
{
    if (cfg->ntimed >= ST_MAX_TIMED) {
        fprintf(stderr, "st_add_timed: more than %d timed actions\n", ST_MAX_TIMED);
        abort();
    }
    cfg->timed[cfg->ntimed++] = (struct st_timed){
        .at_ns = at_ns, .action = action, .path = path, .dir = dir, .value = value, .p = p};
}

const char *st_failure_name(enum st_failure f)
{
    switch (f) {
    case ST_OK:
        return "ok";
    case ST_FAIL_SETUP:
        return "setup";
    case ST_FAIL_TIMEOUT:
        return "timeout";
    case ST_FAIL_EVENT_LIMIT:
        return "event-limit";
    case ST_FAIL_SIM:
        return "simulator";
    case ST_FAIL_RESET:
        return "reset";
    case ST_FAIL_MISMATCH:
        return "mismatch";
    case ST_FAIL_MISSING:
        return "bytes-missing";
    case ST_FAIL_EXTRA:
        return "extra-bytes";
    case ST_FAIL_API:
        return "api";
    }
    return "?";
}

/* ---- run state ------------------------------------------------------------------------- */

/* One direction of the transfer. */
struct st_flow {
    uint64_t total, seed;
    uint64_t written, received;
    bool eof;
    EVP_MD_CTX *tx_md, *rx_md;
    uint8_t *wbuf; /* the chunk being written: wbuf[wpos..wlen) not taken yet */
    size_t wpos, wlen;
    struct st_flow_result *res;
};

struct st_run;

struct st_endpoint {
    struct st_run *run;
    const char *name;
    bool is_server;
    struct sim_node *node;
    umptcp_stack *stack;
    umptcp_conn *conn;
    struct st_flow *out, *in;
    bool shut, close_scheduled, closed;
    struct st_conn_result *res;
};

struct st_timed_ctx {
    struct st_run *run;
    const struct st_timed *t;
};

struct st_run {
    const struct st_config *cfg;
    struct st_result *res;
    struct sim_world *w;
    struct st_endpoint client, server;
    struct st_flow c2s, s2c;
    umptcp_listener *listener;
    umptcp_sockaddr server_addr;
    struct st_net net;
    struct st_timed_ctx timed[ST_MAX_TIMED];
    umptcp_pcap *pcap_client, *pcap_server;
    uint8_t rbuf[ST_CHUNK];
    uint8_t expect[ST_CHUNK];
};

static uint64_t st_now(const struct st_run *r)
{
    return sim_world_now(r->w);
}

/* Records the first failure; fatal ones stop the simulation at once. */
static void st_fail(struct st_run *r, enum st_failure f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void st_fail(struct st_run *r, enum st_failure f, const char *fmt, ...)
{
    if (r->res->failure == ST_OK) {
        r->res->failure = f;
        int n =
            snprintf(r->res->reason, sizeof(r->res->reason), "t=%.6f s: ", (double)st_now(r) / 1e9);
        if (n > 0 && (size_t)n < sizeof(r->res->reason)) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(r->res->reason + n, sizeof(r->res->reason) - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    if (r->w != NULL)
        sim_world_stop(r->w);
}

static void st_fail_conn_error(struct st_run *r, const struct st_endpoint *ep, const char *what,
                               int err)
{
    enum st_failure f = (err == UMPTCP_ERR_RESET || err == UMPTCP_ERR_TIMEOUT ||
                         err == UMPTCP_ERR_REFUSED || err == UMPTCP_ERR_ABORTED)
                            ? ST_FAIL_RESET
                            : ST_FAIL_API;
    st_fail(r, f, "%s: %s: %s (%d)", ep->name, what, umptcp_strerror(err), err);
}

/* ---- the endpoints' behaviour ---------------------------------------------------------- */

static void st_close_later(struct st_endpoint *ep);

/* Moves the endpoint toward its end: shuts down once everything is written (an endpoint with
 * nothing to send waits for the peer's end of stream first, so that a one-way transfer is not
 * also a half-close test), and closes once it has shut down and read the peer's end of
 * stream. Called whenever either may have changed. */
static void st_maybe_finish(struct st_endpoint *ep, uint64_t now)
{
    struct st_flow *out = ep->out;
    if (ep->conn == NULL)
        return;
    if (!ep->shut && out->written == out->total && (out->total > 0 || ep->in->eof)) {
        int rc = umptcp_conn_shutdown(ep->conn, now);
        if (rc != UMPTCP_OK) {
            st_fail_conn_error(ep->run, ep, "shutdown", rc);
            return;
        }
        ep->shut = true;
    }
    if (ep->shut && ep->in->eof)
        st_close_later(ep);
}

/* Writes as much as the send buffer takes. */
static void st_pump(struct st_endpoint *ep, uint64_t now)
{
    struct st_flow *f = ep->out;
    for (int i = 0; i < ST_MAX_LOOP && ep->conn != NULL && f->written < f->total; i++) {
        if (f->wpos == f->wlen) {
            uint64_t left = f->total - f->written;
            f->wlen = left < ST_CHUNK ? (size_t)left : ST_CHUNK;
            f->wpos = 0;
            scn_content(f->seed, f->written, f->wbuf, f->wlen);
        }
        size_t want = f->wlen - f->wpos;
        ssize_t n = umptcp_conn_write(ep->conn, f->wbuf + f->wpos, want, now);
        if (n == UMPTCP_ERR_AGAIN)
            break;
        if (n < 0) {
            st_fail_conn_error(ep->run, ep, "write", (int)n);
            ep->res->error = (int)n;
            return;
        }
        if (n == 0 || (size_t)n > want) {
            st_fail(ep->run, ST_FAIL_API, "%s: write of %zu returned %zd", ep->name, want, n);
            return;
        }
        EVP_DigestUpdate(f->tx_md, f->wbuf + f->wpos, (size_t)n);
        f->wpos += (size_t)n;
        f->written += (uint64_t)n;
        f->res->bytes_sent = f->written;
        if ((size_t)n < want)
            break; /* short write: a WRITABLE event follows */
    }
    st_maybe_finish(ep, now);
}

/* Checks n bytes that arrived at stream offset f->received. */
static void st_check(struct st_run *r, struct st_endpoint *ep, const uint8_t *buf, size_t n,
                     uint64_t now)
{
    struct st_flow *f = ep->in;
    if (f->received + n > f->total) {
        st_fail(r, ST_FAIL_EXTRA, "%s: %llu bytes received, only %llu were sent", ep->name,
                (unsigned long long)(f->received + n), (unsigned long long)f->total);
        return;
    }
    scn_content(f->seed, f->received, r->expect, n);
    if (f->res->mismatch_offset == UINT64_MAX && memcmp(buf, r->expect, n) != 0) {
        size_t i = 0;
        while (buf[i] == r->expect[i])
            i++;
        f->res->mismatch_offset = f->received + i;
        st_fail(r, ST_FAIL_MISMATCH, "%s: received byte at offset %llu is 0x%02x, sent 0x%02x",
                ep->name, (unsigned long long)(f->received + i), buf[i], r->expect[i]);
    }
    EVP_DigestUpdate(f->rx_md, buf, n);
    if (f->received == 0)
        f->res->first_byte_ns = now;
    f->received += n;
    f->res->bytes_received = f->received;
    f->res->last_byte_ns = now;
}

/* Reads everything that is there. */
static void st_drain(struct st_endpoint *ep, uint64_t now)
{
    struct st_run *r = ep->run;
    struct st_flow *f = ep->in;
    for (int i = 0; i < ST_MAX_LOOP && ep->conn != NULL && !f->eof; i++) {
        ssize_t n = umptcp_conn_read(ep->conn, r->rbuf, sizeof(r->rbuf), now);
        if (n == UMPTCP_ERR_AGAIN)
            break;
        if (n < 0) {
            ep->res->error = (int)n;
            st_fail_conn_error(r, ep, "read", (int)n);
            return;
        }
        if (n == 0) {
            f->eof = true;
            f->res->eof = true;
            if (f->received != f->total)
                st_fail(r, ST_FAIL_MISSING, "%s: end of stream after %llu of %llu bytes", ep->name,
                        (unsigned long long)f->received, (unsigned long long)f->total);
            break;
        }
        if ((size_t)n > sizeof(r->rbuf)) {
            st_fail(r, ST_FAIL_API, "%s: read returned %zd", ep->name, n);
            return;
        }
        st_check(r, ep, r->rbuf, (size_t)n, now);
        if (r->res->failure == ST_FAIL_EXTRA)
            return;
    }
    if (f->eof)
        st_maybe_finish(ep, now);
}

static void st_opened(struct st_endpoint *ep, umptcp_conn *c, uint64_t now)
{
    ep->conn = c;
    ep->res->opened = true;
    ep->res->connected_ns = now;
    umptcp_conn_set_user(c, ep);
    st_pump(ep, now);
    st_drain(ep, now);
}

static void st_accept_all(struct st_endpoint *ep, umptcp_listener *l, uint64_t now)
{
    for (int i = 0; i < ST_MAX_LOOP; i++) {
        int err = 0;
        umptcp_conn *c = umptcp_accept(l, &err);
        if (c == NULL) {
            if (err != UMPTCP_ERR_AGAIN)
                st_fail_conn_error(ep->run, ep, "accept", err);
            return;
        }
        if (ep->conn != NULL || ep->closed) {
            st_fail(ep->run, ST_FAIL_API, "server: a second connection was accepted");
            umptcp_conn_abort(c, now);
            continue;
        }
        st_opened(ep, c, now);
    }
}

static void st_on_event(void *user, umptcp_conn *c, const umptcp_event *ev)
{
    struct st_endpoint *ep = user;
    uint64_t now = st_now(ep->run);
    if (ev->type == UMPTCP_EV_ACCEPTABLE) {
        if (ep->is_server && ev->listener == ep->run->listener)
            st_accept_all(ep, ev->listener, now);
        return;
    }
    if (c == NULL || c != ep->conn)
        return; /* a connection the harness closed already */
    switch (ev->type) {
    case UMPTCP_EV_CONNECTED:
        ep->res->opened = true;
        ep->res->connected_ns = now;
        st_pump(ep, now);
        break;
    case UMPTCP_EV_WRITABLE:
        ep->res->writable_events++;
        st_pump(ep, now);
        break;
    case UMPTCP_EV_READABLE:
    case UMPTCP_EV_PEER_CLOSED:
        ep->res->readable_events += ev->type == UMPTCP_EV_READABLE;
        st_drain(ep, now);
        break;
    case UMPTCP_EV_CLOSED:
        if (ev->error != 0) {
            ep->res->error = ev->error;
            st_fail_conn_error(ep->run, ep, "connection closed", ev->error);
        }
        break;
    case UMPTCP_EV_ACCEPTABLE:
        break;
    }
}

/* ---- closing: outside the event callback (close frees what the callback runs in) ------ */

static void st_take_info(struct st_endpoint *ep)
{
    if (ep->conn != NULL && umptcp_conn_get_info(ep->conn, &ep->res->info) == UMPTCP_OK)
        ep->res->have_info = true;
}

static bool st_all_closed(const struct st_run *r)
{
    return r->client.closed && r->server.closed;
}

static void st_do_close(struct sim_world *w, void *arg, uint64_t now)
{
    struct st_endpoint *ep = arg;
    if (ep->conn == NULL)
        return;
    st_take_info(ep);
    int rc = umptcp_conn_close(ep->conn, now);
    ep->conn = NULL;
    ep->closed = true;
    ep->res->closed_ns = now;
    if (rc != UMPTCP_OK)
        st_fail_conn_error(ep->run, ep, "close", rc);
    if (st_all_closed(ep->run)) {
        struct st_result *res = ep->run->res;
        res->done_ns = res->c2s.last_byte_ns > res->s2c.last_byte_ns ? res->c2s.last_byte_ns
                                                                     : res->s2c.last_byte_ns;
        sim_world_stop(w);
    }
}

static void st_close_later(struct st_endpoint *ep)
{
    if (ep->close_scheduled)
        return;
    ep->close_scheduled = true;
    int rc = sim_world_at(ep->run->w, st_now(ep->run), st_do_close, ep);
    if (rc != UMPTCP_OK)
        st_fail(ep->run, ST_FAIL_SIM, "sim_world_at: %s", umptcp_strerror(rc));
}

/* ---- timed actions and the client's start ------------------------------------------------ */

static void st_apply_link(const struct st_timed *t, struct sim_link *l)
{
    switch (t->action) {
    case ST_ACT_LINK_DOWN:
        sim_link_set_up(l, false);
        break;
    case ST_ACT_LINK_UP:
        sim_link_set_up(l, true);
        break;
    case ST_ACT_SET_RATE:
        sim_link_set_rate(l, t->value);
        break;
    case ST_ACT_SET_DELAY:
        sim_link_set_delay(l, t->value);
        break;
    case ST_ACT_SET_LOSS:
        sim_link_set_loss(l, t->p);
        break;
    case ST_ACT_REMOVE_ADDR: /* not a link action */
        break;
    }
}

/* ST_ACT_REMOVE_ADDR: the address leaves its host's stack. */
static void st_remove_addr(struct st_run *r, const struct st_timed *t)
{
    bool server = t->dir == ST_DIR_REV;
    umptcp_addr a;
    int rc = st_net_host_addr(&r->net, t->path, server, &a);
    if (rc == UMPTCP_OK)
        rc = umptcp_stack_remove_address(server ? r->server.stack : r->client.stack, &a);
    if (rc != UMPTCP_OK)
        st_fail(r, ST_FAIL_SIM, "remove address of path %zu: %s", t->path, umptcp_strerror(rc));
}

static void st_timed_fire(struct sim_world *w, void *arg, uint64_t now)
{
    struct st_timed_ctx *ctx = arg;
    const struct st_timed *t = ctx->t;
    if (t->action == ST_ACT_REMOVE_ADDR) {
        st_remove_addr(ctx->run, t);
        return;
    }
    if (t->dir != ST_DIR_REV)
        st_apply_link(t, ctx->run->net.fwd[t->path]);
    if (t->dir != ST_DIR_FWD)
        st_apply_link(t, ctx->run->net.rev[t->path]);
}

static void st_side_opts(const struct st_side *side, umptcp_conn_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->cc = side->cc;
    o->nodelay = side->nodelay;
    o->sndbuf = side->sndbuf;
    o->rcvbuf = side->rcvbuf;
    o->mptcp = side->mptcp;
    o->mptcp_checksum = side->mptcp_checksum;
}

/* Runs from sim_world_at, so the world refreshes the client's timer afterwards (the rule of
 * sim_stack.h). */
static void st_start_client(struct sim_world *w, void *arg, uint64_t now)
{
    struct st_run *r = arg;
    umptcp_conn_opts o;
    st_side_opts(&r->cfg->client, &o);
    o.user = &r->client;
    /* The stack has no routes (its addresses carry no prefix), so the harness picks the
     * source address of the path, which also selects the interface. */
    o.local_addr = r->net.client_addr;
    r->res->start_ns = now;
    umptcp_conn *c = NULL;
    int rc = umptcp_connect(r->client.stack, &r->server_addr, &o, now, &c);
    if (rc != UMPTCP_OK) {
        st_fail(r, ST_FAIL_SETUP, "umptcp_connect: %s (%d)", umptcp_strerror(rc), rc);
        return;
    }
    r->client.conn = c;
    st_pump(&r->client, now); /* data waits for the handshake inside the stack */
}

/* ---- building the world (the network: sim_transfer_net.c) ---------------------------- */

static int st_new_endpoint(struct st_run *r, struct st_endpoint *ep, const char *name,
                           const struct st_side *side)
{
    ep->run = r;
    ep->name = name;
    int rc = sim_stack_host_new(&ep->node, r->w, name, side->stack_cfg, &ep->stack);
    if (rc != UMPTCP_OK)
        return rc;
    sim_stack_set_event_cb(ep->node, st_on_event, ep);
    return UMPTCP_OK;
}

static int st_open_pcap(umptcp_pcap **out, struct sim_node *n, const char *path)
{
    if (path == NULL)
        return UMPTCP_OK;
    int rc = umptcp_pcap_open(out, path);
    if (rc == UMPTCP_OK)
        sim_node_set_pcap(n, *out);
    return rc;
}

static int st_build(struct st_run *r)
{
    const struct st_config *cfg = r->cfg;
    int rc = sim_world_new(&r->w, cfg->seed);
    if (rc == UMPTCP_OK)
        rc = st_new_endpoint(r, &r->client, "client", &cfg->client);
    if (rc == UMPTCP_OK)
        rc = st_new_endpoint(r, &r->server, "server", &cfg->server);
    if (rc != UMPTCP_OK)
        return rc;
    r->server.is_server = true;
    r->net =
        (struct st_net){.w = r->w, .cfg = cfg, .client = r->client.node, .server = r->server.node};
    rc = st_net_build(&r->net);
    r->server_addr.addr = r->net.server_addr;
    if (rc == UMPTCP_OK && cfg->trace != NULL)
        sim_world_set_trace(r->w, cfg->trace, cfg->trace_user);
    for (size_t i = 0; i < cfg->ntimed && rc == UMPTCP_OK; i++) {
        if (cfg->timed[i].path >= cfg->npaths)
            return UMPTCP_ERR_INVAL;
        r->timed[i] = (struct st_timed_ctx){r, &cfg->timed[i]};
        rc = sim_world_at(r->w, cfg->timed[i].at_ns, st_timed_fire, &r->timed[i]);
    }
    if (rc == UMPTCP_OK)
        rc = st_open_pcap(&r->pcap_client, r->client.node, cfg->pcap_client);
    if (rc == UMPTCP_OK)
        rc = st_open_pcap(&r->pcap_server, r->server.node, cfg->pcap_server);
    return rc;
}

static int st_flow_init(struct st_flow *f, uint64_t total, uint64_t seed,
                        struct st_flow_result *res)
{
    f->total = total;
    f->seed = seed;
    f->res = res;
    res->mismatch_offset = UINT64_MAX;
    f->wbuf = malloc(ST_CHUNK);
    f->tx_md = EVP_MD_CTX_new();
    f->rx_md = EVP_MD_CTX_new();
    if (f->wbuf == NULL || f->tx_md == NULL || f->rx_md == NULL)
        return UMPTCP_ERR_NOMEM;
    if (EVP_DigestInit_ex(f->tx_md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestInit_ex(f->rx_md, EVP_sha256(), NULL) != 1)
        return UMPTCP_ERR_NOMEM;
    return UMPTCP_OK;
}

static void st_hex(EVP_MD_CTX *md, char hex[65])
{
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    hex[0] = '\0';
    if (EVP_DigestFinal_ex(md, d, &len) != 1)
        return;
    for (unsigned i = 0; i < len && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static void st_flow_finish(struct st_run *r, struct st_flow *f)
{
    st_hex(f->tx_md, f->res->sha_sent);
    st_hex(f->rx_md, f->res->sha_received);
    f->res->complete = f->eof && f->received == f->total && f->written == f->total &&
                       f->res->mismatch_offset == UINT64_MAX &&
                       strcmp(f->res->sha_sent, f->res->sha_received) == 0;
    uint64_t start = r->res->start_ns;
    if (f->received > 0 && f->res->last_byte_ns > start)
        f->res->goodput_bps =
            (double)f->received * 8.0 * 1e9 / (double)(f->res->last_byte_ns - start);
}

static void st_flow_free(struct st_flow *f)
{
    free(f->wbuf);
    EVP_MD_CTX_free(f->tx_md);
    EVP_MD_CTX_free(f->rx_md);
}

/* ---- running ---------------------------------------------------------------------------- */

static bool st_done(const struct st_run *r)
{
    return st_all_closed(r) && r->c2s.eof && r->s2c.eof;
}

static void st_describe_timeout(struct st_run *r, enum st_failure f, const char *what)
{
    st_fail(r, f, "%s: c2s %llu/%llu bytes%s, s2c %llu/%llu bytes%s; client %s, server %s", what,
            (unsigned long long)r->c2s.received, (unsigned long long)r->c2s.total,
            r->c2s.eof ? " +eof" : "", (unsigned long long)r->s2c.received,
            (unsigned long long)r->s2c.total, r->s2c.eof ? " +eof" : "",
            r->client.closed         ? "closed"
            : r->client.conn != NULL ? "open"
                                     : "not connected",
            r->server.closed         ? "closed"
            : r->server.conn != NULL ? "open"
                                     : "not accepted");
}

static void st_check_run(struct st_run *r, int rc, const char *phase)
{
    if (rc < 0)
        st_fail(r, ST_FAIL_SIM, "sim_world_run (%s): %s", phase, umptcp_strerror(rc));
    else if (rc == SIM_RUN_EVENT_LIMIT)
        st_describe_timeout(r, ST_FAIL_EVENT_LIMIT, "event limit");
}

static void st_simulate(struct st_run *r)
{
    const struct st_config *cfg = r->cfg;
    uint64_t limit = cfg->time_limit_ns ? cfg->time_limit_ns : ST_DEFAULT_TIME_LIMIT;
    sim_world_set_event_limit(r->w, cfg->max_events ? cfg->max_events : ST_DEFAULT_MAX_EVENTS);
    int rc = sim_world_run(r->w, limit);
    st_check_run(r, rc, "transfer");
    if (r->res->failure != ST_OK)
        return;
    if (!st_done(r)) {
        st_describe_timeout(r, ST_FAIL_TIMEOUT, "time limit");
        return;
    }
    /* Let the closing handshake finish (FIN, ACK); TIME_WAIT is not waited for. */
    uint64_t linger = cfg->linger_ns ? cfg->linger_ns : ST_DEFAULT_LINGER;
    rc = sim_world_run(r->w, st_now(r) + linger);
    st_check_run(r, rc, "linger");
}

static int st_start(struct st_run *r)
{
    const struct st_config *cfg = r->cfg;
    umptcp_sockaddr local = {.port = cfg->port ? cfg->port : ST_DEFAULT_PORT};
    r->server_addr.port = local.port;
    umptcp_conn_opts o;
    st_side_opts(&cfg->server, &o);
    o.user = &r->server;
    int rc = umptcp_listen(r->server.stack, &local, &o, &r->listener);
    if (rc != UMPTCP_OK) {
        st_fail(r, ST_FAIL_SETUP, "umptcp_listen: %s (%d)", umptcp_strerror(rc), rc);
        return rc;
    }
    sim_node_refresh_timer(r->server.node); /* a call from outside any callback */
    return sim_world_at(r->w, cfg->start_ns, st_start_client, r);
}

static void st_collect_link(struct st_link_result *out, const struct sim_link *l)
{
    if (l == NULL)
        return;
    const struct sim_link_counters *c = sim_link_counters(l);
    out->sent_packets = c->sent_packets;
    out->delivered_packets = c->delivered_packets;
    out->drop_queue = c->drop_queue_packets;
    out->drop_loss = c->drop_loss_packets;
    out->drop_down = c->drop_down_packets;
    out->duplicated = c->duplicated_packets;
    out->reordered = c->reordered_packets;
    out->queue_high_water_bytes = c->queue_high_water_bytes;
}

static void st_collect_stack(struct st_stack_result *out, const umptcp_stack *s)
{
    if (s == NULL)
        return;
    size_t n = umptcp_stack_counters(s, out->counters, ST_MAX_COUNTERS);
    out->ncounters = n < ST_MAX_COUNTERS ? n : ST_MAX_COUNTERS;
}

static void st_collect(struct st_run *r)
{
    struct st_result *res = r->res;
    if (r->w == NULL)
        return;
    res->end_ns = st_now(r);
    res->events = sim_world_event_count(r->w);
    st_take_info(&r->client); /* connections still open (failed runs) */
    st_take_info(&r->server);
    st_collect_stack(&res->client_stack, r->client.stack);
    st_collect_stack(&res->server_stack, r->server.stack);
    for (size_t i = 0; i < r->cfg->npaths; i++) {
        st_collect_link(&res->fwd[i], r->net.fwd[i]);
        st_collect_link(&res->rev[i], r->net.rev[i]);
    }
}

static double st_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum st_failure st_run(const struct st_config *cfg, struct st_result *res)
{
    double t0 = st_wall_seconds();
    memset(res, 0, sizeof(*res));
    struct st_run *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        res->failure = ST_FAIL_SETUP;
        snprintf(res->reason, sizeof(res->reason), "out of memory");
        return res->failure;
    }
    r->cfg = cfg;
    r->res = res;
    r->client.res = &res->client;
    r->server.res = &res->server;
    r->client.out = r->server.in = &r->c2s;
    r->server.out = r->client.in = &r->s2c;
    int rc = st_flow_init(&r->c2s, cfg->bytes_c2s, cfg->seed * 2 + 0x5eed0001ull, &res->c2s);
    if (rc == UMPTCP_OK)
        rc = st_flow_init(&r->s2c, cfg->bytes_s2c, cfg->seed * 2 + 0x5eed0002ull, &res->s2c);
    if (rc == UMPTCP_OK)
        rc = st_build(r);
    if (rc != UMPTCP_OK)
        st_fail(r, ST_FAIL_SETUP, "building the world: %s (%d)", umptcp_strerror(rc), rc);
    else if (st_start(r) == UMPTCP_OK)
        st_simulate(r);
    st_collect(r);
    if (cfg->at_end != NULL && r->w != NULL)
        cfg->at_end(cfg->at_end_user, r->client.stack, r->server.stack);
    st_flow_finish(r, &r->c2s);
    st_flow_finish(r, &r->s2c);
    if (res->failure == ST_OK && (!res->c2s.complete || !res->s2c.complete))
        st_fail(r, ST_FAIL_MISMATCH, "SHA-256 differs: c2s %s vs %s, s2c %s vs %s",
                res->c2s.sha_sent, res->c2s.sha_received, res->s2c.sha_sent, res->s2c.sha_received);
    sim_world_free(r->w); /* frees both stacks and every connection left */
    if (r->pcap_client != NULL)
        umptcp_pcap_close(r->pcap_client);
    if (r->pcap_server != NULL)
        umptcp_pcap_close(r->pcap_server);
    st_flow_free(&r->c2s);
    st_flow_free(&r->s2c);
    free(r);
    res->wall_seconds = st_wall_seconds() - t0;
    return res->failure;
}

/* ---- results ------------------------------------------------------------------------------ */

static uint64_t st_counter(const struct st_stack_result *s, const char *name)
{
    for (size_t i = 0; i < s->ncounters; i++)
        if (s->counters[i].name != NULL && strcmp(s->counters[i].name, name) == 0)
            return s->counters[i].value;
    return UINT64_MAX;
}

uint64_t st_client_counter(const struct st_result *res, const char *name)
{
    return st_counter(&res->client_stack, name);
}

uint64_t st_server_counter(const struct st_result *res, const char *name)
{
    return st_counter(&res->server_stack, name);
}

static void st_print_flow(FILE *out, const char *name, const struct st_flow_result *f)
{
    fprintf(out,
            "  %s: %llu/%llu bytes%s%s, first %.3f s, last %.3f s, goodput %.2f Mbit/s\n"
            "       sha sent %s\n       sha recv %s\n",
            name, (unsigned long long)f->bytes_received, (unsigned long long)f->bytes_sent,
            f->eof ? " eof" : "", f->complete ? " complete" : "", (double)f->first_byte_ns / 1e9,
            (double)f->last_byte_ns / 1e9, f->goodput_bps / 1e6, f->sha_sent, f->sha_received);
}

static void st_print_conn(FILE *out, const char *name, const struct st_conn_result *c)
{
    fprintf(out, "  %s: %s, error %d, connected %.3f s, closed %.3f s\n", name,
            c->opened ? "opened" : "never opened", c->error, (double)c->connected_ns / 1e9,
            (double)c->closed_ns / 1e9);
    if (!c->have_info)
        return;
    const umptcp_conn_info *i = &c->info;
    fprintf(out,
            "    state %s cc %s mss %u cwnd %u ssthresh %u snd_wnd %u rcv_wnd %u\n"
            "    srtt %llu us rttvar %llu us rto %llu us; segs out %llu in %llu retrans %llu;"
            " sent %llu acked %llu received %llu\n",
            umptcp_conn_state_name(i->state), i->cc ? i->cc : "?", i->mss, i->cwnd, i->ssthresh,
            i->snd_wnd, i->rcv_wnd, (unsigned long long)i->srtt_us,
            (unsigned long long)i->rttvar_us, (unsigned long long)i->rto_us,
            (unsigned long long)i->segs_out, (unsigned long long)i->segs_in,
            (unsigned long long)i->retrans_segs, (unsigned long long)i->bytes_sent,
            (unsigned long long)i->bytes_acked, (unsigned long long)i->bytes_received);
}

static void st_print_link(FILE *out, const char *name, size_t i, const struct st_link_result *l)
{
    fprintf(out,
            "  path %zu %s: sent %llu delivered %llu drop queue %llu loss %llu down %llu dup %llu "
            "reordered %llu queue max %llu B\n",
            i, name, (unsigned long long)l->sent_packets, (unsigned long long)l->delivered_packets,
            (unsigned long long)l->drop_queue, (unsigned long long)l->drop_loss,
            (unsigned long long)l->drop_down, (unsigned long long)l->duplicated,
            (unsigned long long)l->reordered, (unsigned long long)l->queue_high_water_bytes);
}

static void st_print_counters(FILE *out, const char *name, const struct st_stack_result *s)
{
    fprintf(out, "  %s counters:", name);
    for (size_t i = 0; i < s->ncounters; i++)
        if (s->counters[i].value != 0)
            fprintf(out, " %s=%llu", s->counters[i].name, (unsigned long long)s->counters[i].value);
    fprintf(out, "\n");
}

void st_result_print(const struct st_config *cfg, const struct st_result *res, FILE *out)
{
    fprintf(out, "transfer: %s%s%s\n", st_failure_name(res->failure), res->reason[0] ? ": " : "",
            res->reason);
    fprintf(out, "  start %.3f s, done %.3f s, end %.3f s, %llu events, %.2f s wall\n",
            (double)res->start_ns / 1e9, (double)res->done_ns / 1e9, (double)res->end_ns / 1e9,
            (unsigned long long)res->events, res->wall_seconds);
    st_print_flow(out, "c2s", &res->c2s);
    if (cfg->bytes_s2c > 0)
        st_print_flow(out, "s2c", &res->s2c);
    st_print_conn(out, "client", &res->client);
    st_print_conn(out, "server", &res->server);
    for (size_t i = 0; i < cfg->npaths && i < ST_MAX_PATHS; i++) {
        st_print_link(out, "fwd", i, &res->fwd[i]);
        st_print_link(out, "rev", i, &res->rev[i]);
    }
    st_print_counters(out, "client", &res->client_stack);
    st_print_counters(out, "server", &res->server_stack);
}
