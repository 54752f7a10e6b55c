/* umptcp demo: a small simulated network and what crosses its links.
 *
 * Host a reaches host b through router r over two paths, "wifi" and "lte". a sends crafted
 * TCP data segments on both paths, b answers each with a pure ACK. There is no TCP (let alone
 * MPTCP) state machine behind these segments: nothing is retransmitted, the demo only shows
 * the simulator's links at work (serialisation, queueing, loss). Temporary: the MPTCP demo
 * replaces it. */
#include "commands.h"
#include "sim/sim.h"
#include "umptcp/error.h"
#include "wire/segment.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_SEGMENTS_PER_PATH 200
#define DEMO_PAYLOAD 1400
#define DEMO_INTERVAL_NS SIM_NS_PER_MS
#define DEMO_LOG_LINES 10
#define DEMO_TIME_LIMIT_NS (10 * SIM_NS_PER_SEC)
#define DEMO_SERVER_PORT 5201

struct demo_opts {
    uint64_t seed;
    const char *pcap;
    bool quiet;
};

struct demo_path {
    const char *name;
    const char *a_addr;
    int a_ifindex;
    uint16_t a_port;
    uint32_t next_seq;
    uint64_t acked; /* ACKs that came back to a */
    uint64_t reached_b;
};

struct demo {
    struct demo_opts opts;
    struct demo_path path[2];
    umptcp_addr b_addr;
    uint32_t rounds; /* segments sent per path so far */
    int logged;
};

/* ---- the hosts ---------------------------------------------------------------------- */

static struct demo_path *demo_path_of(struct demo *d, const umptcp_addr *a_side)
{
    for (int i = 0; i < 2; i++) {
        umptcp_addr x;
        if (umptcp_addr_parse(&x, d->path[i].a_addr) == UMPTCP_OK && umptcp_addr_equal(&x, a_side))
            return &d->path[i];
    }
    return NULL;
}

static uint64_t demo_a_next_timeout(struct sim_node *node, void *user)
{
    struct demo *d = user;
    return d->rounds < DEMO_SEGMENTS_PER_PATH ? d->rounds * DEMO_INTERVAL_NS : SIM_TIME_NEVER;
}

/* One data segment on each path. */
static void demo_a_on_timeout(struct sim_node *node, void *user, uint64_t now)
{
    struct demo *d = user;
    static const uint8_t payload[DEMO_PAYLOAD]; /* zeros: the content does not matter */
    for (int i = 0; i < 2; i++) {
        struct demo_path *p = &d->path[i];
        struct wire_segment_spec s = {.seq = p->next_seq,
                                      .ack = 1,
                                      .flags = WIRE_TCP_ACK | WIRE_TCP_PSH,
                                      .window = 65535,
                                      .payload = payload,
                                      .payload_len = sizeof(payload)};
        umptcp_addr_parse(&s.src.addr, p->a_addr);
        s.src.port = p->a_port;
        s.dst.addr = d->b_addr;
        s.dst.port = DEMO_SERVER_PORT;
        uint8_t pkt[WIRE_IPV4_HDR_LEN + WIRE_TCP_HDR_LEN + DEMO_PAYLOAD];
        size_t len = 0;
        if (wire_segment_build(&s, pkt, sizeof(pkt), &len) == UMPTCP_OK &&
            sim_node_send(node, p->a_ifindex, pkt, len) == UMPTCP_OK)
            p->next_seq += DEMO_PAYLOAD;
    }
    d->rounds++;
}

static void demo_a_receive(struct sim_node *node, void *user, int ifindex, const uint8_t *pkt,
                           size_t len, uint64_t now)
{
    struct wire_segment seg;
    if (wire_segment_parse(pkt, len, &seg) != UMPTCP_OK)
        return;
    struct demo_path *p = demo_path_of(user, &seg.ip.dst);
    if (p != NULL)
        p->acked++;
}

/* b acknowledges every data segment with a pure ACK back to its sender. */
static void demo_b_receive(struct sim_node *node, void *user, int ifindex, const uint8_t *pkt,
                           size_t len, uint64_t now)
{
    struct wire_segment seg;
    if (wire_segment_parse(pkt, len, &seg) != UMPTCP_OK)
        return;
    struct demo_path *p = demo_path_of(user, &seg.ip.src);
    if (p != NULL)
        p->reached_b++;
    struct wire_segment_spec s = {.seq = seg.tcp.ack,
                                  .ack = seg.tcp.seq + (uint32_t)seg.tcp.payload_len,
                                  .flags = WIRE_TCP_ACK,
                                  .window = 65535};
    s.src.addr = seg.ip.dst;
    s.src.port = seg.tcp.dport;
    s.dst.addr = seg.ip.src;
    s.dst.port = seg.tcp.sport;
    uint8_t ack[WIRE_IPV4_HDR_LEN + WIRE_TCP_HDR_LEN];
    size_t ack_len = 0;
    if (wire_segment_build(&s, ack, sizeof(ack), &ack_len) == UMPTCP_OK)
        sim_node_send(node, ifindex, ack, ack_len);
}

static const struct sim_node_ops demo_a_ops = {.receive = demo_a_receive,
                                               .next_timeout = demo_a_next_timeout,
                                               .on_timeout = demo_a_on_timeout};
static const struct sim_node_ops demo_b_ops = {.receive = demo_b_receive};

/* ---- output ------------------------------------------------------------------------- */

static double demo_ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* Logs the first packets that leave a link, delivered or dropped. */
static void demo_trace(void *user, const struct sim_trace *ev)
{
    struct demo *d = user;
    if (ev->kind == SIM_TRACE_SEND || ev->link == NULL || d->logged >= DEMO_LOG_LINES)
        return;
    d->logged++;
    char who[2 * (UMPTCP_ADDR_STRLEN + 6) + 4] = "?";
    struct wire_segment seg;
    if (wire_segment_parse(ev->pkt, ev->len, &seg) == UMPTCP_OK) {
        char s[UMPTCP_ADDR_STRLEN], t[UMPTCP_ADDR_STRLEN];
        snprintf(who, sizeof(who), "%s:%u -> %s:%u", umptcp_addr_format(&seg.ip.src, s, sizeof(s)),
                 seg.tcp.sport, umptcp_addr_format(&seg.ip.dst, t, sizeof(t)), seg.tcp.dport);
    }
    char what[32] = "delivered";
    if (ev->kind == SIM_TRACE_DROP)
        snprintf(what, sizeof(what), "dropped (%s)", sim_drop_reason_name(ev->reason));
    printf("  %8.3f %8.3f  %-9s %-33s %5zu  %s\n", demo_ms(ev->sent_at), demo_ms(ev->now),
           sim_link_name(ev->link), who, ev->len, what);
}

static void demo_print_links(const struct sim_world *w)
{
    printf("\n%-9s %9s %6s %5s %6s %9s %6s %5s %5s %5s %8s %9s\n", "link", "rate", "delay", "loss",
           "sent", "bytes", "deliv", "queue", "loss", "down", "q-high", "mean-owd");
    printf("%-9s %9s %6s %5s %6s %9s %6s %17s %8s %9s\n", "", "Mbit/s", "ms", "%", "pkts", "",
           "pkts", "--- dropped ---", "bytes", "ms");
    for (size_t i = 0; i < sim_world_link_count(w); i++) {
        const struct sim_link *l = sim_world_link(w, i);
        const struct sim_link_config *cf = sim_link_config(l);
        const struct sim_link_counters *c = sim_link_counters(l);
        double owd = c->delivered_packets ? demo_ms(c->delay_sum_ns) / c->delivered_packets : 0;
        printf("%-9s %9.1f %6.1f %5.1f %6llu %9llu %6llu %5llu %5llu %5llu %8llu %9.3f\n",
               sim_link_name(l), (double)cf->rate_bps / 1e6, demo_ms(cf->delay_ns), cf->loss * 100,
               (unsigned long long)c->sent_packets, (unsigned long long)c->sent_bytes,
               (unsigned long long)c->delivered_packets, (unsigned long long)c->drop_queue_packets,
               (unsigned long long)c->drop_loss_packets, (unsigned long long)c->drop_down_packets,
               (unsigned long long)c->queue_high_water_bytes, owd);
    }
}

/* ---- the world ---------------------------------------------------------------------- */

static int demo_link(struct sim_world *w, const char *name, struct sim_node *from, int fi,
                     struct sim_node *to, int ti, uint64_t mbit, uint64_t ms, double loss,
                     uint64_t queue)
{
    struct sim_link_config c;
    sim_link_config_init(&c);
    c.rate_bps = mbit * 1000000;
    c.delay_ns = ms * SIM_NS_PER_MS;
    c.loss = loss;
    c.queue_limit_bytes = queue;
    struct sim_link *l;
    return sim_link_new(&l, w, name, from, fi, to, ti, &c);
}

static int demo_address(struct sim_node *n, int ifindex, const char *text)
{
    umptcp_addr a;
    int rc = umptcp_addr_parse(&a, text);
    return rc != UMPTCP_OK ? rc : sim_node_add_address(n, ifindex, &a);
}

static int demo_build(struct sim_world *w, struct demo *d)
{
    struct sim_node *a, *b, *r;
    int rc = 0;
    rc |= sim_host_new(&a, w, "a", &demo_a_ops, d);
    rc |= sim_host_new(&b, w, "b", &demo_b_ops, d);
    rc |= sim_router_new(&r, w, "r");
    if (rc != 0)
        return UMPTCP_ERR_NOMEM;
    rc |= demo_address(a, 1, "10.0.1.1");
    rc |= demo_address(a, 2, "10.0.2.1");
    rc |= demo_address(r, 1, "10.0.1.254");
    rc |= demo_address(r, 2, "10.0.2.254");
    rc |= demo_address(r, 3, "10.0.3.254");
    rc |= demo_address(b, 1, "10.0.3.1");
    rc |= sim_router_add_route_text(r, "10.0.1.0/24", 1);
    rc |= sim_router_add_route_text(r, "10.0.2.0/24", 2);
    rc |= sim_router_add_route_text(r, "10.0.3.0/24", 3);
    rc |= demo_link(w, "wifi-up", a, 1, r, 1, 20, 10, 0, 64000);
    rc |= demo_link(w, "wifi-down", r, 1, a, 1, 20, 10, 0, 64000);
    rc |= demo_link(w, "lte-up", a, 2, r, 2, 10, 30, 0.01, 32000);
    rc |= demo_link(w, "lte-down", r, 2, a, 2, 10, 30, 0.01, 32000);
    rc |= demo_link(w, "r-b", r, 3, b, 1, 100, 1, 0, 64000);
    rc |= demo_link(w, "b-r", b, 1, r, 3, 100, 1, 0, 64000);
    if (rc != 0)
        return UMPTCP_ERR_INVAL;
    sim_node_refresh_timer(a);
    return UMPTCP_OK;
}

static int demo_run(struct demo *d)
{
    struct sim_world *w = NULL;
    umptcp_pcap *pcap = NULL;
    const char *failed = "simulation";
    int rc = sim_world_new(&w, d->opts.seed);
    if (rc == UMPTCP_OK && d->opts.pcap != NULL) {
        rc = umptcp_pcap_open(&pcap, d->opts.pcap);
        if (rc != UMPTCP_OK)
            failed = d->opts.pcap;
        sim_world_set_pcap(w, pcap);
    }
    if (rc == UMPTCP_OK)
        rc = demo_build(w, d);
    if (rc == UMPTCP_OK && !d->opts.quiet) {
        printf("umptcp demo (seed %llu): host a reaches host b through router r on two paths\n"
               "  wifi: 10.0.1.1 -> r  20 Mbit/s, 10 ms\n"
               "  lte:  10.0.2.1 -> r  10 Mbit/s, 30 ms, 1%% random loss, 32 kB queue\n"
               "  r -> b (10.0.3.1)    100 Mbit/s, 1 ms\n"
               "a sends %d crafted TCP segments of %d bytes per path, one per ms on each; b\n"
               "answers each with a pure ACK. No TCP runs here: lost segments stay lost.\n\n"
               "first packets out of a link (times in ms, entered -> left):\n",
               (unsigned long long)d->opts.seed, DEMO_SEGMENTS_PER_PATH, DEMO_PAYLOAD);
        sim_world_set_trace(w, demo_trace, d);
    }
    if (rc == UMPTCP_OK)
        rc = sim_world_run(w, DEMO_TIME_LIMIT_NS);
    if (rc >= 0 && !d->opts.quiet) {
        demo_print_links(w);
        printf("\n");
        for (int i = 0; i < 2; i++)
            printf("%s:%*s%d segments sent, %llu reached b, %llu ACKs came back\n", d->path[i].name,
                   (int)(6 - strlen(d->path[i].name)), "", DEMO_SEGMENTS_PER_PATH,
                   (unsigned long long)d->path[i].reached_b, (unsigned long long)d->path[i].acked);
        printf("finished at %.3f ms of virtual time after %llu events\n", demo_ms(sim_world_now(w)),
               (unsigned long long)sim_world_event_count(w));
    }
    if (rc < 0)
        fprintf(stderr, "umptcp demo: %s: %s\n", failed, umptcp_strerror(rc));
    sim_world_free(w);
    umptcp_pcap_close(pcap);
    return rc < 0 ? 1 : 0;
}

/* ---- arguments ---------------------------------------------------------------------- */

static void demo_usage(FILE *out)
{
    fprintf(out, "usage: umptcp demo [--seed N] [--pcap FILE] [-q] [--help]\n\n"
                 "Runs a small simulated network (two hosts, a router, a wifi-like and an\n"
                 "lte-like path) and prints what crossed each link.\n\n"
                 "  --seed N     seed of the simulation (default 1); same seed, same output\n"
                 "  --pcap FILE  write every packet entering a link to FILE (virtual time)\n"
                 "  -q           print nothing\n"
                 "  --help       this text\n");
}

static bool demo_parse_u64(const char *text, uint64_t *out)
{
    if (text == NULL || text[0] < '0' || text[0] > '9')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

/* Returns 0 to run, 1 after --help, 2 on a bad argument (message printed). */
static int demo_parse_args(int argc, char **argv, struct demo_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            demo_usage(stdout);
            return 1;
        } else if (strcmp(arg, "-q") == 0) {
            o->quiet = true;
        } else if (strcmp(arg, "--seed") == 0) {
            if (!demo_parse_u64(value, &o->seed)) {
                fprintf(stderr, "umptcp demo: --seed needs a number, got '%s'\n",
                        value ? value : "");
                return 2;
            }
            i++;
        } else if (strcmp(arg, "--pcap") == 0) {
            if (value == NULL || value[0] == '\0') {
                fprintf(stderr, "umptcp demo: --pcap needs a file name\n");
                return 2;
            }
            o->pcap = value;
            i++;
        } else {
            fprintf(stderr, "umptcp demo: unknown argument '%s' (try --help)\n", arg);
            return 2;
        }
    }
    return 0;
}

int cmd_demo_main(int argc, char **argv)
{
    struct demo d = {
        .opts = {.seed = 1},
        .path = {{.name = "wifi", .a_addr = "10.0.1.1", .a_ifindex = 1, .a_port = 40001},
                 {.name = "lte", .a_addr = "10.0.2.1", .a_ifindex = 2, .a_port = 40002}},
    };
    int rc = demo_parse_args(argc, argv, &d.opts);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    umptcp_addr_parse(&d.b_addr, "10.0.3.1");
    return demo_run(&d);
}
