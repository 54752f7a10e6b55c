/* A small streaming JSON writer (RFC 8259) for the tools' --stats files, and the pieces of
 * the statistics every tool writes the same way (connection info, interfaces, counters).
 *
 * Values are written in document order; the writer inserts commas, indentation and quotes.
 * Strings are escaped: quote, backslash and control characters always, and bytes that are not
 * valid UTF-8 become U+FFFD, so the output is valid JSON whatever the input. Write errors and
 * misuse (a value where a key is due, too deep nesting) are remembered and reported by
 * stats_json_finish(). */
#ifndef UMPTCP_TOOL_STATS_JSON_H
#define UMPTCP_TOOL_STATS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "umptcp/conn.h"
#include "umptcp/mptcp.h"

#define STATS_JSON_MAX_DEPTH 16

struct stats_json {
    FILE *f;
    int depth;
    bool in_object[STATS_JSON_MAX_DEPTH]; /* per level: object (true) or array */
    bool has_items[STATS_JSON_MAX_DEPTH];
    bool key_pending; /* inside an object: a key was written, its value is due */
    bool failed;
};

void stats_json_init(struct stats_json *w, FILE *f);
void stats_json_begin_object(struct stats_json *w);
void stats_json_end_object(struct stats_json *w);
void stats_json_begin_array(struct stats_json *w);
void stats_json_end_array(struct stats_json *w);
void stats_json_key(struct stats_json *w, const char *key);
void stats_json_string(struct stats_json *w, const char *s);
/* len bytes of s, which may contain NUL bytes. */
void stats_json_string_n(struct stats_json *w, const char *s, size_t len);
void stats_json_uint(struct stats_json *w, uint64_t v);
void stats_json_int(struct stats_json *w, int64_t v);
void stats_json_bool(struct stats_json *w, bool v);
void stats_json_null(struct stats_json *w);
/* Ends the document with a newline. Returns 0, or -1 after misuse, unbalanced nesting or a
 * write error. */
int stats_json_finish(struct stats_json *w);

/* ---- shared pieces of the --stats documents ------------------------------------------ */

/* Members "address" and "port". */
void stats_json_sockaddr(struct stats_json *w, const char *key, const umptcp_sockaddr *sa);
/* The members of one connection or subflow: local, remote, state, bytes_sent, bytes_acked,
 * bytes_received, retrans_segs, srtt_us, cwnd and the rest of umptcp_conn_info. */
void stats_json_conn_info_members(struct stats_json *w, const umptcp_conn_info *info);
/* What a connection tells of MPTCP: mptcp (in use), fallback (null or the reason),
 * checksum, local_token, remote_token, max_subflows, sched, pm, remote_addrs, announced. */
void stats_json_mptcp_members(struct stats_json *w, const umptcp_mptcp_info *m);
/* The members of one subflow: initial, join, usable, local_id, remote_id, backup,
 * peer_backup, then those of stats_json_conn_info_members() for its TCP connection. */
void stats_json_subflow_members(struct stats_json *w, const umptcp_subflow_info *sf);

#endif
