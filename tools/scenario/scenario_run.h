/* Running a scenario in the deterministic simulator (prefix scn_), and what comes out.
 *
 * scn_run builds the scenario's world (src/sim: hosts running real umptcp stacks, routers
 * with shortest-path routes, links, middleboxes), starts each flow at its time, applies the
 * timed events, samples every flow and subflow at a fixed simulated interval, and stops when
 * every flow is done (all bytes delivered and both sides closed) or at the scenario's
 * duration. Every flow's receiver checks each byte against what was sent at its offset and
 * hashes what arrived (SHA-256).
 *
 * The same scenario, seed and options give the same result, field for field: nothing here
 * reads the wall clock except scn_result.wall_seconds, which no report writes into a results
 * file. */
#ifndef UMPTCP_TOOLS_SCENARIO_RUN_H
#define UMPTCP_TOOLS_SCENARIO_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario/scenario.h"
#include "umptcp/stack.h"

/* Subflows reported per flow over its whole life (the stack has at most 8 at once, and frees
 * closed ones when it needs room: a path that comes and goes opens a new one each time). */
#define SCN_MAX_SUBFLOWS 32
#define SCN_DEFAULT_SAMPLE_NS (100ull * 1000000ull)
/* At most this many samples are kept (about 80 MB): the rest of a very long run is not
 * sampled, and scn_result.samples_truncated says so. */
#define SCN_MAX_SAMPLES (2u * 1024u * 1024u)

/* A progress report, given every sample interval to scn_run_opts.progress. */
struct scn_progress {
    uint64_t now_ns, duration_ns;
    const struct scn_result *result; /* the samples so far */
};

struct scn_run_opts {
    uint64_t duration_ns; /* 0: the scenario's */
    bool seed_set;        /* use `seed` instead of the scenario's */
    uint64_t seed;
    const char *cc, *sched, *pm; /* non-NULL: override every flow's choice */
    const char *pcap_dir; /* non-NULL: one capture per host, DIR/HOST.pcap (the directory must
                             exist) */
    uint64_t sample_ns;   /* 0: SCN_DEFAULT_SAMPLE_NS */
    uint64_t max_events;  /* simulator event budget; 0: 2 billion */
    void (*progress)(void *user, const struct scn_progress *p);
    void *progress_user;
};

/* One subflow as its data sender saw it (for a two-way flow: the client's side). A plain TCP
 * flow has one "subflow": the connection. */
struct scn_subflow_result {
    char local[UMPTCP_ADDR_STRLEN + 8], remote[UMPTCP_ADDR_STRLEN + 8]; /* "ADDR:PORT" */
    char link[SCN_NAME_MAX]; /* the link of the client's interface it uses ("" if none) */
    /* The client's end as the server sees it: differs from `local` behind a NAT; "" when the
     * server's view of the subflow is not known. */
    char seen_as[UMPTCP_ADDR_STRLEN + 8];
    bool join;            /* opened with MP_JOIN */
    bool backup;          /* ours or the peer's backup flag */
    uint64_t bytes_acked; /* payload the receiver acknowledged on it (its sequence space) */
    uint64_t retrans_segs;
    uint64_t srtt_us; /* at the end (or when the flow closed) */
    uint32_t cwnd;    /* bytes */
    double share;     /* bytes_acked / the flow's total over its subflows, 0..1 */
};

struct scn_flow_result {
    bool connected;          /* the handshake completed */
    bool complete;           /* sized flow: every byte arrived, intact, and the stream ended */
    bool intact;             /* no byte arrived that differs from what was sent at its offset */
    bool mptcp;              /* MPTCP in use at the end */
    char fallback[96];       /* why it is plain TCP although MPTCP was asked ("" if not) */
    char error[128];         /* what went wrong ("" if nothing) */
    uint64_t bytes_sent;     /* taken by the sender(s) */
    uint64_t bytes_received; /* delivered to the receiving application(s) */
    char sha_sent[65], sha_received[65]; /* upload direction, or download for a download flow */
    uint64_t start_ns, connected_ns;
    uint64_t first_byte_ns, last_byte_ns; /* at the receiver; 0 = none */
    uint64_t done_ns;   /* sized flows: when the last byte was read; 0 = not done */
    double goodput_bps; /* bytes_received * 8 / (last_byte or end - start) */
    uint64_t retrans_segs;
    struct scn_subflow_result sub[SCN_MAX_SUBFLOWS];
    size_t nsub;
    size_t untracked_subflows; /* opened after the first SCN_MAX_SUBFLOWS: not reported */
};

/* One point of the time series (every sample interval of simulated time): per subflow, and
 * per flow with subflow -1 (the aggregate). Rates are over the interval ending at t_ns. */
struct scn_sample {
    uint64_t t_ns;
    uint16_t flow;
    int16_t subflow;  /* -1: the whole flow */
    double rate_bps;  /* subflow: bytes acked on it; flow: bytes delivered to the receiver */
    uint32_t cwnd;    /* subflow only */
    uint64_t srtt_us; /* subflow only */
};

/* A host's stack counters at the end of the run (Linux's Ip/Tcp/TcpExt/MPTcpExt names), the
 * non-zero ones, in the stack's order. */
struct scn_host_result {
    char name[SCN_NAME_MAX];
    umptcp_counter *counters; /* names are the stack's static strings */
    size_t ncounters;
};

struct scn_link_result {
    struct sim_link_counters dir[2]; /* a -> b, b -> a */
};

struct scn_result {
    char failure[256]; /* "" when the run itself worked (flows may still have failed) */
    uint64_t seed;
    uint64_t duration_ns; /* the limit used */
    uint64_t sample_ns;   /* the interval of the samples */
    uint64_t end_ns;      /* simulated time when the run stopped */
    uint64_t events;      /* simulator events processed */
    double wall_seconds;  /* real time (not deterministic: never in a results file) */
    size_t nflow;
    struct scn_flow_result flow[SCN_MAX_FLOWS];
    size_t nlink;
    struct scn_link_result link[SCN_MAX_LINKS];
    size_t nhost; /* hosts in the scenario's order (routers left out) */
    struct scn_host_result host[SCN_MAX_NODES];
    struct scn_sample *samples; /* growing array, freed by scn_result_free */
    size_t nsamples, samples_cap;
    bool samples_truncated; /* SCN_MAX_SAMPLES was reached */
};

/* Runs s with opts (NULL: defaults) into *r (initialised by the call; free it with
 * scn_result_free even on error). Returns 0 when the run itself worked, whatever the flows
 * did, or a negative UMPTCP_ERR_* with r->failure saying why (bad overrides, no memory,
 * a pcap that cannot be written, the event budget spent). */
int scn_run(const struct scn_scenario *s, const struct scn_run_opts *opts, struct scn_result *r);
void scn_result_free(struct scn_result *r);

/* The content a flow sends: bytes [off, off + len) of the deterministic stream `seed`. */
void scn_content(uint64_t seed, uint64_t off, uint8_t *buf, size_t len);

/* The baseline of a preset: a copy of s where flow `flow` is plain TCP from the address of
 * interface `iface` of its client (every other flow unchanged). UMPTCP_ERR_INVAL when flow or
 * iface is out of range or the interface has no address of the server's family there from the
 * start (scn_iface.late). */
int scn_single_path_variant(const struct scn_scenario *s, size_t flow, size_t iface,
                            struct scn_scenario *out);

#endif
