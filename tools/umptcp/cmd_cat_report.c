/* umptcp cat: names and addresses, what the command tells people (progress, -v), and the
 * --stats file. */
#include "cmd_cat_internal.h"
#include "stats_json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/clock.h"
#include "host/loop.h"
#include "umptcp/error.h"

/* ---- addresses --------------------------------------------------------------------------- */

void cat_format_sockaddr(const umptcp_sockaddr *sa, char *buf, size_t len)
{
    char text[UMPTCP_ADDR_STRLEN];
    umptcp_addr_format(&sa->addr, text, sizeof(text));
    if (sa->addr.family == UMPTCP_AF_INET6)
        snprintf(buf, len, "[%s]:%u", text, (unsigned)sa->port);
    else
        snprintf(buf, len, "%s:%u", text, (unsigned)sa->port);
}

static bool cat_tun_of_family(const struct cat_opts *o, uint8_t family, size_t *index)
{
    for (size_t i = 0; i < o->ntuns; i++) {
        if (o->tuns[i].addr.family == family) {
            *index = i;
            return true;
        }
    }
    return false;
}

/* A name: the first address getaddrinfo() gives of a family some --tun has. */
static int cat_resolve_name(const struct cat_opts *o, umptcp_addr *out, size_t *tun_index,
                            char *err, size_t errlen)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(o->host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve '%s': %s", o->host, gai_strerror(rc));
        return -1;
    }
    int found = -1;
    for (struct addrinfo *ai = res; ai != NULL && found != 0; ai = ai->ai_next) {
        umptcp_addr a;
        memset(&a, 0, sizeof(a));
        if (ai->ai_family == AF_INET) {
            a.family = UMPTCP_AF_INET;
            memcpy(a.bytes, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
        } else if (ai->ai_family == AF_INET6) {
            a.family = UMPTCP_AF_INET6;
            memcpy(a.bytes, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
        } else {
            continue;
        }
        if (cat_tun_of_family(o, a.family, tun_index)) {
            *out = a;
            found = 0;
        }
    }
    freeaddrinfo(res);
    if (found != 0)
        snprintf(err, errlen, "'%s' has no address of the family of any --tun address", o->host);
    return found;
}

int cat_resolve(const struct cat_opts *o, umptcp_sockaddr *remote, size_t *tun_index, char *err,
                size_t errlen)
{
    memset(remote, 0, sizeof(*remote));
    remote->port = o->port;
    if (umptcp_addr_parse(&remote->addr, o->host) != UMPTCP_OK)
        return cat_resolve_name(o, &remote->addr, tun_index, err, errlen);
    if (!cat_tun_of_family(o, remote->addr.family, tun_index)) {
        snprintf(err, errlen, "cannot reach %s: no --tun address is IPv%d", o->host,
                 remote->addr.family == UMPTCP_AF_INET6 ? 6 : 4);
        return -1;
    }
    return 0;
}

/* ---- people ------------------------------------------------------------------------------ */

/* "MPTCP, token 0x...", "plain TCP" or "plain TCP (fallback: why)". */
static void cat_format_mode(const umptcp_mptcp_info *m, char *buf, size_t len)
{
    if (m->mptcp)
        snprintf(buf, len, "MPTCP, token %08" PRIx32 "%s", m->local_token,
                 m->checksum ? ", checksums" : "");
    else if (m->fallback != NULL)
        snprintf(buf, len, "plain TCP (fallback: %s)", m->fallback);
    else
        snprintf(buf, len, "plain TCP");
}

void cat_report_connected(struct cat *c)
{
    if (c->o->verbose == 0)
        return;
    umptcp_conn_info info;
    umptcp_mptcp_info m;
    if (umptcp_conn_get_info(c->conn, &info) != UMPTCP_OK ||
        umptcp_conn_get_mptcp_info(c->conn, &m) != UMPTCP_OK)
        return;
    char local[UMPTCP_ADDR_STRLEN + 10], remote[UMPTCP_ADDR_STRLEN + 10], mode[128];
    cat_format_sockaddr(&info.local, local, sizeof(local));
    cat_format_sockaddr(&info.remote, remote, sizeof(remote));
    cat_format_mode(&m, mode, sizeof(mode));
    fprintf(stderr, "umptcp cat: %s %s (local %s, %s, cc %s, mss %" PRIu32 ")\n",
            c->o->listen ? "accepted a connection from" : "connected to", remote, local, mode,
            info.cc != NULL ? info.cc : "?", info.mss);
}

/* "12.3 MB" */
static void cat_format_bytes(uint64_t n, char *buf, size_t len)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1000.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%" PRIu64 " B", n);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
}

static double cat_mbit_per_s(uint64_t bytes, uint64_t ns)
{
    return ns == 0 ? 0.0 : (double)bytes * 8.0 * 1000.0 / (double)ns;
}

static void cat_progress_line(struct cat *c, uint64_t now)
{
    uint64_t dt = now - c->last_progress_ns;
    char sent[32], recv[32];
    cat_format_bytes(c->bytes_sent, sent, sizeof(sent));
    cat_format_bytes(c->bytes_received, recv, sizeof(recv));
    fprintf(stderr, "\r\033[Ksent %s (%.1f Mbit/s), received %s (%.1f Mbit/s)", sent,
            cat_mbit_per_s(c->bytes_sent - c->last_sent, dt), recv,
            cat_mbit_per_s(c->bytes_received - c->last_recv, dt));
    fflush(stderr);
    c->last_sent = c->bytes_sent;
    c->last_recv = c->bytes_received;
    c->last_progress_ns = now;
}

static void cat_on_progress(void *user, uint64_t now)
{
    struct cat *c = user;
    c->progress_timer = 0;
    if (c->finished)
        return;
    cat_progress_line(c, now);
    host_loop_timer_add(host_runtime_loop(c->rt), now + HOST_NS_PER_SEC, cat_on_progress, c,
                        &c->progress_timer);
}

void cat_progress_start(struct cat *c)
{
    c->progress = !c->o->quiet && isatty(STDERR_FILENO);
    if (!c->progress)
        return;
    c->last_progress_ns = host_clock_now();
    host_loop_timer_add(host_runtime_loop(c->rt), c->last_progress_ns + HOST_NS_PER_SEC,
                        cat_on_progress, c, &c->progress_timer);
}

void cat_progress_end(struct cat *c)
{
    if (!c->progress)
        return;
    if (c->progress_timer != 0)
        host_loop_timer_cancel(host_runtime_loop(c->rt), c->progress_timer);
    c->progress_timer = 0;
    if (c->last_sent != 0 || c->last_recv != 0)
        fputs("\r\033[K", stderr); /* the message or summary that follows takes the line */
}

void cat_report_summary(struct cat *c)
{
    uint64_t dt = host_clock_now() - c->start_ns;
    char sent[32], recv[32];
    cat_format_bytes(c->bytes_sent, sent, sizeof(sent));
    cat_format_bytes(c->bytes_received, recv, sizeof(recv));
    fprintf(stderr,
            "umptcp cat: sent %s (%" PRIu64 " bytes), received %s (%" PRIu64 " bytes) in %.2f s",
            sent, c->bytes_sent, recv, c->bytes_received, (double)dt / 1e9);
    if (c->have_info)
        fprintf(stderr, "; %" PRIu64 " segments retransmitted, srtt %.2f ms, cwnd %" PRIu32,
                c->info.retrans_segs, (double)c->info.srtt_us / 1000.0, c->info.cwnd);
    fputc('\n', stderr);
    if (!c->have_info || !c->mptcp.requested)
        return;
    char mode[128];
    cat_format_mode(&c->mptcp, mode, sizeof(mode));
    fprintf(stderr, "umptcp cat: %s, %u subflow%s\n", mode, c->nsubflows,
            c->nsubflows == 1 ? "" : "s");
    for (unsigned i = 0; c->mptcp.mptcp && i < c->nsubflows; i++) {
        const umptcp_subflow_info *sf = &c->subflows[i];
        char local[UMPTCP_ADDR_STRLEN + 10], remote[UMPTCP_ADDR_STRLEN + 10];
        cat_format_sockaddr(&sf->tcp.local, local, sizeof(local));
        cat_format_sockaddr(&sf->tcp.remote, remote, sizeof(remote));
        fprintf(stderr,
                "umptcp cat:   %s -> %s%s%s: sent %" PRIu64 " B, received %" PRIu64 " B, %" PRIu64
                " retransmitted, srtt %.2f ms\n",
                local, remote, sf->backup ? " backup" : "", sf->peer_backup ? " peer-backup" : "",
                sf->tcp.bytes_sent, sf->tcp.bytes_received, sf->tcp.retrans_segs,
                (double)sf->tcp.srtt_us / 1000.0);
    }
}

/* ---- --stats ------------------------------------------------------------------------------ */

static const char *cat_iface_name_of(struct cat *c, int ifindex)
{
    struct host_runtime_iface_info ii;
    for (size_t i = 0; host_runtime_iface_info(c->rt, i, &ii) == UMPTCP_OK; i++)
        if (ii.ifindex == ifindex)
            return ii.name;
    return NULL;
}

/* The stack's MPTcpExt counters: with one connection, that connection's. */
static void cat_stats_mptcp_counters(struct stats_json *w, struct cat *c)
{
    size_t n = umptcp_stack_counters(c->stack, NULL, 0);
    umptcp_counter *all = calloc(n > 0 ? n : 1, sizeof(*all));
    stats_json_key(w, "mptcp_counters");
    stats_json_begin_object(w);
    if (all != NULL) {
        n = umptcp_stack_counters(c->stack, all, n);
        for (size_t i = 0; i < n; i++) {
            if (strncmp(all[i].name, "MPTcpExt", 8) != 0)
                continue;
            stats_json_key(w, all[i].name);
            stats_json_uint(w, all[i].value);
        }
    }
    stats_json_end_object(w);
    free(all);
}

static void cat_stats_connections(struct stats_json *w, struct cat *c)
{
    stats_json_key(w, "connections");
    stats_json_begin_array(w);
    if (c->have_info) {
        stats_json_begin_object(w);
        stats_json_conn_info_members(w, &c->info);
        stats_json_key(w, "app_bytes_in");
        stats_json_uint(w, c->bytes_sent);
        stats_json_key(w, "app_bytes_out");
        stats_json_uint(w, c->bytes_received);
        stats_json_mptcp_members(w, &c->mptcp);
        cat_stats_mptcp_counters(w, c);
        stats_json_key(w, "subflows");
        stats_json_begin_array(w);
        for (unsigned i = 0; i < c->nsubflows; i++) {
            stats_json_begin_object(w);
            stats_json_key(w, "interface");
            stats_json_string(w, cat_iface_name_of(c, c->subflows[i].ifindex));
            stats_json_subflow_members(w, &c->subflows[i]);
            stats_json_end_object(w);
        }
        stats_json_end_array(w);
        stats_json_end_object(w);
    }
    stats_json_end_array(w);
}

static void cat_stats_interfaces(struct stats_json *w, struct cat *c)
{
    stats_json_key(w, "interfaces");
    stats_json_begin_array(w);
    struct host_runtime_iface_info ii;
    for (size_t i = 0; host_runtime_iface_info(c->rt, i, &ii) == UMPTCP_OK; i++) {
        char text[UMPTCP_ADDR_STRLEN];
        const struct {
            const char *name;
            uint64_t v;
        } fields[] = {
            {"rx_packets", ii.stats.rx_packets},
            {"rx_bytes", ii.stats.rx_bytes},
            {"tx_packets", ii.stats.tx_packets},
            {"tx_bytes", ii.stats.tx_bytes},
            {"rx_loss_dropped", ii.stats.rx_loss_dropped},
            {"tx_loss_dropped", ii.stats.tx_loss_dropped},
            {"input_dropped", ii.input_dropped},
            {"pcap_errors", ii.stats.pcap_errors},
        };
        stats_json_begin_object(w);
        stats_json_key(w, "name");
        stats_json_string(w, ii.name);
        stats_json_key(w, "ifindex");
        stats_json_int(w, ii.ifindex);
        stats_json_key(w, "address");
        stats_json_string(w, umptcp_addr_format(&ii.addr, text, sizeof(text)));
        for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
            stats_json_key(w, fields[k].name);
            stats_json_uint(w, fields[k].v);
        }
        stats_json_end_object(w);
    }
    stats_json_end_array(w);
}

static void cat_stats_counters(struct stats_json *w, struct cat *c)
{
    size_t n = umptcp_stack_counters(c->stack, NULL, 0);
    umptcp_counter *all = calloc(n > 0 ? n : 1, sizeof(*all));
    stats_json_key(w, "counters");
    stats_json_begin_object(w);
    if (all != NULL) {
        n = umptcp_stack_counters(c->stack, all, n);
        for (size_t i = 0; i < n; i++) {
            stats_json_key(w, all[i].name);
            stats_json_uint(w, all[i].value);
        }
    }
    stats_json_end_object(w);
    free(all);
}

int cat_write_stats(struct cat *c)
{
    FILE *f = fopen(c->o->stats, "w");
    if (f == NULL) {
        fprintf(stderr, "umptcp cat: cannot write statistics to '%s': %s\n", c->o->stats,
                strerror(errno));
        return -1;
    }
    struct stats_json w;
    stats_json_init(&w, f);
    stats_json_begin_object(&w);
    stats_json_key(&w, "role");
    stats_json_string(&w, c->o->listen ? "server" : "client");
    stats_json_key(&w, "mptcp");
    stats_json_bool(&w, c->o->mptcp);
    stats_json_key(&w, "exit_status");
    stats_json_int(&w, c->exit_status);
    stats_json_key(&w, "error");
    if (c->errmsg[0] != '\0')
        stats_json_string(&w, c->errmsg);
    else
        stats_json_null(&w);
    stats_json_key(&w, "duration_us");
    stats_json_uint(&w, (host_clock_now() - c->start_ns) / HOST_NS_PER_US);
    cat_stats_connections(&w, c);
    cat_stats_interfaces(&w, c);
    cat_stats_counters(&w, c);
    stats_json_end_object(&w);
    int rc = stats_json_finish(&w);
    if (fclose(f) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "umptcp cat: cannot write statistics to '%s'\n", c->o->stats);
    return rc;
}
