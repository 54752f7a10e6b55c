/* Internals of scn_run shared by its files: the network builder (scenario_net.c), the
 * middleboxes (scenario_mb.c), the flows' applications (scenario_flow.c) and the run itself
 * (scenario_run.c). */
#ifndef UMPTCP_TOOLS_SCENARIO_INTERNAL_H
#define UMPTCP_TOOLS_SCENARIO_INTERNAL_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario/scenario.h"
#include "scenario/scenario_run.h"
#include "sim/sim.h"
#include "umptcp/conn.h"
#include "umptcp/mptcp.h"
#include "umptcp/pcap.h"
#include "umptcp/stack.h"

#define SCN_CHUNK (64u * 1024u)
#define SCN_BULK UINT64_MAX /* stream length of a flow that sends until the end */

struct scn_runner;
struct scn_flowrun;

/* One direction of a flow's data: what the sender wrote, what the receiver read. */
struct scn_stream {
    uint64_t total; /* SCN_BULK: until the end */
    uint64_t seed;
    uint64_t written, received;
    bool eof, mismatch;
    uint64_t first_byte_ns, last_byte_ns;
    EVP_MD_CTX *tx_md, *rx_md;
    uint8_t wbuf[SCN_CHUNK]; /* the chunk being written: wbuf[wpos..wlen) not taken yet */
    size_t wpos, wlen;
};

/* One end of a flow. */
struct scn_ep {
    struct scn_flowrun *fr;
    bool is_server;
    size_t node; /* scenario node index */
    umptcp_conn *conn;
    struct scn_stream *out, *in; /* NULL: this end does not send / receive */
    bool opened, shut, close_scheduled, closed;
};

/* The last view of a subflow (kept when the connection closes). */
struct scn_subview {
    umptcp_subflow_info client; /* the client's view */
    bool have_server;
    umptcp_subflow_info server; /* the same subflow at the server, when found */
};

struct scn_flowrun {
    struct scn_runner *run;
    size_t idx;
    const struct scn_flow *f;
    umptcp_listener *listener;
    struct scn_ep client, server;
    struct scn_stream up, down; /* client -> server, server -> client */
    /* Snapshot of the connection, refreshed at every sample and just before closing. */
    bool have_mptcp;
    umptcp_mptcp_info mptcp;
    char fallback[96];
    struct scn_subview sub[SCN_MAX_SUBFLOWS]; /* by the client's subflow id, in order */
    size_t nsub;
    uint32_t next_sub_id;                      /* one past the highest client subflow id seen */
    uint64_t last_sub_bytes[SCN_MAX_SUBFLOWS]; /* at the previous sample */
    uint64_t last_delivered;
    bool done; /* sized: every stream ended and both ends closed */
};

#define SCN_NAT_MAX_MAPPINGS 4096
#define SCN_NAT_FIRST_PORT 20000

struct scn_nat_entry {
    umptcp_sockaddr inside;
    uint16_t pub_port;
};

/* A NAT on a link: shared by the middleboxes of its two directions. */
struct scn_nat {
    umptcp_addr pub;
    struct scn_nat_entry e[SCN_NAT_MAX_MAPPINGS];
    size_t n;
    uint64_t unmapped_drops, full_drops;
};

/* What a middlebox on one direction of a link keeps. */
struct scn_mb_state {
    enum scn_middlebox kind;
    struct scn_nat *nat; /* SCN_MB_NAT: the link's NAT */
    bool inbound;        /* SCN_MB_NAT: the direction from end b to end a */
    uint64_t seen, changed, data_segs;
    uint8_t payload[65536];
};

struct scn_runner {
    const struct scn_scenario *s;
    struct scn_run_opts opts;
    struct scn_result *r;
    struct sim_world *w;
    struct sim_node *node[SCN_MAX_NODES];
    umptcp_stack *stack[SCN_MAX_NODES]; /* hosts only */
    umptcp_pcap *pcap[SCN_MAX_NODES];
    int router_ifindex[SCN_MAX_LINKS][2]; /* a router end's interface of each link end */
    struct sim_link *link[SCN_MAX_LINKS][2];
    struct scn_mb_state *mb[SCN_MAX_LINKS][2];
    struct scn_nat *nat[SCN_MAX_LINKS];
    struct scn_flowrun flow[SCN_MAX_FLOWS];
    struct scn_evctx {
        struct scn_runner *run;
        const struct scn_event *ev;
    } evctx[SCN_MAX_EVENTS];
    uint64_t sample_ns;
    uint8_t rbuf[SCN_CHUNK], expect[SCN_CHUNK];
};

/* Records the run's first failure (r->failure) and stops the world. */
void scn_run_fail(struct scn_runner *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* scenario_net.c: hosts with stacks and addresses, routers, links, routes, middleboxes,
 * captures. 0 or an error (with scn_fail called). */
int scn_net_build(struct scn_runner *run);
/* Closes the captures and frees the middlebox states (the world frees the rest). */
void scn_net_free(struct scn_runner *run);

/* scenario_mb.c: the hook installed on a link direction with a middlebox. */
struct sim_verdict scn_mb_hook(void *user, struct sim_mb_packet *p);

/* scenario_flow.c */
int scn_flow_setup(struct scn_runner *run, size_t i);              /* listener and streams */
void scn_flow_start(struct sim_world *w, void *arg, uint64_t now); /* arg: the flowrun */
void scn_flow_refresh(struct scn_flowrun *fr);  /* the snapshot of its subflows */
void scn_flow_teardown(struct scn_flowrun *fr); /* frees the digests */
void scn_host_event(void *user, umptcp_conn *c, const umptcp_event *ev); /* user: runner */

#endif
