/* A test bed of two umptcp stacks joined by an in-process wire, with virtual time.
 *
 * Stack A is 10.0.0.1, stack B is 10.0.0.2 (both on interface 1). Each direction of the wire
 * has a one-way delay and an optional rate (serialisation: a packet leaves when the previous
 * one has, then takes len * 8 / rate); packets are delivered in order of arrival time, FIFO
 * among equal times. A filter per direction sees every packet as it is sent and may pass,
 * drop or rewrite it; a trace callback sees every packet sent (parsed) with its fate. Events
 * of both stacks are forwarded to one callback with the side they came from.
 *
 * Everything is bounded: the wire holds at most TP_WIRE_MAX packets (more are refused as a
 * send error, which the stack counts) and every run loop stops at a time limit and a step
 * limit. Include after cmocka's prerequisites and cmocka.h (failures use cmocka asserts). */
#ifndef UMPTCP_TESTS_TCP_PAIR_H
#define UMPTCP_TESTS_TCP_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umptcp/conn.h"
#include "umptcp/stack.h"
#include "wire/segment.h"

#define TP_MS 1000000ull
#define TP_SEC 1000000000ull
#define TP_A 0
#define TP_B 1
#define TP_WIRE_MAX 200000
#define TP_STEP_MAX 20000000u

struct tcp_pair;

/* A packet on its way, as a filter sees it: the bytes may be replaced (tp_packet_rewrite). */
struct tp_packet {
    uint8_t *data;
    size_t len;
};

enum tp_verdict { TP_PASS, TP_DROP };

/* Called for each packet sent by side `from` at pair->now, with its parsed form (seg is NULL
 * when it does not parse). Return TP_DROP to lose it. */
typedef enum tp_verdict (*tp_filter_fn)(void *user, struct tcp_pair *p, int from,
                                        struct tp_packet *pkt, const struct wire_segment *seg);

/* What the trace callback sees for every packet sent (after the filter). */
struct tp_trace {
    int from;                       /* TP_A or TP_B */
    uint64_t sent_at;               /* virtual time it was sent */
    uint64_t arrive_at;             /* when it will be delivered; 0 when dropped */
    bool dropped;                   /* by the filter or because the wire was full */
    bool injected;                  /* put on the wire by tp_inject, not by a stack */
    const struct wire_segment *seg; /* NULL when the bytes do not parse */
    const uint8_t *data;
    size_t len;
};
typedef void (*tp_trace_fn)(void *user, struct tcp_pair *p, const struct tp_trace *t);

/* A stack event, with the side (TP_A / TP_B) whose stack raised it. */
typedef void (*tp_event_fn)(void *user, struct tcp_pair *p, int side, umptcp_conn *c,
                            const umptcp_event *ev);

struct tp_config {
    umptcp_config cfg[2]; /* per side; tp_config_init fills defaults (TIME_WAIT 1 s) */
    uint64_t delay_ns[2]; /* one-way delay of the direction leaving side i [10 ms] */
    uint64_t rate_bps[2]; /* 0 = no serialisation delay [0] */
    uint32_t seed;        /* of both stacks' randomness [1] */
};

struct tp_wire_pkt {
    uint64_t at;
    uint64_t order;
    int to;
    size_t len;
    uint8_t *data;
};

struct tcp_pair {
    umptcp_stack *st[2];
    umptcp_addr addr[2];
    uint64_t now;
    struct tp_config conf;
    /* the wire */
    struct tp_wire_pkt *q;
    size_t nq, cap;
    uint64_t order;
    uint64_t busy_until[2]; /* serialisation per direction */
    uint32_t rng[2];
    unsigned sent[2]; /* packets sent per side (incl. dropped) */
    /* the test's hooks */
    tp_filter_fn filter[2];
    void *filter_user[2];
    tp_trace_fn trace;
    void *trace_user;
    tp_event_fn on_event;
    void *event_user;
};

void tp_config_init(struct tp_config *c);
/* Creates both stacks and their addresses. Fails the test when anything goes wrong. */
struct tcp_pair *tp_new(const struct tp_config *c);
void tp_free(struct tcp_pair *p);

void tp_set_filter(struct tcp_pair *p, int from, tp_filter_fn fn, void *user);
void tp_set_trace(struct tcp_pair *p, tp_trace_fn fn, void *user);
void tp_set_event_cb(struct tcp_pair *p, tp_event_fn fn, void *user);

/* Replaces a filtered packet by one built from spec (for rewriting headers or options). */
void tp_packet_rewrite(struct tp_packet *pkt, const struct wire_segment_spec *spec);
/* Builds a packet from spec and puts it on the wire as if side `from` had sent it now
 * (no filter; traced with injected set). */
void tp_inject(struct tcp_pair *p, int from, const struct wire_segment_spec *spec);

/* Socket address of a side with a port. */
umptcp_sockaddr tp_sockaddr(const struct tcp_pair *p, int side, uint16_t port);
/* Listens on `port` of a side / connects from A to B's `port` at p->now. Fail the test on
 * error. */
umptcp_listener *tp_listen(struct tcp_pair *p, int side, uint16_t port,
                           const umptcp_conn_opts *opts);
umptcp_conn *tp_connect(struct tcp_pair *p, int from, uint16_t port, const umptcp_conn_opts *opts);

/* One step: delivers the next packet or fires the next timer, whichever is first, if it is
 * due at or before limit. Returns false when nothing is due by then. */
bool tp_step(struct tcp_pair *p, uint64_t limit);
/* Runs until nothing is left or the next thing is after limit (absolute time). */
void tp_run(struct tcp_pair *p, uint64_t limit);
/* Runs until pred holds (checked before each step) or the limit passes; returns pred's last
 * value. */
typedef bool (*tp_pred_fn)(struct tcp_pair *p, void *arg);
bool tp_run_until(struct tcp_pair *p, tp_pred_fn pred, void *arg, uint64_t limit);
/* Runs everything due up to t and then sets the clock to t (t >= now). */
void tp_run_to(struct tcp_pair *p, uint64_t t);

/* A counter of a side's stack (fails the test for an unknown name). */
uint64_t tp_counter(const struct tcp_pair *p, int side, const char *name);
umptcp_conn_state tp_state(const umptcp_conn *c);

/* ---- byte streams checked by SHA-256 ---------------------------------------------------- */

struct tp_stream {
    uint8_t *src; /* what the writer sends (a deterministic pattern) */
    size_t total, written;
    bool shutdown_after; /* writer: shut down once everything is written */
    bool shut;
    size_t received;
    bool eof;       /* reader saw end of stream */
    int read_error; /* reader saw an error other than AGAIN */
    void *hash;     /* EVP_MD_CTX of what was read */
};

void tp_stream_init(struct tp_stream *s, size_t total, uint32_t seed);
void tp_stream_free(struct tp_stream *s);
/* Writes as much as the connection takes; shuts down at the end when asked to. Returns the
 * bytes taken by this call. */
size_t tp_stream_write(struct tp_stream *s, umptcp_conn *c, uint64_t now);
/* Reads everything readable (up to max bytes, SIZE_MAX = all) into the hash. */
size_t tp_stream_read(struct tp_stream *s, umptcp_conn *c, size_t max, uint64_t now);
/* Fails the test unless exactly src was read (length and SHA-256). */
void tp_stream_check(struct tp_stream *s);
/* Fails the test unless what was read is the start of src (SHA-256 of that many bytes). */
void tp_stream_check_prefix(struct tp_stream *s);

#endif
