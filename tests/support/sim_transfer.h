/* Bulk-transfer harness for simulator scenarios (tests only, prefix st_).
 *
 * Topology: a client host and a server host (both real umptcp stacks, src/sim/sim_stack.h)
 * joined by npaths independent paths. With server_addrs 0 (per-path topology), path i
 * (0-based) is
 *
 *     client if(i+1) --access--> router "r<i>" --bottleneck fwd--> server if(i+1)
 *     client if(i+1) <--access-- router "r<i>" <--bottleneck rev-- server if(i+1)
 *
 * Access links are unlimited and instantaneous; everything a direction of a path does to
 * packets (rate, one-way delay, drop-tail queue, loss, reordering, duplication) happens on its
 * bottleneck link, i.e. in the router's queue, as on a real path. Addresses of path i:
 * client 10.<i+1>.1.1 (fd00:<i+1>:1::1), server 10.<i+1>.2.1 (fd00:<i+1>:2::1). Every router
 * routes all client subnets toward the client and all server subnets toward the server, so a
 * packet between any client address and any server address can take any path (MPTCP): it
 * leaves by the path of its source address.
 *
 * With server_addrs M > 0 (switch topology), the server has M addresses 10.<k+1>.2.1
 * (fd00:<k+1>:2::1), k < M, behind one router "rs" (the switch), and every path ends there:
 *
 *     client if(i+1) <--> router "r<i>" <--bottleneck fwd / rev--> rs <--> server if(k+1)
 *
 * The switch routes client subnet i to path i, so every packet of a connection between client
 * address i and any server address crosses path i both ways: the paths are the client's
 * access networks (say Wi-Fi and cellular) and the server sits on a well-connected network.
 * The client connects to server address 0. Links server<->rs are unlimited and unimpaired.
 *
 * Transfer: the server listens, the client connects from its address on path connect_path
 * (bound explicitly: a stack's addresses carry no prefix, so it cannot choose by destination)
 * to the server's address on that path. Each side writes its bytes (deterministic pseudo-random
 * content from the seed and the direction) as fast as the send buffer allows (WRITABLE events),
 * reads on READABLE, shuts down once everything is written, and closes when the peer has closed and
 * its own writing is done. The receiver checks every byte against the content at its offset and
 * hashes what arrived (SHA-256). Only the public API of umptcp is used.
 *
 * Everything is bounded: simulated time (time_limit_ns), simulator events (max_events), and
 * the result says clearly why a run failed. */
#ifndef UMPTCP_TESTS_SIM_TRANSFER_H
#define UMPTCP_TESTS_SIM_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/sim_link.h"
#include "sim/sim_world.h"
#include "umptcp/conn.h"
#include "umptcp/stack.h"

#define ST_MAX_PATHS 4
#define ST_MAX_TIMED 16
#define ST_MAX_COUNTERS 256

/* One direction of a path (its bottleneck link). */
struct st_dir_config {
    uint64_t rate_bps;    /* 0 = unlimited */
    uint64_t delay_ns;    /* one-way propagation delay */
    uint64_t queue_bytes; /* drop-tail queue (bytes waiting); 0 = SIM_LINK_DEFAULT_QUEUE_BYTES */
    double loss;          /* probabilities in [0, 1] */
    double reorder;
    uint64_t reorder_delay_ns; /* extra delay of a reordered packet (needed when reorder > 0) */
    double duplicate;
    /* Optional middlebox at the exit of this direction's bottleneck link (sim_link.h). */
    sim_middlebox_fn middlebox;
    void *middlebox_user;
};

struct st_path {
    struct st_dir_config fwd; /* client -> server */
    struct st_dir_config rev; /* server -> client */
};

enum st_dir { ST_DIR_BOTH, ST_DIR_FWD, ST_DIR_REV };

enum st_action {
    ST_ACT_LINK_DOWN, /* the path's bottleneck link(s) go down: queued and flying packets lost */
    ST_ACT_LINK_UP,
    ST_ACT_SET_RATE,  /* value = bits/s */
    ST_ACT_SET_DELAY, /* value = ns */
    ST_ACT_SET_LOSS,  /* p = probability */
    /* The client's address on path `path` (the server's address number `path` with
     * ST_DIR_REV) is removed from its stack: umptcp_stack_remove_address (REMOVE_ADDR). */
    ST_ACT_REMOVE_ADDR,
};

/* Something done to a path at a simulated time. */
struct st_timed {
    uint64_t at_ns;
    enum st_action action;
    size_t path;
    enum st_dir dir;
    uint64_t value;
    double p;
};

/* One side's stack and connection choices. */
struct st_side {
    const umptcp_config *stack_cfg; /* NULL: umptcp_config_init defaults */
    const char *cc;                 /* congestion control by name; NULL: stack default */
    bool nodelay;
    uint32_t sndbuf, rcvbuf; /* per-connection buffers; 0: stack defaults */
    bool mptcp;              /* connect / listen with MPTCP (RFC 8684) */
    bool mptcp_checksum;     /* ask for DSS checksums */
};

struct st_config {
    uint64_t seed; /* world seed; also seeds the content */
    size_t npaths; /* 1..ST_MAX_PATHS */
    /* 0: server address i at the end of path i; 1..ST_MAX_PATHS: that many server addresses
     * behind a switch every path reaches (see the topologies above). */
    size_t server_addrs;
    struct st_path paths[ST_MAX_PATHS];
    struct st_timed timed[ST_MAX_TIMED];
    size_t ntimed;
    struct st_side client, server;
    uint64_t bytes_c2s; /* client -> server */
    uint64_t bytes_s2c; /* server -> client, at the same time */
    bool ipv6;
    size_t connect_path;    /* the client connects over this path (both its addresses) */
    uint16_t port;          /* 0: 5201 */
    uint64_t start_ns;      /* when the client connects; 0 is fine */
    uint64_t time_limit_ns; /* simulated; 0: 600 s */
    uint64_t max_events;    /* simulator events; 0: 200 million */
    uint64_t linger_ns;     /* simulated time run after both sides closed; 0: 1 s */
    /* Optional captures: every packet the client (server) host sends and receives. */
    const char *pcap_client;
    const char *pcap_server;
    /* Optional: every send, delivery and drop of the world (sim_world_set_trace). */
    sim_trace_fn trace;
    void *trace_user;
    /* Optional: called at the end of the run, before the world (and the stacks) are freed, with
     * the connections still open (NULL once closed), to look inside. */
    void (*at_end)(void *user, umptcp_stack *client, umptcp_stack *server);
    void *at_end_user;
};

/* Fills cfg with one symmetric clean path (unlimited), 1 MB client -> server, seed 1. */
void st_config_init(struct st_config *cfg);
/* Sets both directions of path i to rate, one-way delay and queue (other fields zero). */
void st_path_symmetric(struct st_config *cfg, size_t i, uint64_t rate_bps, uint64_t delay_ns,
                       uint64_t queue_bytes);
/* Appends a timed action; aborts the test when ST_MAX_TIMED are used. */
void st_add_timed(struct st_config *cfg, uint64_t at_ns, enum st_action action, size_t path,
                  enum st_dir dir, uint64_t value, double p);

enum st_failure {
    ST_OK = 0,
    ST_FAIL_SETUP,       /* building the world or a listen/connect call failed */
    ST_FAIL_TIMEOUT,     /* the simulated time limit came first */
    ST_FAIL_EVENT_LIMIT, /* the simulator event budget ran out */
    ST_FAIL_SIM,         /* the simulator itself failed */
    ST_FAIL_RESET,       /* a connection was reset, timed out or refused */
    ST_FAIL_MISMATCH,    /* a received byte differs from the byte sent at that offset */
    ST_FAIL_MISSING,     /* end of stream before all bytes arrived */
    ST_FAIL_EXTRA,       /* more bytes arrived than were sent */
    ST_FAIL_API,         /* an API call returned an error it should not have */
};
const char *st_failure_name(enum st_failure f);

/* One direction of the transfer, as its receiver saw it. */
struct st_flow_result {
    uint64_t bytes_sent;                  /* taken by umptcp_conn_write */
    uint64_t bytes_received;              /* returned by umptcp_conn_read */
    bool eof;                             /* the receiver read the end of stream */
    bool complete;                        /* eof, all bytes, every byte right */
    uint64_t first_byte_ns, last_byte_ns; /* arrival (read) times; 0 = none */
    double goodput_bps;                   /* bytes * 8 / (last_byte - connect time) */
    uint64_t mismatch_offset;             /* UINT64_MAX when none */
    char sha_sent[65], sha_received[65];
};

/* One endpoint (client or server connection). */
struct st_conn_result {
    bool opened;           /* connected (client) / accepted (server) */
    bool have_info;        /* info below is valid */
    umptcp_conn_info info; /* taken just before close, or at the end of the run */
    int error;             /* CLOSED event error or an error read/write returned */
    uint64_t connected_ns; /* CONNECTED / accept time */
    uint64_t closed_ns;    /* when the harness called umptcp_conn_close */
    uint64_t writable_events, readable_events;
};

struct st_stack_result {
    umptcp_counter counters[ST_MAX_COUNTERS];
    size_t ncounters;
};

struct st_link_result {
    uint64_t sent_packets, delivered_packets;
    uint64_t drop_queue, drop_loss, drop_down;
    uint64_t duplicated, reordered;
    uint64_t queue_high_water_bytes;
};

struct st_result {
    enum st_failure failure;
    char reason[512];    /* one line on what went wrong, empty when ST_OK */
    uint64_t start_ns;   /* when connect was called (the first SYN left) */
    uint64_t done_ns;    /* when both directions completed; 0 if they did not */
    uint64_t end_ns;     /* simulated time when the harness stopped */
    uint64_t events;     /* simulator events processed */
    double wall_seconds; /* real time the run took */
    struct st_flow_result c2s, s2c;
    struct st_conn_result client, server;
    struct st_stack_result client_stack, server_stack;
    struct st_link_result fwd[ST_MAX_PATHS], rev[ST_MAX_PATHS]; /* bottleneck links */
};

/* Builds the world, runs the transfer, fills *res (always) and frees everything. Returns
 * res->failure. */
enum st_failure st_run(const struct st_config *cfg, struct st_result *res);

/* A counter of the client's (server's) stack at the end; UINT64_MAX when unknown. */
uint64_t st_client_counter(const struct st_result *res, const char *name);
uint64_t st_server_counter(const struct st_result *res, const char *name);

/* A readable multi-line summary (failure, flows, connections, links, non-zero counters). */
void st_result_print(const struct st_config *cfg, const struct st_result *res, FILE *out);

#endif
