/* MPTCP transfers in the simulator (tests only, prefix sm_): the bulk-transfer harness of
 * sim_transfer.h with MPTCP on both sides, plus what only a multipath run needs to show:
 *
 *   - per-subflow figures from each sender's view: every TCP segment a host sends is seen as
 *     it enters its first link (sim_world_set_trace), attributed to its subflow (4-tuple) and
 *     split into new and retransmitted payload bytes (by the subflow's highest sequence sent);
 *     byte counts are also split into phases at given simulated times (marks), e.g. before,
 *     during and after a path outage;
 *   - what crossed the wire for address signalling (ADD_ADDR announcements and echoes);
 *   - MPTCP-aware middleboxes for the paths (e.g. dropping the first ADD_ADDRs).
 *
 * Typical use:
 *     struct sm_config cfg;
 *     sm_config_init(&cfg, 2, 1);      two client paths, one server address behind a switch
 *     st_path_symmetric(&cfg.st, 0, 50 * MBIT, 10 * MS, 0);  ...
 *     cfg.st.bytes_c2s = 50 * MIB;
 *     struct sm_result *res = sm_result_new();
 *     sm_run(&cfg, res);  sm_result_print(&cfg, res, stdout);  ...  free(res);
 *
 * Subflow i of the result is the i-th 4-tuple a host sent a SYN (or SYN/ACK) on; its `path`
 * is the path of its client address (in the switch topology every packet of it crosses that
 * path). */
#ifndef UMPTCP_TESTS_SIM_MPTCP_H
#define UMPTCP_TESTS_SIM_MPTCP_H

#include "sim_transfer.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SM_MAX_SUBFLOWS 16
#define SM_MAX_MARKS 4
/* A data segment below RFC 9293's default MSS is "short": in bulk transfers only the last
 * one of a burst or a repair should be. */
#define SM_SHORT_SEG 536

/* What one host sent on one subflow. */
struct sm_dir_stats {
    uint64_t segs;                          /* TCP segments (all) */
    uint64_t data_segs;                     /* segments with payload */
    uint64_t short_segs;                    /* ... of fewer than SM_SHORT_SEG bytes */
    uint64_t bytes;                         /* payload bytes (new and again) */
    uint64_t new_bytes;                     /* payload beyond the highest sequence sent before */
    uint64_t retrans_bytes;                 /* payload at or below it (retransmissions) */
    uint64_t first_data_ns, last_data_ns;   /* 0 = none */
    uint64_t phase_bytes[SM_MAX_MARKS + 1]; /* new bytes sent in [mark k-1, mark k) */
    bool fin, rst;
    /* internal: the highest sequence number sent + 1 (valid once started) */
    bool started;
    uint32_t snd_max;
};

struct sm_subflow {
    umptcp_sockaddr client, server; /* its two ends */
    size_t path;                    /* the path of its client address */
    bool join;                      /* opened with MP_JOIN (else MP_CAPABLE or plain) */
    uint64_t opened_ns;             /* its SYN */
    struct sm_dir_stats c2s, s2c;   /* sent by the client / by the server */
};

struct sm_config {
    struct st_config st;
    uint64_t marks[SM_MAX_MARKS]; /* increasing simulated times splitting phase_bytes */
    size_t nmarks;
    bool dump_on_failure; /* print sm_dump_stack of both stacks when the run fails */
};

struct sm_result {
    struct st_result st;
    struct sm_subflow sub[SM_MAX_SUBFLOWS];
    size_t nsub;
    size_t untracked_segs; /* segments of subflows beyond SM_MAX_SUBFLOWS, or unparsable */
    /* Address signalling as sent by each host (what left it, before any middlebox). */
    uint64_t add_addr_sent[2], add_addr_echo_sent[2]; /* [0] client, [1] server */
};

/* npaths client paths (all clean and unlimited until set), MPTCP on both sides, the
 * transfer's defaults of st_config_init, and server_addrs as in struct st_config (0: one
 * server address per path; N: N addresses behind a switch). */
void sm_config_init(struct sm_config *cfg, size_t npaths, size_t server_addrs);

/* A zeroed result (it is large: keep it off the stack). NULL when out of memory. */
struct sm_result *sm_result_new(void);

/* Runs the transfer (st_run) and fills res. The harness takes cfg->st.trace and
 * cfg->st.at_end for itself (values set there are ignored). Returns res->st.failure. */
enum st_failure sm_run(const struct sm_config *cfg, struct sm_result *res);

/* Payload bytes (new only) the client (dir ST_DIR_FWD) or the server (ST_DIR_REV) sent on
 * subflows of path `path`, in phase `phase` (0..nmarks), or in every phase when phase is
 * SIZE_MAX. */
uint64_t sm_path_bytes(const struct sm_result *res, size_t path, enum st_dir dir, size_t phase);
/* The same for all retransmitted payload of the path's subflows. */
uint64_t sm_path_retrans_bytes(const struct sm_result *res, size_t path, enum st_dir dir);

/* st_result_print, then one line per subflow (bytes, goodput, retransmissions, phases) and the
 * MPTcpExt counters of both stacks. */
void sm_result_print(const struct sm_config *cfg, const struct sm_result *res, FILE *out);

/* Prints the internal state of every MPTCP connection of a stack (sim_mptcp_dump.c). sm_run
 * does it for both stacks at the end of the run when UMPTCP_SM_DUMP is set in the
 * environment, or when the run failed and dump_on_failure is set. */
void sm_dump_stack(FILE *out, const char *name, const umptcp_stack *s);

/* ---- middleboxes --------------------------------------------------------------------- */

/* Drops the first `drop` packets that carry an ADD_ADDR announcement (echo bit clear) and
 * passes everything else; counts what it saw. Install on the direction that carries the
 * announcer's packets (st_dir_config.middlebox, middlebox_user = this). */
struct sm_drop_add_addr {
    unsigned drop;
    unsigned seen, dropped; /* announcements seen and dropped */
};
struct sim_verdict sm_mb_drop_add_addr(void *user, struct sim_mb_packet *p);

#endif
