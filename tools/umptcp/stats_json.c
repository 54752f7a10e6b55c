#include "stats_json.h"

#include <inttypes.h>
#include <string.h>

#include "umptcp/error.h"

void stats_json_init(struct stats_json *w, FILE *f)
{
    memset(w, 0, sizeof(*w));
    w->f = f;
}

static void stats_json_put(struct stats_json *w, const char *s)
{
    if (fputs(s, w->f) < 0)
        w->failed = true;
}

static void stats_json_newline(struct stats_json *w)
{
    stats_json_put(w, "\n");
    for (int i = 0; i < w->depth; i++)
        stats_json_put(w, "  ");
}

/* Before any value: the comma and indentation inside an array, or checks that a key came
 * first inside an object. */
static void stats_json_before_value(struct stats_json *w)
{
    if (w->depth == 0)
        return;
    int level = w->depth - 1;
    if (w->in_object[level]) {
        if (!w->key_pending)
            w->failed = true;
        w->key_pending = false;
        return;
    }
    if (w->has_items[level])
        stats_json_put(w, ",");
    w->has_items[level] = true;
    stats_json_newline(w);
}

static void stats_json_open(struct stats_json *w, bool object)
{
    stats_json_before_value(w);
    if (w->depth >= STATS_JSON_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    stats_json_put(w, object ? "{" : "[");
    w->in_object[w->depth] = object;
    w->has_items[w->depth] = false;
    w->depth++;
}

static void stats_json_close(struct stats_json *w, bool object)
{
    if (w->depth == 0 || w->in_object[w->depth - 1] != object || w->key_pending) {
        w->failed = true;
        return;
    }
    w->depth--;
    if (w->has_items[w->depth])
        stats_json_newline(w);
    stats_json_put(w, object ? "}" : "]");
}

void stats_json_begin_object(struct stats_json *w)
{
    stats_json_open(w, true);
}

void stats_json_end_object(struct stats_json *w)
{
    stats_json_close(w, true);
}

void stats_json_begin_array(struct stats_json *w)
{
    stats_json_open(w, false);
}

void stats_json_end_array(struct stats_json *w)
{
    stats_json_close(w, false);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629 4: no overlongs, no surrogates, nothing
 * above U+10FFFF), or 0 when the bytes there are not one. */
static size_t stats_json_utf8_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (avail < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

/* RFC 8259 7: quote, backslash and U+0000..U+001F must be escaped. */
static void stats_json_escaped(struct stats_json *w, const unsigned char *s, size_t len)
{
    stats_json_put(w, "\"");
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            snprintf(esc, sizeof(esc), "\\%c", c);
        } else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
            snprintf(esc, sizeof(esc), "\\%c",
                     c == '\n'   ? 'n'
                     : c == '\r' ? 'r'
                     : c == '\t' ? 't'
                     : c == '\b' ? 'b'
                                 : 'f');
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
        } else if (c < 0x80) {
            esc[0] = (char)c;
            esc[1] = '\0';
        } else {
            size_t n = stats_json_utf8_len(s + i, len - i);
            if (n == 0) {
                stats_json_put(w, "\\ufffd");
                i++;
                continue;
            }
            if (fwrite(s + i, 1, n, w->f) != n)
                w->failed = true;
            i += n;
            continue;
        }
        stats_json_put(w, esc);
        i++;
    }
    stats_json_put(w, "\"");
}

void stats_json_key(struct stats_json *w, const char *key)
{
    if (w->depth == 0 || !w->in_object[w->depth - 1] || w->key_pending) {
        w->failed = true;
        return;
    }
    int level = w->depth - 1;
    if (w->has_items[level])
        stats_json_put(w, ",");
    w->has_items[level] = true;
    stats_json_newline(w);
    stats_json_escaped(w, (const unsigned char *)key, strlen(key));
    stats_json_put(w, ": ");
    w->key_pending = true;
}

void stats_json_string_n(struct stats_json *w, const char *s, size_t len)
{
    stats_json_before_value(w);
    stats_json_escaped(w, (const unsigned char *)s, len);
}

void stats_json_string(struct stats_json *w, const char *s)
{
    if (s == NULL) {
        stats_json_null(w);
        return;
    }
    stats_json_string_n(w, s, strlen(s));
}

void stats_json_uint(struct stats_json *w, uint64_t v)
{
    stats_json_before_value(w);
    if (fprintf(w->f, "%" PRIu64, v) < 0)
        w->failed = true;
}

void stats_json_int(struct stats_json *w, int64_t v)
{
    stats_json_before_value(w);
    if (fprintf(w->f, "%" PRId64, v) < 0)
        w->failed = true;
}

void stats_json_bool(struct stats_json *w, bool v)
{
    stats_json_before_value(w);
    stats_json_put(w, v ? "true" : "false");
}

void stats_json_null(struct stats_json *w)
{
    stats_json_before_value(w);
    stats_json_put(w, "null");
}

int stats_json_finish(struct stats_json *w)
{
    if (w->depth != 0 || w->key_pending)
        w->failed = true;
    stats_json_put(w, "\n");
    if (fflush(w->f) != 0)
        w->failed = true;
    return w->failed ? -1 : 0;
}

/* ---- shared pieces ---------------------------------------------------------------------- */

void stats_json_sockaddr(struct stats_json *w, const char *key, const umptcp_sockaddr *sa)
{
    char text[UMPTCP_ADDR_STRLEN];
    stats_json_key(w, key);
    stats_json_begin_object(w);
    stats_json_key(w, "address");
    if (sa->addr.family == UMPTCP_AF_NONE)
        stats_json_null(w);
    else
        stats_json_string(w, umptcp_addr_format(&sa->addr, text, sizeof(text)));
    stats_json_key(w, "port");
    stats_json_uint(w, sa->port);
    stats_json_end_object(w);
}

static void stats_json_member_uint(struct stats_json *w, const char *key, uint64_t v)
{
    stats_json_key(w, key);
    stats_json_uint(w, v);
}

void stats_json_conn_info_members(struct stats_json *w, const umptcp_conn_info *info)
{
    stats_json_sockaddr(w, "local", &info->local);
    stats_json_sockaddr(w, "remote", &info->remote);
    stats_json_key(w, "state");
    stats_json_string(w, umptcp_conn_state_name(info->state));
    stats_json_member_uint(w, "bytes_sent", info->bytes_sent);
    stats_json_member_uint(w, "bytes_acked", info->bytes_acked);
    stats_json_member_uint(w, "bytes_received", info->bytes_received);
    stats_json_member_uint(w, "segs_out", info->segs_out);
    stats_json_member_uint(w, "segs_in", info->segs_in);
    stats_json_member_uint(w, "retrans_segs", info->retrans_segs);
    stats_json_member_uint(w, "srtt_us", info->srtt_us);
    stats_json_member_uint(w, "rttvar_us", info->rttvar_us);
    stats_json_member_uint(w, "rto_us", info->rto_us);
    stats_json_member_uint(w, "cwnd", info->cwnd);
    stats_json_member_uint(w, "ssthresh", info->ssthresh);
    stats_json_member_uint(w, "mss", info->mss);
    stats_json_member_uint(w, "snd_wnd", info->snd_wnd);
    stats_json_member_uint(w, "rcv_wnd", info->rcv_wnd);
    stats_json_key(w, "cc");
    stats_json_string(w, info->cc);
    stats_json_key(w, "error");
    if (info->error == 0)
        stats_json_null(w);
    else
        stats_json_string(w, umptcp_strerror(info->error));
}

static void stats_json_member_bool(struct stats_json *w, const char *key, bool v)
{
    stats_json_key(w, key);
    stats_json_bool(w, v);
}

static void stats_json_member_string(struct stats_json *w, const char *key, const char *v)
{
    stats_json_key(w, key);
    stats_json_string(w, v); /* NULL: null */
}

void stats_json_mptcp_members(struct stats_json *w, const umptcp_mptcp_info *m)
{
    stats_json_member_bool(w, "mptcp", m->mptcp);
    stats_json_member_string(w, "fallback", m->fallback);
    stats_json_member_bool(w, "checksum", m->checksum);
    stats_json_member_uint(w, "local_token", m->local_token);
    stats_json_member_uint(w, "remote_token", m->remote_token);
    stats_json_member_uint(w, "max_subflows", m->max_subflows);
    stats_json_member_string(w, "sched", m->sched);
    stats_json_member_string(w, "pm", m->pm);
    stats_json_member_uint(w, "remote_addrs", m->remote_addrs);
    stats_json_member_uint(w, "announced", m->announced);
}

void stats_json_subflow_members(struct stats_json *w, const umptcp_subflow_info *sf)
{
    stats_json_member_uint(w, "id", sf->id);
    stats_json_member_bool(w, "initial", sf->initial);
    stats_json_member_bool(w, "join", sf->join);
    stats_json_member_bool(w, "usable", sf->usable);
    stats_json_member_uint(w, "local_id", sf->local_id);
    stats_json_member_uint(w, "remote_id", sf->remote_id);
    stats_json_member_bool(w, "backup", sf->backup);
    stats_json_member_bool(w, "peer_backup", sf->peer_backup);
    stats_json_conn_info_members(w, &sf->tcp);
}
