/* umptcp cat: standard input to a TCP connection of a userspace stack on TUN devices, and
 * the connection to standard output (netcat over umptcp).
 *
 * The data path is flow-controlled both ways: standard input is read only while the
 * connection takes data (a full send buffer stops the reading until WRITABLE), and the
 * connection is read only while standard output takes data (a slow reader closes the TCP
 * receive window). Descriptors that epoll cannot watch (regular files, /dev/null) are
 * always ready and are read or written directly. */
#include "cmd_cat.h"
#include "cmd_cat_internal.h"
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "scenario/scenario_ops.h"
#include "host/clock.h"
#include "host/loop.h"
#include "umptcp/error.h"
#include "umptcp/pm.h"

/* ---- failure and completion ------------------------------------------------------------ */

void cat_fail(struct cat *c, int status, const char *fmt, ...)
{
    if (c->finished)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
    va_end(ap);
    c->exit_status = status;
    c->finished = true;
    host_runtime_stop(c->rt);
}

static void cat_succeed(struct cat *c)
{
    if (c->finished)
        return;
    c->exit_status = CAT_EXIT_OK;
    c->finished = true;
    host_runtime_stop(c->rt);
}

static const char *cat_conn_error_text(int err)
{
    switch (err) {
    case UMPTCP_ERR_RESET:
        return "connection reset by peer";
    case UMPTCP_ERR_TIMEOUT:
        return "connection timed out";
    case UMPTCP_ERR_REFUSED:
        return "connection refused";
    case UMPTCP_ERR_ABORTED:
        return "connection aborted";
    default:
        return umptcp_strerror(err);
    }
}

/* The connection ended with err (or a read/write call returned it). */
static void cat_conn_failed(struct cat *c, int err)
{
    c->conn_error = err;
    cat_fail(c, CAT_EXIT_FAIL, "%s: %s", c->peer_text, cat_conn_error_text(err));
}

static void cat_snapshot(struct cat *c)
{
    if (c->conn == NULL || umptcp_conn_get_info(c->conn, &c->info) != UMPTCP_OK)
        return;
    c->have_info = true;
    if (umptcp_conn_get_mptcp_info(c->conn, &c->mptcp) != UMPTCP_OK)
        return;
    c->nsubflows = 0;
    while (c->nsubflows < UMPTCP_MPTCP_MAX_SUBFLOWS &&
           umptcp_conn_get_subflow_info(c->conn, c->nsubflows, &c->subflows[c->nsubflows]) ==
               UMPTCP_OK)
        c->nsubflows++;
}

/* Both directions ended cleanly: everything received went to stdout and our FIN was
 * acknowledged (TIME_WAIT or CLOSED; RFC 9293 3.6). */
static void cat_check_done(struct cat *c)
{
    if (c->conn == NULL || c->finished)
        return;
    cat_snapshot(c);
    bool recv_done = c->recv_eof && c->out.len == c->out.off;
    bool fin_acked = c->info.state == UMPTCP_STATE_TIME_WAIT ||
                     c->info.state == UMPTCP_STATE_CLOSED || c->closed_cleanly;
    if (recv_done && c->shut_sent && fin_acked)
        cat_succeed(c);
}

/* ---- standard input -> connection -------------------------------------------------------- */

static void cat_on_stdin(void *user, int fd, uint64_t now);
static void cat_on_stdout(void *user, int fd, uint64_t now);

static void cat_watch(struct cat *c, struct cat_fd *f, bool want)
{
    if (!f->pollable || f->watching == want)
        return;
    int rc =
        host_loop_mod_fd(host_runtime_loop(c->rt), f->fd, want && f == &c->in ? cat_on_stdin : NULL,
                         want && f == &c->out ? cat_on_stdout : NULL);
    if (rc != UMPTCP_OK) {
        cat_fail(c, CAT_EXIT_FAIL, "cannot watch standard %s: %s", f == &c->in ? "input" : "output",
                 umptcp_strerror(rc));
        return;
    }
    f->watching = want;
}

/* Refills the input buffer from stdin; false when nothing came (wait, EOF or error). */
static bool cat_read_stdin(struct cat *c)
{
    ssize_t n;
    do {
        n = read(c->in.fd, c->in.buf, c->in.cap);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        c->in.off = 0;
        c->in.len = (size_t)n;
        return true;
    }
    if (n == 0) {
        c->stdin_eof = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        cat_fail(c, CAT_EXIT_FAIL, "cannot read standard input: %s", strerror(errno));
    }
    return false;
}

void cat_pump_send(struct cat *c)
{
    if (c->conn == NULL || c->finished || c->shut_sent)
        return;
    uint64_t now = host_clock_now();
    for (;;) {
        if (c->in.off == c->in.len) {
            if (c->stdin_eof || !cat_read_stdin(c))
                break;
        }
        ssize_t n = umptcp_conn_write(c->conn, c->in.buf + c->in.off, c->in.len - c->in.off, now);
        if (n == UMPTCP_ERR_AGAIN)
            break;
        if (n < 0) {
            cat_conn_failed(c, (int)n);
            return;
        }
        c->in.off += (size_t)n;
        c->bytes_sent += (uint64_t)n;
    }
    if (c->finished)
        return;
    if (c->stdin_eof && c->in.off == c->in.len) {
        int rc = umptcp_conn_shutdown(c->conn, now);
        if (rc != UMPTCP_OK) {
            cat_conn_failed(c, rc);
            return;
        }
        c->shut_sent = true;
        cat_watch(c, &c->in, false);
        cat_check_done(c);
        return;
    }
    /* Wait for stdin only when the buffer is empty; otherwise for WRITABLE. */
    cat_watch(c, &c->in, c->in.off == c->in.len);
}

static void cat_after(void *user, uint64_t now);

static void cat_on_stdin(void *user, int fd, uint64_t now)
{
    cat_pump_send(user);
    cat_after(user, now); /* events our writes raised */
}

/* ---- connection -> standard output ------------------------------------------------------- */

/* Writes what the output buffer holds; false when stdout cannot take more now. */
static bool cat_flush_stdout(struct cat *c)
{
    while (c->out.off < c->out.len) {
        ssize_t n = write(c->out.fd, c->out.buf + c->out.off, c->out.len - c->out.off);
        if (n > 0) {
            c->out.off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return false;
        cat_fail(c, CAT_EXIT_FAIL, "cannot write standard output: %s",
                 n < 0 ? strerror(errno) : "nothing written");
        c->abort_conn = true;
        return false;
    }
    return true;
}

void cat_pump_recv(struct cat *c)
{
    if (c->conn == NULL || c->finished)
        return;
    uint64_t now = host_clock_now();
    while (cat_flush_stdout(c) && !c->recv_eof) {
        ssize_t n = umptcp_conn_read(c->conn, c->out.buf, c->out.cap, now);
        if (n == UMPTCP_ERR_AGAIN)
            break;
        if (n < 0) {
            cat_conn_failed(c, (int)n);
            return;
        }
        if (n == 0) {
            c->recv_eof = true;
            break;
        }
        c->out.off = 0;
        c->out.len = (size_t)n;
        c->bytes_received += (uint64_t)n;
    }
    if (c->finished)
        return;
    cat_watch(c, &c->out, c->out.off < c->out.len);
    cat_check_done(c);
}

static void cat_on_stdout(void *user, int fd, uint64_t now)
{
    cat_pump_recv(user);
    cat_after(user, now); /* events our reads raised */
}

/* ---- events of the stack ------------------------------------------------------------------- */

/* Events only take note: the work happens in cat_after(), once the stack's call that raised
 * them has finished, so reads and writes never run in the middle of the stack's processing
 * of a segment (a write from inside an ACK's processing would see half-updated state). */
static void cat_on_event(void *user, umptcp_conn *conn, const umptcp_event *ev)
{
    struct cat *c = user;
    if (ev->type == UMPTCP_EV_ACCEPTABLE) {
        c->acceptable = true;
        return;
    }
    if (conn == NULL || conn != c->conn)
        return;
    switch (ev->type) {
    case UMPTCP_EV_CONNECTED:
        c->ev_connected = true;
        break;
    case UMPTCP_EV_READABLE:
    case UMPTCP_EV_PEER_CLOSED:
        c->ev_readable = true;
        break;
    case UMPTCP_EV_WRITABLE:
        c->ev_writable = true;
        break;
    case UMPTCP_EV_CLOSED:
        c->ev_closed = true;
        c->ev_closed_error = ev->error;
        break;
    default:
        break;
    }
}

static void cat_accept(struct cat *c, uint64_t now)
{
    c->acceptable = false;
    if (c->conn != NULL || c->listener == NULL)
        return;
    int err = 0;
    umptcp_conn *conn = umptcp_accept(c->listener, &err);
    if (conn == NULL) {
        if (err != UMPTCP_ERR_AGAIN)
            cat_fail(c, CAT_EXIT_FAIL, "cannot accept a connection: %s", umptcp_strerror(err));
        return;
    }
    /* One connection only: later SYNs get a reset (RFC 9293 3.10.7.1). */
    umptcp_listener_close(c->listener, now);
    c->listener = NULL;
    c->conn = conn;
    c->connected = true;
    cat_snapshot(c);
    cat_format_sockaddr(&c->info.remote, c->peer_text, sizeof(c->peer_text));
    cat_report_connected(c);
    cat_pump_send(c);
    cat_pump_recv(c);
}

/* What the events of one stack call asked for. */
static void cat_handle_events(struct cat *c, uint64_t now)
{
    if (c->acceptable)
        cat_accept(c, now);
    if (c->conn == NULL || c->finished)
        return;
    if (c->ev_connected) {
        c->ev_connected = false;
        c->connected = true;
        cat_report_connected(c);
        c->ev_writable = true;
    }
    if (c->ev_closed) {
        c->ev_closed = false;
        cat_snapshot(c);
        if (c->ev_closed_error != 0) {
            cat_conn_failed(c, c->ev_closed_error);
            return;
        }
        c->closed_cleanly = true;
        c->ev_readable = true;
    }
    if (c->ev_writable) {
        c->ev_writable = false;
        cat_pump_send(c);
    }
    /* Always: a reader that was blocked on stdout, or data that came without an event. */
    c->ev_readable = false;
    cat_pump_recv(c);
    cat_check_done(c);
}

/* After every batch of packets and timer run. Handling may raise more events (a read opens
 * the window and sends an update, a write sends data): repeat while there are some. */
static void cat_after(void *user, uint64_t now)
{
    struct cat *c = user;
    for (int round = 0; round < 4; round++) {
        cat_handle_events(c, now);
        if (c->finished || c->conn == NULL ||
            !(c->acceptable || c->ev_connected || c->ev_closed || c->ev_writable || c->ev_readable))
            break;
    }
}

/* ---- signals ------------------------------------------------------------------------------ */

static void cat_on_signal(void *user, int fd, uint64_t now)
{
    struct cat *c = user;
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
        return;
    int sig = (int)si.ssi_signo;
    const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
    c->abort_conn = true;
    cat_fail(c, 128 + sig, "interrupted by %s", name);
}

static int cat_setup_signals(struct cat *c)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &set, &c->old_sigmask) != 0)
        return -1;
    c->sigmask_saved = true;
    c->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (c->sigfd < 0)
        return -1;
    /* A closed stdout pipe is a write error (EPIPE), not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    return host_loop_add_fd(host_runtime_loop(c->rt), c->sigfd, cat_on_signal, NULL, c) == UMPTCP_OK
               ? 0
               : -1;
}

/* ---- standard descriptors --------------------------------------------------------------- */

/* Registers fd with no interest if epoll can watch it, else marks it always ready (regular
 * files, /dev/null). Pollable descriptors are made non-blocking; the old flags come back at
 * exit because the file description may be shared (a terminal). */
static int cat_setup_fd(struct cat *c, struct cat_fd *f, int fd, size_t cap)
{
    f->fd = fd;
    f->cap = cap;
    f->buf = malloc(cap);
    if (f->buf == NULL)
        return UMPTCP_ERR_NOMEM;
    f->saved_flags = fcntl(fd, F_GETFL);
    if (f->saved_flags < 0)
        return UMPTCP_ERR_INVAL;
    int rc = host_loop_add_fd(host_runtime_loop(c->rt), fd, NULL, NULL, c);
    f->pollable = rc == UMPTCP_OK;
    if (f->pollable && !(f->saved_flags & O_NONBLOCK) &&
        fcntl(fd, F_SETFL, f->saved_flags | O_NONBLOCK) == 0)
        f->flags_changed = true;
    return UMPTCP_OK;
}

static void cat_restore_fd(struct cat *c, struct cat_fd *f)
{
    if (f->pollable)
        host_loop_del_fd(host_runtime_loop(c->rt), f->fd);
    if (f->flags_changed)
        fcntl(f->fd, F_SETFL, f->saved_flags);
    free(f->buf);
}

/* ---- the two roles ------------------------------------------------------------------------ */

static umptcp_conn_opts cat_conn_opts(const struct cat_opts *o)
{
    umptcp_conn_opts co;
    memset(&co, 0, sizeof(co));
    co.cc = o->cc;
    co.nodelay = o->nodelay;
    co.mptcp = o->mptcp;
    co.mptcp_checksum = o->checksum;
    co.max_subflows = (uint8_t)o->max_subflows;
    co.sched = o->sched;
    co.pm = o->pm;
    return co;
}

static int cat_start_client(struct cat *c)
{
    umptcp_conn_opts co = cat_conn_opts(c->o);
    co.local_addr = c->o->tuns[c->tun_index].addr; /* the initial subflow's interface */
    int rc = umptcp_connect(c->stack, &c->remote, &co, host_clock_now(), &c->conn);
    if (rc != UMPTCP_OK) {
        c->conn = NULL;
        cat_fail(c, CAT_EXIT_FAIL, "cannot connect to %s: %s", c->peer_text,
                 rc == UMPTCP_ERR_INVAL && c->o->cc != NULL ? "invalid option (unknown --cc?)"
                                                            : umptcp_strerror(rc));
        return -1;
    }
    cat_pump_send(c);
    return 0;
}

static int cat_start_server(struct cat *c)
{
    umptcp_sockaddr local;
    memset(&local, 0, sizeof(local)); /* family NONE: every local address */
    local.port = c->o->port;
    umptcp_conn_opts co = cat_conn_opts(c->o);
    int rc = umptcp_listen(c->stack, &local, &co, &c->listener);
    if (rc != UMPTCP_OK) {
        c->listener = NULL;
        cat_fail(c, CAT_EXIT_FAIL, "cannot listen on port %u: %s", (unsigned)c->o->port,
                 rc == UMPTCP_ERR_ADDRINUSE                   ? "address in use"
                 : rc == UMPTCP_ERR_INVAL && c->o->cc != NULL ? "invalid option (unknown --cc?)"
                                                              : umptcp_strerror(rc));
        return -1;
    }
    if (c->o->verbose > 0)
        fprintf(stderr, "umptcp cat: listening on port %u\n", (unsigned)c->o->port);
    return 0;
}

/* --connect-timeout: the handshake (client) or the first connection (server) took too long. */
static void cat_on_connect_timeout(void *user, uint64_t now)
{
    struct cat *c = user;
    if (c->connected || c->finished)
        return;
    double secs = (double)c->o->connect_timeout_ms / 1000.0;
    c->abort_conn = true;
    if (c->o->listen)
        cat_fail(c, CAT_EXIT_FAIL, "no connection within %g s", secs);
    else
        cat_fail(c, CAT_EXIT_FAIL, "%s: connection timed out (not established within %g s)",
                 c->peer_text, secs);
}

static void cat_arm_connect_timeout(struct cat *c)
{
    if (c->o->connect_timeout_ms == 0)
        return;
    uint64_t when = host_clock_now() + c->o->connect_timeout_ms * HOST_NS_PER_MS;
    if (host_loop_timer_add(host_runtime_loop(c->rt), when, cat_on_connect_timeout, c, NULL) !=
        UMPTCP_OK)
        cat_fail(c, CAT_EXIT_FAIL, "cannot arm the connect timeout");
}

/* ---- set-up and tear-down ------------------------------------------------------------------ */

static int cat_setup(struct cat *c)
{
    char err[256];
    umptcp_config cfg;
    umptcp_config_init(&cfg);
    if (c->o->mss != 0)
        cfg.mss = c->o->mss;
    if (c->o->mtu != 0)
        cfg.mtu = (uint16_t)c->o->mtu;
    const struct host_runtime_config rc_cfg = {.stack = &cfg,
                                               .seeded = c->o->seeded,
                                               .seed = c->o->seed,
                                               .pcap_path = c->o->pcap,
                                               .mtu = c->o->mtu};
    if (host_runtime_new(&c->rt, &rc_cfg, err, sizeof(err)) != UMPTCP_OK) {
        fprintf(stderr, "umptcp cat: %s\n", err);
        return -1;
    }
    c->stack = host_runtime_stack(c->rt);
    umptcp_stack_set_event_cb(c->stack, cat_on_event, c);
    host_runtime_set_after(c->rt, cat_after, c);
    for (size_t i = 0; i < c->o->ntuns; i++) {
        const struct cat_tun *t = &c->o->tuns[i];
        if (host_runtime_add_tun(c->rt, t->dev, &t->addr, err, sizeof(err)) < 0) {
            cat_fail(c, CAT_EXIT_FAIL, "%s", err);
            return -1;
        }
        /* --backup: subflows from the device's address join with B=1 (RFC 8684 3.3.8). */
        if (t->backup && umptcp_stack_set_backup(c->stack, &t->addr, true) != UMPTCP_OK) {
            cat_fail(c, CAT_EXIT_FAIL, "cannot mark %s as a backup path", t->dev);
            return -1;
        }
    }
    uint64_t loss_seed = c->o->seed;
    if (!c->o->seeded && getentropy(&loss_seed, sizeof(loss_seed)) != 0)
        loss_seed = host_clock_now();
    if (host_runtime_set_loss(c->rt, c->o->loss_in, c->o->loss_out, loss_seed) != UMPTCP_OK) {
        cat_fail(c, CAT_EXIT_FAIL, "cannot inject loss");
        return -1;
    }
    if (cat_setup_signals(c) != 0) {
        cat_fail(c, CAT_EXIT_FAIL, "cannot set up signal handling: %s", strerror(errno));
        return -1;
    }
    if (cat_setup_fd(c, &c->in, STDIN_FILENO, CAT_IO_BUF) != UMPTCP_OK ||
        cat_setup_fd(c, &c->out, STDOUT_FILENO, CAT_IO_BUF) != UMPTCP_OK) {
        cat_fail(c, CAT_EXIT_FAIL, "cannot use standard input/output");
        return -1;
    }
    return 0;
}

/* Gives the connection back to the stack (or resets it) and lets the stack send what that
 * takes before the devices close. */
static void cat_release(struct cat *c)
{
    uint64_t now = host_clock_now();
    if (c->listener != NULL)
        umptcp_listener_close(c->listener, now);
    c->listener = NULL;
    if (c->conn == NULL)
        return;
    cat_snapshot(c);
    if (c->abort_conn || (c->exit_status != CAT_EXIT_OK && c->conn_error == 0))
        umptcp_conn_abort(c->conn, now);
    else
        umptcp_conn_close(c->conn, now);
    c->conn = NULL;
}

static void cat_teardown(struct cat *c)
{
    if (c->rt != NULL) {
        cat_restore_fd(c, &c->in);
        cat_restore_fd(c, &c->out);
        if (c->sigfd >= 0)
            host_loop_del_fd(host_runtime_loop(c->rt), c->sigfd);
    } else {
        free(c->in.buf);
        free(c->out.buf);
    }
    if (c->sigfd >= 0)
        close(c->sigfd);
    if (c->sigmask_saved)
        sigprocmask(SIG_SETMASK, &c->old_sigmask, NULL);
    host_runtime_free(c->rt);
}

int cat_run(const struct cat_opts *o)
{
    struct cat c;
    memset(&c, 0, sizeof(c));
    c.o = o;
    c.sigfd = -1;
    c.in.fd = c.out.fd = -1;
    c.start_ns = host_clock_now();
    snprintf(c.peer_text, sizeof(c.peer_text), "(no connection)");
    if (!o->listen) {
        /* Before any device is touched: a bad HOST costs nothing. */
        char err[256];
        if (cat_resolve(o, &c.remote, &c.tun_index, err, sizeof(err)) != 0) {
            fprintf(stderr, "umptcp cat: %s\n", err);
            return CAT_EXIT_FAIL;
        }
        cat_format_sockaddr(&c.remote, c.peer_text, sizeof(c.peer_text));
    }
    if (cat_setup(&c) == 0 && (o->listen ? cat_start_server(&c) : cat_start_client(&c)) == 0) {
        cat_arm_connect_timeout(&c);
        cat_progress_start(&c);
        int rc = host_runtime_run(c.rt, HOST_TIME_NONE);
        if (rc < 0)
            cat_fail(&c, CAT_EXIT_FAIL, "event loop failed: %s", umptcp_strerror(rc));
    }
    cat_progress_end(&c);
    cat_release(&c);
    if (c.rt != NULL && c.finished && c.errmsg[0] != '\0')
        fprintf(stderr, "umptcp cat: %s\n", c.errmsg);
    if (c.rt != NULL && o->stats != NULL && cat_write_stats(&c) != 0 &&
        c.exit_status == CAT_EXIT_OK)
        c.exit_status = CAT_EXIT_FAIL;
    if (o->verbose > 0 && c.rt != NULL)
        cat_report_summary(&c);
    int status = c.rt != NULL ? c.exit_status : CAT_EXIT_FAIL;
    cat_teardown(&c);
    return status;
}

static bool cat_unknown_name(const char *what, const char *name, const char *list)
{
    fprintf(stderr, "umptcp cat: unknown %s '%s' (available: %s) (try 'umptcp cat --help')\n", what,
            name, list);
    return false;
}

/* --cc, --sched and --pm name what the stack has: checked before any device is touched. */
static bool cat_names_known(const struct cat_opts *o)
{
    const struct {
        enum scn_ops_kind kind;
        const char *name;
    } given[] = {{SCN_OPS_CC, o->cc}, {SCN_OPS_SCHED, o->sched}, {SCN_OPS_PM, o->pm}};
    char list[128];
    for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
        if (given[i].name != NULL &&
            !scn_ops_name_known(given[i].kind, given[i].name, list, sizeof(list)))
            return cat_unknown_name(scn_ops_kind_name(given[i].kind), given[i].name, list);
    }
    return true;
}

int cmd_cat_main(int argc, char **argv)
{
    struct cat_opts o;
    bool help = false;
    int rc = cat_parse_args(argc, argv, &o, &help);
    if (rc != CAT_EXIT_OK || help)
        return rc;
    if (!cat_names_known(&o))
        return CAT_EXIT_USAGE;
    return cat_run(&o);
}
