/* umptcp cat: the running command's state, shared by cmd_cat.c and cmd_cat_report.c. */
#ifndef UMPTCP_TOOL_CMD_CAT_INTERNAL_H
#define UMPTCP_TOOL_CMD_CAT_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd_cat.h"
#include "host/runtime.h"
#include "umptcp/conn.h"
#include "umptcp/mptcp.h"

/* Bytes moved per read() of stdin or umptcp_conn_read(). */
#define CAT_IO_BUF (256 * 1024)

/* One side of the copy: stdin (bytes on their way into the connection) or stdout (bytes on
 * their way out of it). buf[off..len) is pending. */
struct cat_fd {
    int fd;
    bool pollable; /* registered with epoll; otherwise always ready (regular file) */
    bool watching; /* epoll interest is on */
    int saved_flags;
    bool flags_changed; /* O_NONBLOCK was added and must be removed at exit */
    uint8_t *buf;
    size_t cap, off, len;
};

struct cat {
    const struct cat_opts *o;
    struct host_runtime *rt;
    umptcp_stack *stack;
    umptcp_listener *listener;
    umptcp_conn *conn;
    umptcp_sockaddr remote; /* client: HOST PORT resolved */
    size_t tun_index;       /* client: the --tun of the first subflow */
    bool acceptable;        /* the listener said ACCEPTABLE */
    bool ev_connected;      /* events noted by the event callback, handled after the stack call */
    bool ev_readable;
    bool ev_writable;
    bool ev_closed;
    int ev_closed_error;
    bool connected;        /* handshake complete (or accepted) */
    bool stdin_eof;        /* read() gave 0 */
    bool shut_sent;        /* umptcp_conn_shutdown() done */
    bool recv_eof;         /* umptcp_conn_read() gave 0 */
    bool closed_cleanly;   /* CLOSED event with error 0 */
    bool abort_conn;       /* reset the connection at exit (local failure, signal) */
    int conn_error;        /* the error that closed the connection */
    umptcp_conn_info info; /* latest snapshot, kept for --stats after the handle is gone */
    bool have_info;
    umptcp_mptcp_info mptcp; /* ... of the MPTCP level and of every subflow */
    umptcp_subflow_info subflows[UMPTCP_MPTCP_MAX_SUBFLOWS];
    unsigned nsubflows;
    struct cat_fd in, out;
    uint64_t bytes_sent;     /* stdin bytes the connection took */
    uint64_t bytes_received; /* connection bytes read (written or pending to stdout) */
    char peer_text[UMPTCP_ADDR_STRLEN + 10];

    bool finished;
    int exit_status;
    char errmsg[320];

    int sigfd;
    sigset_t old_sigmask;
    bool sigmask_saved;

    uint64_t start_ns;
    bool progress;                 /* progress lines on stderr */
    uint64_t progress_timer;       /* loop timer id, 0 = none */
    uint64_t last_sent, last_recv; /* byte counts at the previous progress line */
    uint64_t last_progress_ns;
};

/* Ends the run with status and a one-line message (printed at exit). Only the first call
 * counts. */
void cat_fail(struct cat *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cat_pump_send(struct cat *c);
void cat_pump_recv(struct cat *c);

/* HOST and PORT of a client as a remote address, and which --tun carries the first subflow
 * (the first one of the address family). Returns 0, or -1 with a sentence in err. */
int cat_resolve(const struct cat_opts *o, umptcp_sockaddr *remote, size_t *tun_index, char *err,
                size_t errlen);
/* "10.0.0.1:80" or "[fd00::1]:80". */
void cat_format_sockaddr(const umptcp_sockaddr *sa, char *buf, size_t len);

/* ---- cmd_cat_report.c -------------------------------------------------------------------- */
void cat_report_connected(struct cat *c);
void cat_progress_start(struct cat *c);
void cat_progress_end(struct cat *c);
void cat_report_summary(struct cat *c);
/* Writes the --stats file; 0, or -1 after printing why it failed. */
int cat_write_stats(struct cat *c);

#endif
