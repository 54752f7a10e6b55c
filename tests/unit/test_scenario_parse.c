/* Scenario files (tools/scenario, docs/SCENARIOS.md): a file using every key and action parsed
 * field by field, the example of the doc, a table of bad inputs each failing on one line with
 * one message, the value parsers at their edges, and files that cannot be read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"
#include "scenario/scenario_ops.h"
#include "scenario/scenario_values.h"
#include "umptcp/error.h"

#define ERR_MAX 512

static struct scn_scenario scn; /* large: not on the stack */

/* The number of the first line of text containing needle (which must be there). */
static int line_of(const char *text, const char *needle)
{
    const char *hit = strstr(text, needle);
    assert_non_null(hit);
    int line = 1;
    for (const char *p = text; p < hit; p++)
        line += *p == '\n';
    return line;
}

static umptcp_addr addr(const char *text)
{
    umptcp_addr a;
    assert_int_equal(umptcp_addr_parse(&a, text), 0);
    return a;
}

static void assert_addr(const umptcp_addr *a, const char *text)
{
    umptcp_addr b = addr(text);
    assert_true(umptcp_addr_equal(a, &b));
}

/* ---- a file with every key and action -------------------------------------------------- */

static const char full_text[] = "# every key and every action\n"
                                "[scenario]\n"
                                "name = full-test\n"
                                "description = every key ; and a comment\n"
                                "duration = 1.5min\n"
                                "seed = 18446744073709551615\n"
                                "baseline = yes\n"
                                "\n"
                                "[host phone]\n"
                                "address = 10.0.1.1 2001:db8:1::1\n"
                                "   address = 10.0.2.1\n"
                                "backup = 10.0.2.1\n"
                                "[host server]\n"
                                "address = 10.0.9.1 2001:db8:9::1\n"
                                "[router isp]\n"
                                "[router core] ; no keys\n"
                                "[link wifi]\n"
                                "middlebox = drop-add-addr\n"
                                "middlebox.ba = strip-mptcp\n"
                                "rate.ba = 1.5Gbit\n"
                                "rate = 20Mbit\n"
                                "a = 10.0.1.1\n"
                                "b = isp\n"
                                "delay = 20ms\n"
                                "queue.ab = 50ms\n"
                                "queue = 100KB\n"
                                "loss.ab = 0.1%\n"
                                "reorder = 1%\n"
                                "reorder_delay.ba = 2ms\n"
                                "duplicate = 0.5\n"
                                "[link lte]\n"
                                "a = 10.0.2.1\n"
                                "b = core\n"
                                "delay.ab = 1s\n"
                                "reorder_delay = 0\n"
                                "middlebox = rewrite-payload\n"
                                "[link isp-core]\n"
                                "a = isp\n"
                                "b = core\n"
                                "rate = 0\n"
                                "queue = 64KiB\n"
                                "middlebox = strip-mptcp-data\n"
                                "[link srv]\n"
                                "a = server\n"
                                "b = core\n"
                                "middlebox = none\n"
                                "[flow up]\n"
                                "client = phone\n"
                                "server = server\n"
                                "source = 10.0.2.1\n"
                                "mptcp = no\n"
                                "checksum = yes\n"
                                "direction = both\n"
                                "bytes = 1MiB\n"
                                "start = 250ms\n"
                                "cc = reno\n"
                                "sched = rr\n"
                                "pm = ndiffports\n"
                                "max_subflows = 4\n"
                                "port = 8080\n"
                                "[flow down]\n"
                                "client = phone\n"
                                "server = 2001:db8:9::1\n"
                                "direction = download\n"
                                "[events]\n"
                                "90s = up lte\n"
                                "10s = down wifi.ab\n"
                                "5s = rate lte 10Mbit\n"
                                "5s = delay lte.ba 30ms\n"
                                "5s = loss wifi 2%\n"
                                "7s = queue isp-core 1MB\n"
                                "8s = remove-address 10.0.2.1\n"
                                "1min = backup 10.0.1.1 on\n"
                                "60s = backup 10.0.1.1 off\n";

static void check_full_nodes(const struct scn_scenario *s)
{
    assert_int_equal(s->nnode, 4);
    const struct scn_node *p = &s->node[0];
    assert_string_equal(p->name, "phone");
    assert_int_equal(p->kind, SCN_NODE_HOST);
    assert_int_equal(p->line, line_of(full_text, "[host phone]"));
    assert_int_equal(p->niface, 2);
    assert_int_equal(p->iface[0].naddr, 2);
    assert_addr(&p->iface[0].addr[0], "10.0.1.1");
    assert_addr(&p->iface[0].addr[1], "2001:db8:1::1");
    assert_false(p->iface[0].backup);
    assert_int_equal(p->iface[0].line, line_of(full_text, "address = 10.0.1.1"));
    assert_int_equal(p->iface[1].naddr, 1);
    assert_addr(&p->iface[1].addr[0], "10.0.2.1");
    assert_true(p->iface[1].backup);
    assert_int_equal(p->iface[1].line, line_of(full_text, "   address = 10.0.2.1"));
    assert_string_equal(s->node[1].name, "server");
    assert_int_equal(s->node[1].niface, 1);
    assert_int_equal(s->node[1].iface[0].naddr, 2);
    assert_string_equal(s->node[2].name, "isp");
    assert_int_equal(s->node[2].kind, SCN_NODE_ROUTER);
    assert_int_equal(s->node[2].niface, 0);
    assert_string_equal(s->node[3].name, "core");
    assert_int_equal(s->node[3].kind, SCN_NODE_ROUTER);
    assert_int_equal(s->node[3].line, line_of(full_text, "[router core]"));
}

static void check_full_wifi(const struct scn_link *l)
{
    assert_string_equal(l->name, "wifi");
    assert_int_equal(l->line, line_of(full_text, "[link wifi]"));
    assert_int_equal(l->node[0], 0);
    assert_int_equal(l->iface[0], 0);
    assert_int_equal(l->node[1], 2);
    assert_int_equal(l->iface[1], -1);
    const struct sim_link_config *ab = &l->dir[0].cfg, *ba = &l->dir[1].cfg;
    assert_int_equal(ab->rate_bps, 20000000);
    assert_int_equal(ba->rate_bps, 1500000000);
    assert_int_equal(ab->delay_ns, 20000000);
    assert_int_equal(ba->delay_ns, 20000000);
    assert_int_equal(ab->queue_limit_bytes, 125000); /* 20 Mbit/s x 50 ms / 8 */
    assert_int_equal(ba->queue_limit_bytes, 100000);
    assert_true(ab->loss == 0.001);
    assert_true(ba->loss == 0.0);
    assert_true(ab->reorder == 0.01 && ba->reorder == 0.01);
    assert_int_equal(ab->reorder_delay_ns, 5000000);
    assert_int_equal(ba->reorder_delay_ns, 2000000);
    assert_true(ab->duplicate == 0.5 && ba->duplicate == 0.5);
    assert_int_equal(l->dir[0].middlebox, SCN_MB_DROP_ADD_ADDR);
    assert_int_equal(l->dir[1].middlebox, SCN_MB_STRIP_MPTCP);
}

static void check_full_links(const struct scn_scenario *s)
{
    assert_int_equal(s->nlink, 4);
    check_full_wifi(&s->link[0]);
    const struct scn_link *lte = &s->link[1];
    assert_int_equal(lte->node[0], 0);
    assert_int_equal(lte->iface[0], 1);
    assert_int_equal(lte->node[1], 3);
    assert_int_equal(lte->dir[0].cfg.delay_ns, 1000000000);
    assert_int_equal(lte->dir[1].cfg.delay_ns, 0);
    assert_int_equal(lte->dir[0].cfg.reorder_delay_ns, 0);
    assert_int_equal(lte->dir[0].cfg.rate_bps, 0);
    assert_int_equal(lte->dir[0].cfg.queue_limit_bytes, SIM_LINK_DEFAULT_QUEUE_BYTES);
    assert_int_equal(lte->dir[1].middlebox, SCN_MB_REWRITE_PAYLOAD);
    const struct scn_link *core = &s->link[2];
    assert_int_equal(core->iface[0], -1);
    assert_int_equal(core->iface[1], -1);
    assert_int_equal(core->dir[1].cfg.queue_limit_bytes, 65536);
    assert_int_equal(core->dir[0].middlebox, SCN_MB_STRIP_MPTCP_DATA);
    const struct scn_link *srv = &s->link[3];
    assert_int_equal(srv->node[0], 1);
    assert_int_equal(srv->iface[0], 0);
    assert_int_equal(srv->dir[0].middlebox, SCN_MB_NONE);
    assert_int_equal(scn_iface_link(s, 0, 1), 1);
}

static void check_full_flows(const struct scn_scenario *s)
{
    assert_int_equal(s->nflow, 2);
    const struct scn_flow *up = &s->flow[0];
    assert_string_equal(up->name, "up");
    assert_int_equal(up->line, line_of(full_text, "[flow up]"));
    assert_int_equal(up->client, 0);
    assert_int_equal(up->server, 1);
    assert_addr(&up->source, "10.0.2.1");
    assert_addr(&up->server_addr, "10.0.9.1");
    assert_int_equal(up->port, 8080);
    assert_false(up->mptcp);
    assert_true(up->checksum);
    assert_int_equal(up->dir, SCN_FLOW_BOTH);
    assert_int_equal(up->bytes, 1048576);
    assert_int_equal(up->start_ns, 250000000);
    assert_string_equal(up->cc, "reno");
    assert_string_equal(up->sched, "rr");
    assert_string_equal(up->pm, "ndiffports");
    assert_int_equal(up->max_subflows, 4);
    const struct scn_flow *down = &s->flow[1];
    assert_addr(&down->server_addr, "2001:db8:9::1");
    assert_addr(&down->source, "2001:db8:1::1"); /* the client's first IPv6 address */
    assert_int_equal(down->port, 5202);          /* 5201 + its index */
    assert_true(down->mptcp);
    assert_false(down->checksum);
    assert_int_equal(down->dir, SCN_FLOW_DOWNLOAD);
    assert_int_equal(down->bytes, 0);
    assert_int_equal(down->start_ns, 0);
    assert_string_equal(down->cc, "");
    assert_int_equal(down->max_subflows, 0);
}

static void check_full_events(const struct scn_scenario *s)
{
    assert_int_equal(s->nevent, 9);
    const struct scn_event *e = s->event;
    uint64_t sec = 1000000000ull;
    /* sorted by time; the three at 5s and the two at 60s in file order */
    assert_int_equal(e[0].kind, SCN_EV_RATE);
    assert_int_equal(e[0].at_ns, 5 * sec);
    assert_int_equal(e[0].link, 1);
    assert_int_equal(e[0].dirmask, SCN_DIR_AB | SCN_DIR_BA);
    assert_int_equal(e[0].value, 10000000);
    assert_int_equal(e[0].line, line_of(full_text, "5s = rate"));
    assert_int_equal(e[1].kind, SCN_EV_DELAY);
    assert_int_equal(e[1].dirmask, SCN_DIR_BA);
    assert_int_equal(e[1].value, 30000000);
    assert_int_equal(e[2].kind, SCN_EV_LOSS);
    assert_int_equal(e[2].link, 0);
    assert_true(e[2].p == 0.02);
    assert_int_equal(e[3].kind, SCN_EV_QUEUE);
    assert_int_equal(e[3].at_ns, 7 * sec);
    assert_int_equal(e[3].link, 2);
    assert_int_equal(e[3].value, 1000000);
    assert_int_equal(e[4].kind, SCN_EV_REMOVE_ADDR);
    assert_int_equal(e[4].node, 0);
    assert_addr(&e[4].addr, "10.0.2.1");
    assert_int_equal(e[5].kind, SCN_EV_LINK_DOWN);
    assert_int_equal(e[5].at_ns, 10 * sec);
    assert_int_equal(e[5].dirmask, SCN_DIR_AB);
    assert_int_equal(e[6].kind, SCN_EV_BACKUP);
    assert_int_equal(e[6].at_ns, 60 * sec);
    assert_true(e[6].on);
    assert_int_equal(e[7].kind, SCN_EV_BACKUP);
    assert_false(e[7].on);
    assert_int_equal(e[7].line, line_of(full_text, "60s = backup"));
    assert_int_equal(e[8].kind, SCN_EV_LINK_UP);
    assert_int_equal(e[8].at_ns, 90 * sec);
}

static void test_full_file(void **state)
{
    (void)state;
    char err[ERR_MAX] = "x";
    assert_int_equal(scn_parse_text(full_text, "full.ini", &scn, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_string_equal(scn.name, "full-test");
    assert_string_equal(scn.description, "every key");
    assert_string_equal(scn.source, "full.ini");
    assert_int_equal(scn.duration_ns, 90000000000ull);
    assert_int_equal(scn.seed, UINT64_MAX);
    assert_true(scn.baseline);
    check_full_nodes(&scn);
    check_full_links(&scn);
    check_full_flows(&scn);
    check_full_events(&scn);
}

/* Defaults, the name from the origin, CRLF line ends and a byte order mark. */
static void test_defaults(void **state)
{
    (void)state;
    static const char text[] = "\xEF\xBB\xBF[host c]\r\naddress = 10.0.0.1\r\n[host s]\r\n"
                               "address = 10.0.0.2\r\n[link l]\r\na = c\r\nb = s\r\n"
                               "[flow f]\r\nclient = c\r\nserver = s\r\n";
    char err[ERR_MAX];
    assert_int_equal(scn_parse_text(text, "dir/my test.v2.ini", &scn, err, sizeof(err)), 0);
    assert_string_equal(scn.name, "my_test_v2");
    assert_int_equal(scn.duration_ns, 30000000000ull);
    assert_int_equal(scn.seed, 1);
    assert_false(scn.baseline);
    assert_int_equal(scn.link[0].dir[0].cfg.reorder_delay_ns, 5000000);
    assert_int_equal(scn.link[0].dir[1].cfg.queue_limit_bytes, SIM_LINK_DEFAULT_QUEUE_BYTES);
    assert_int_equal(scn.flow[0].port, 5201);
    assert_int_equal(scn.flow[0].dir, SCN_FLOW_UPLOAD);
    assert_int_equal(scn.nevent, 0);
    assert_int_equal(scn_parse_text(text, "preset wifi", &scn, err, sizeof(err)), 0);
    assert_string_equal(scn.name, "preset_wifi");
}

/* The example of docs/SCENARIOS.md parses as described there. */
static void test_doc_example(void **state)
{
    (void)state;
    FILE *f = fopen(UMPTCP_SOURCE_DIR "/docs/SCENARIOS.md", "r");
    assert_non_null(f);
    static char doc[65536];
    size_t n = fread(doc, 1, sizeof(doc) - 1, f);
    fclose(f);
    doc[n] = '\0';
    char *start = strstr(doc, "```ini\n");
    assert_non_null(start);
    start += strlen("```ini\n");
    char *end = strstr(start, "```");
    assert_non_null(end);
    *end = '\0';
    char err[ERR_MAX];
    int rc = scn_parse_text(start, "wifi-lte.ini", &scn, err, sizeof(err));
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(scn.nnode, 3);
    assert_int_equal(scn.nlink, 3);
    assert_int_equal(scn.link[1].dir[0].cfg.queue_limit_bytes, 187500); /* 10 Mbit x 150 ms */
    assert_true(scn.link[1].dir[0].cfg.loss == 0.001);
    assert_true(scn.link[1].dir[1].cfg.loss == 0.0);
    assert_int_equal(scn.link[2].node[1], 1);
    assert_int_equal(scn.flow[0].dir, SCN_FLOW_DOWNLOAD);
    assert_int_equal(scn.nevent, 2);
    assert_true(scn.baseline);
}

/* middlebox = nat with its public address on both directions of the link. */
static void test_nat_link(void **state)
{
    (void)state;
    char err[256];
    const char *text = "[host c]\naddress = 192.168.1.2\n[host s]\naddress = 203.0.113.1\n"
                       "[router home]\n[router net]\n[link w]\na = c\nb = home\n"
                       "[link up]\na = home\nb = net\nnat_address = 198.51.100.1\n"
                       "middlebox = nat\n[link core]\na = net\nb = s\n"
                       "[flow f]\nclient = c\nserver = s\n";
    int rc = scn_parse_text(text, "nat.ini", &scn, err, sizeof(err));
    if (rc != 0)
        fail_msg("%s", err);
    const struct scn_link *up = &scn.link[1];
    assert_int_equal(up->dir[0].middlebox, SCN_MB_NAT);
    assert_int_equal(up->dir[1].middlebox, SCN_MB_NAT);
    umptcp_addr pub;
    assert_int_equal(umptcp_addr_parse(&pub, "198.51.100.1"), 0);
    assert_true(umptcp_addr_equal(&up->nat_addr, &pub));
}

/* ---- bad inputs ------------------------------------------------------------------------ */

/* 15 lines: two hosts, a router, two links, a flow (its section still open). */
#define BASE                                                                                       \
    "[host c]\n"                                                                                   \
    "address = 10.0.0.1 fd00::1\n"                                                                 \
    "address = 10.0.1.1\n"                                                                         \
    "[host s]\n"                                                                                   \
    "address = 10.0.9.1\n"                                                                         \
    "[router r]\n"                                                                                 \
    "[link l]\n"                                                                                   \
    "a = 10.0.0.1\n"                                                                               \
    "b = r\n"                                                                                      \
    "[link m]\n"                                                                                   \
    "a = s\n"                                                                                      \
    "b = r\n"                                                                                      \
    "[flow f]\n"                                                                                   \
    "client = c\n"                                                                                 \
    "server = s\n"
/* BASE and a third link open, next line 19. */
#define LX BASE "[link x]\na = 10.0.1.1\nb = r\n"
#define TEN(s) s s s s s s s s s s

struct bad {
    const char *text;
    int line; /* 0: the message names no line */
    const char *msg;
};

static const struct bad bad_inputs[] = {
    /* syntax */
    {"x = 1\n" BASE, 1, "'x' outside any section"},
    {BASE "mptcp: no\n", 16, "expected 'KEY = VALUE'"},
    {BASE "just words\n", 16, "expected 'KEY = VALUE'"},
    {BASE "= 3\n", 16, "expected 'KEY = VALUE'"},
    {BASE "[host h\n", 16, "section header without ']'"},
    {BASE "[host h] x\n", 16, "unexpected text after the section header"},
    {BASE "[switch q]\n", 16, "unknown section [switch]"},
    {BASE "[host]\n", 16, "[host]: expected [host NAME]"},
    {BASE "[host a.b]\n", 16, "[host a.b]: expected a name of 1 to 31"},
    {BASE "[router abcdefghijklmnopqrstuvwxyz012345]\n", 16, "expected a name of 1 to 31"},
    {BASE "[scenario x]\n", 16, "expected [scenario] (without a name)"},
    {"[scenario]\n[scenario]\n" BASE, 2, "[scenario] given twice (first on line 1)"},
    {BASE "[events]\n[events]\n", 17, "[events] given twice (first on line 16)"},
    {BASE "description = " TEN("0123456789") TEN("0123456789") "\n", 16,
     "line too long (214 characters; at most 199)"},
    {BASE "cc = re\x01no\n", 16, "control character 0x01"},
    /* [scenario] */
    {"[scenario]\nduration = 0\n" BASE, 2, "[scenario]: duration '0': expected a time greater"},
    {"[scenario]\nduration = 1441min\n" BASE, 2, "too large: expected a time of at most 1440min"},
    {"[scenario]\nseed = -1\n" BASE, 2, "seed '-1': expected an integer from 0 to 1844674407"},
    {"[scenario]\nseed = 18446744073709551616\n" BASE, 2, "expected an integer from 0 to"},
    {"[scenario]\nname = my name\n" BASE, 2, "name 'my name': expected a name"},
    {"[scenario]\nbaseline = maybe\n" BASE, 2, "baseline 'maybe': expected yes or no"},
    {"[scenario]\nseed = 1\nseed = 2\n" BASE, 3, "seed given twice (first on line 2)"},
    {"[scenario]\nlength = 2s\n" BASE, 2, "[scenario]: unknown key 'length'"},
    /* hosts and routers */
    {BASE "[link l]\n", 16, "[link l]: the name 'l' is already used (line 7)"},
    {BASE "[host r]\n", 16, "the name 'r' is already used (line 6)"},
    {BASE "[host h]\n[router q]\n", 16, "host 'h': no address"},
    {BASE "[host h]\naddress = 10.0.0.1\n", 17, "address 10.0.0.1 already belongs to host 'c'"},
    {BASE "[host h]\naddress = 10.5.0.1\naddress = 10.5.0.1\n", 18,
     "address 10.5.0.1 given twice (first on line 17)"},
    {BASE "[host h]\naddress = 10.5.0.1 10.5.0.2\n", 17, "two addresses of one family"},
    {BASE "[host h]\naddress = 10.5.0.1 fd00::5 10.5.0.3\n", 17, "expected one or two addresses"},
    {BASE "[host h]\naddress = 10.5.0.999\n", 17, "expected an IPv4 or IPv6 address"},
    {BASE "[host h]\naddress = 0.0.0.0\n", 17, "the unspecified address is not a host address"},
    {BASE "[host h]\naddress = 10.5.0.1\nbackup = 10.0.9.1\n", 18,
     "host 'h': backup 10.0.9.1: not an address of this host"},
    {BASE "[host h]\nbackup = 10.5.0.1\nbackup = 10.5.0.1\naddress = 10.5.0.1\n", 18,
     "backup 10.5.0.1 given twice"},
    {BASE "[host h]\naddress = 10.5.0.1\nweight = 3\n", 18, "host 'h': unknown key 'weight'"},
    {BASE "[host h]\n" TEN("address = 10.6.0.1\n") "\n", 18, "address 10.6.0.1 given twice"},
    {BASE "[host h]\naddress = 10.7.0.1\naddress = 10.7.0.2\naddress = 10.7.0.3\n"
          "address = 10.7.0.4\naddress = 10.7.0.5\naddress = 10.7.0.6\naddress = 10.7.0.7\n"
          "address = 10.7.0.8\naddress = 10.7.0.9\n",
     25, "host 'h': too many interfaces (at most 8"},
    {BASE "[router q]\nx = 1\n", 17, "router 'q': unknown key 'x' (a router has no keys)"},
    /* links */
    {LX "rate = 20 Mbits\n", 19,
     "link 'x': rate '20 Mbits': expected a rate such as 20Mbit, 1.5Gbit or 0 (unlimited)"},
    {LX "rate = 1000\n", 19, "rate '1000': expected a rate"},
    /* NAT */
    {LX "middlebox = nat\n", 19, "link 'x': middlebox nat needs nat_address"},
    {LX "nat_address = 198.51.100.1\n", 19, "link 'x': nat_address without middlebox = nat"},
    {LX "middlebox.ab = nat\n", 19, "a NAT covers both directions: expected middlebox = nat"},
    {LX "middlebox = nat\nnat_address = 198.51.100.1\nmiddlebox.ba = none\n", 21,
     "middlebox of b->a replaces half of its NAT"},
    {LX "middlebox = nat\nnat_address = 10.0.9.1\n", 20, "nat_address is a host's address"},
    {LX "nat_address = 1.2.3\n", 19, "nat_address '1.2.3'"},
    {LX "nat_address = 198.51.100.1\nnat_address = 198.51.100.2\n", 20,
     "nat_address given twice (first on line 19)"},
    {LX "rate = 99999999999Gbit\n", 19, "rate '99999999999Gbit': too large"},
    {LX "delay = 2h\n", 19, "delay '2h': expected a time such as"},
    {LX "delay.ba = 61min\n", 19, "delay.ba '61min': too large: expected a time of at most 60min"},
    {LX "delay = -1ms\n", 19, "expected a time"},
    {LX "loss = 1.5\n", 19, "loss '1.5': expected a probability from 0 to 1"},
    {LX "duplicate.ab = 101%\n", 19, "expected a probability from 0 to 1"},
    {LX "reorder = nan\n", 19, "expected a probability such as 0.01"},
    {LX "queue = fast\n", 19, "expected a size such as 100KB or 64KiB, or a time such as 50ms"},
    {LX "queue = 1.5B\n", 19, "queue '1.5B': not a whole number of bytes"},
    {LX "rate.ba = 1Mbit\nqueue = 50ms\n", 20,
     "link 'x': queue is a time but the rate of a->b is 0 (unlimited)"},
    {LX "reorder = 1%\nreorder_delay.ba = 0\n", 20, "reorder_delay of b->a is 0"},
    {LX "middlebox = firewall\n", 19, "middlebox 'firewall': expected none, strip-mptcp"},
    {LX "colour = red\n", 19, "link 'x': unknown key 'colour'"},
    {LX "rate.xy = 1Mbit\n", 19, "unknown key 'rate.xy'"},
    {LX "a.ab = r\n", 19, "unknown key 'a.ab'"},
    {LX "rate = 1Mbit\nrate = 2Mbit\n", 20, "rate given twice (first on line 19)"},
    {LX "b = c\n", 19, "b given twice (first on line 18)"},
    {BASE "[link x]\nb = r\n", 16, "link 'x': missing key 'a'"},
    {BASE "[link x]\na = r\n", 16, "link 'x': missing key 'b'"},
    {BASE "[link x]\na = 10.0.0.1\nb = r\n", 17,
     "link 'x': a '10.0.0.1': this interface of host 'c' already has link 'l' (line 7)"},
    {BASE "[link x]\na = r\nb = r\n", 18, "link 'x': a and b are both on 'r'"},
    {BASE "[link x]\na = c\nb = r\n", 17, "a 'c': the host has 2 interfaces: name one"},
    {BASE "[link x]\na = 10.0.1.1\nb = 10.9.9.9\n", 18, "b '10.9.9.9': no host has this address"},
    {BASE "[link x]\na = nobody\nb = r\n", 17, "a 'nobody': no host or router of that name"},
    {BASE "[link x]\na = bad.name\nb = r\n", 17, "expected an address of a host, or the name"},
    /* flows */
    {BASE "mptcp = maybe\n", 16, "flow 'f': mptcp 'maybe': expected yes or no"},
    {BASE "cc = bbr\n", 16, "flow 'f': cc 'bbr': unknown congestion control (available: "},
    {BASE "sched = fastest\n", 16, "unknown scheduler (available: "},
    {BASE "pm = magic\n", 16, "unknown path manager (available: "},
    {BASE "max_subflows = 9\n", 16, "max_subflows '9': expected an integer from 1 to 8"},
    {BASE "port = 0\n", 16, "port '0': expected an integer from 1 to 65535"},
    {BASE "direction = sideways\n", 16, "expected upload, download or both"},
    {BASE "bytes = lots\n", 16, "bytes 'lots': expected a size"},
    {BASE "client = s\n", 16, "flow 'f': client given twice (first on line 14)"},
    {BASE "source = 10.0.9.1\n", 16, "source 10.0.9.1: not an address of client 'c'"},
    {BASE "source = fd00::1\n", 16, "source fd00::1 and server address 10.0.9.1 are of different"},
    {BASE "start = 31s\n", 16, "flow 'f': start 31s is after the end of the scenario (duration"},
    {BASE "speed = 3\n", 16, "flow 'f': unknown key 'speed'"},
    {BASE "[flow g]\nserver = s\n", 16, "flow 'g': missing key 'client'"},
    {BASE "[flow g]\nclient = c\n", 16, "flow 'g': missing key 'server'"},
    {BASE "[flow g]\nclient = s\nserver = s\n", 18, "flow 'g': client and server are both 's'"},
    {BASE "[flow g]\nclient = r\nserver = s\n", 17, "client 'r' is a router: expected a host"},
    {BASE "[flow g]\nclient = c\nserver = r\n", 18, "server 'r' is a router: expected a host"},
    {BASE "[flow g]\nclient = who\nserver = s\n", 17, "client 'who': no host of that name"},
    {BASE "[flow g]\nclient = c\nserver = 10.7.7.7\n", 18, "server '10.7.7.7': no host has"},
    {BASE "port = 5202\n[flow g]\nclient = c\nserver = s\n", 17,
     "flow 'g': port 5202 (the default) of host 's' is already used by flow 'f' (line 13)"},
    {BASE "[flow g]\nclient = c\nserver = s\nport = 5201\n", 19,
     "flow 'g': port 5201 of host 's' is already used by flow 'f'"},
    {BASE "[host s6]\naddress = fd00::9\n[link x]\na = s6\nb = r\n[flow g]\nclient = s\n"
          "server = s6\n",
     23, "flow 'g': client 's' has no IPv6 address to reach fd00::9"},
    {"[host c]\naddress = 10.0.0.1\n[host s]\naddress = 10.0.0.2\n[link l]\na = c\nb = s\n", 0,
     "no [flow NAME] section"},
    /* events */
    {BASE "[events]\n10s = down nowhere\n", 17, "[events]: no link named 'nowhere'"},
    {BASE "[events]\n40s = down l\n", 17, "[events]: 40s is after the end of the scenario"},
    {"[scenario]\nduration = 5s\n[events]\n5s = up l\n5001ms = down l\n" BASE, 5,
     "5001ms is after the end of the scenario (duration 5s)"},
    {BASE "[events]\n1s = explode l\n", 17, "expected an action: down, up"},
    {BASE "[events]\n1s = down\n", 17, "'1s = down': expected 'down LINK'"},
    {BASE "[events]\n1s = backup 10.0.0.1\n", 17, "expected 'backup ADDRESS on|off'"},
    {BASE "[events]\n1s = rate l fast\n", 17, "[events]: rate 'fast': expected a rate"},
    {BASE "[events]\n1s = down l.cd\n", 17, "link 'l.cd': expected LINK, LINK.ab or LINK.ba"},
    {BASE "[events]\nsoon = down l\n", 17, "[events]: time 'soon': expected a time"},
    {BASE "[events]\n1s = remove-address 10.8.8.8\n", 17, "no host has the address 10.8.8.8"},
    {BASE "[events]\n1s = remove-address c\n", 17, "remove-address 'c': expected an IPv4"},
    {BASE "[events]\n1s = backup 10.0.0.1 maybe\n", 17, "backup 'maybe': expected on or off"},
    {BASE "[events]\n1s = delay l 2h\n", 17, "delay '2h': expected a time"},
    /* addresses over time */
    {BASE "[events]\n1s = add-address\n", 17, "expected 'add-address ADDRESS'"},
    {BASE "[events]\n1s = add-address 10.8.8.8\n", 17, "no host has the address 10.8.8.8"},
    {BASE "[events]\n1s = add-address 10.0.1.1\n2s = add-address 10.0.1.1\n", 18,
     "[events]: add-address 10.0.1.1: host 'c' already has the address at that time (added on "
     "line 17)"},
    {BASE "[events]\n2s = remove-address 10.0.1.1\n1s = remove-address 10.0.1.1\n", 17,
     "remove-address 10.0.1.1: host 'c' does not have the address at that time (removed on "
     "line 18)"},
    {BASE "[events]\n1s = backup 10.0.1.1 on\n2s = add-address 10.0.1.1\n", 17,
     "backup 10.0.1.1: host 'c' does not have the address at that time (it is added later, so "
     "absent until then)"},
    {BASE "[events]\n1s = add-address 10.0.0.1\n", 13,
     "flow 'f': its source address 10.0.0.1 is not there when it starts at 0s (it is added "
     "later)"},
    {BASE "[flow g]\nclient = c\nserver = s\nport = 80\nstart = 2s\n[events]\n"
          "1s = remove-address 10.0.9.1\n",
     16,
     "flow 'g': its server address 10.0.9.1 is not there when it starts at 2s (removed on "
     "line 22)"},
};

static void test_bad_inputs(void **state)
{
    (void)state;
    char err[ERR_MAX], want[ERR_MAX];
    for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
        const struct bad *b = &bad_inputs[i];
        memset(err, 0, sizeof(err));
        int rc = scn_parse_text(b->text, "t.ini", &scn, err, sizeof(err));
        if (b->line > 0)
            snprintf(want, sizeof(want), "t.ini:%d: ", b->line);
        else
            snprintf(want, sizeof(want), "t.ini: ");
        if (rc != UMPTCP_ERR_INVAL || strncmp(err, want, strlen(want)) != 0 ||
            strstr(err, b->msg) == NULL || strchr(err, '\n') != NULL)
            fail_msg("row %zu: rc %d, got \"%s\", want \"%s...%s\"", i, rc, err, want, b->msg);
        assert_int_equal(scn.nnode, 0); /* nothing half-parsed is left */
    }
}

/* Bounds on the counts of each kind, at the line where one more is declared. */
static void test_too_many(void **state)
{
    (void)state;
    static char text[16384];
    char err[ERR_MAX];
    struct {
        const char *pre, *post; /* each line: pre, a number, post */
        int count, line;
        const char *msg;
    } rows[] = {
        {"[router r", "]\n", SCN_MAX_NODES + 1, SCN_MAX_NODES + 1, "too many hosts and routers"},
        {"[link l", "]\n", SCN_MAX_LINKS + 1, SCN_MAX_LINKS + 1, "too many links (at most 64)"},
        {"[flow f", "]\n", SCN_MAX_FLOWS + 1, SCN_MAX_FLOWS + 1, "too many flows (at most 16)"},
        {"", "0ms = down l\n", SCN_MAX_EVENTS + 1, SCN_MAX_EVENTS + 2, "too many events (at most"},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        size_t n = (size_t)snprintf(text, sizeof(text), "%s", r == 3 ? "[events]\n" : "");
        for (int i = 0; i < rows[r].count; i++)
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%d%s", rows[r].pre, i,
                                  rows[r].post);
        assert_true(n < sizeof(text) - 1);
        assert_int_equal(scn_parse_text(text, "t", &scn, err, sizeof(err)), UMPTCP_ERR_INVAL);
        char want[64];
        snprintf(want, sizeof(want), "t:%d: ", rows[r].line);
        if (strncmp(err, want, strlen(want)) != 0 || strstr(err, rows[r].msg) == NULL)
            fail_msg("row %zu: got \"%s\"", r, err);
    }
}

/* ---- value parsers --------------------------------------------------------------------- */

static void test_values_time(void **state)
{
    (void)state;
    char why[128];
    uint64_t v;
    const struct {
        const char *text;
        uint64_t ns;
    } good[] = {
        {"0", 0},
        {"1", 1000000000ull},
        {"1.5s", 1500000000ull},
        {"250ms", 250000000ull},
        {"7us", 7000ull},
        {"3ns", 3},
        {"2min", 120000000000ull},
        {"1.000000001s", 1000000001ull},
        {"0.0000000010s", 1},
        {"18446744073709551615ns", UINT64_MAX},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(scn_value_time(good[i].text, UINT64_MAX, &v, why, sizeof(why)), 0);
        assert_int_equal(v, good[i].ns);
    }
    const char *bad[] = {"",    " 1s",  "1s ",   "-1s", "+1s", "1e3s", "nan", "inf",  ".5s",
                         "1.s", "1,5s", "0x10s", "1S",  "1h",  "1 s",  "s",   "1..2s"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(scn_value_time(bad[i], UINT64_MAX, &v, why, sizeof(why)),
                         UMPTCP_ERR_INVAL);
        assert_non_null(strstr(why, "expected a time such as 250ms"));
    }
    assert_int_equal(scn_value_time("0.5ns", UINT64_MAX, &v, why, sizeof(why)), UMPTCP_ERR_INVAL);
    assert_string_equal(why, "not a whole number of nanoseconds");
    assert_int_equal(scn_value_time("1.00000000000000000001s", UINT64_MAX, &v, why, sizeof(why)),
                     UMPTCP_ERR_INVAL);
    assert_string_equal(why, "not a whole number of nanoseconds");
    assert_int_equal(scn_value_time("1.00000000000000000000s", UINT64_MAX, &v, why, sizeof(why)),
                     0);
    assert_int_equal(v, 1000000000ull);
    assert_int_equal(scn_value_time("18446744073709551616ns", UINT64_MAX, &v, why, sizeof(why)),
                     UMPTCP_ERR_INVAL);
    assert_non_null(strstr(why, "too large"));
    assert_int_equal(scn_value_time("1440min", SCN_MAX_DURATION_NS, &v, why, sizeof(why)), 0);
    assert_int_equal(v, SCN_MAX_DURATION_NS);
    assert_int_equal(scn_value_time("1440.000000001min", SCN_MAX_DURATION_NS, &v, why, sizeof(why)),
                     UMPTCP_ERR_INVAL);
    assert_string_equal(why, "too large: expected a time of at most 1440min");
    char buf[32];
    scn_format_time(0, buf, sizeof(buf));
    assert_string_equal(buf, "0s");
    scn_format_time(1500000000ull, buf, sizeof(buf));
    assert_string_equal(buf, "1500ms");
    scn_format_time(7, buf, sizeof(buf));
    assert_string_equal(buf, "7ns");
}

static void test_values_size_rate(void **state)
{
    (void)state;
    char why[160];
    uint64_t v;
    const struct {
        const char *text;
        uint64_t bytes;
    } sizes[] = {
        {"0", 0},
        {"1500", 1500},
        {"10B", 10},
        {"100KB", 100000},
        {"64KiB", 65536},
        {"1.5MiB", 1572864},
        {"2GB", 2000000000ull},
        {"17179869183GiB", 17179869183ull << 30},
    };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        assert_int_equal(scn_value_size(sizes[i].text, &v, why, sizeof(why)), 0);
        assert_int_equal(v, sizes[i].bytes);
    }
    assert_int_equal(scn_value_size("17179869184GiB", &v, why, sizeof(why)), UMPTCP_ERR_INVAL);
    assert_string_equal(why, "too large");
    assert_int_equal(scn_value_size("0.1KiB", &v, why, sizeof(why)), UMPTCP_ERR_INVAL);
    assert_string_equal(why, "not a whole number of bytes");
    assert_int_equal(scn_value_size("10kb", &v, why, sizeof(why)), UMPTCP_ERR_INVAL);
    assert_non_null(strstr(why, "expected a size such as"));
    assert_int_equal(scn_value_size("", &v, why, sizeof(why)), UMPTCP_ERR_INVAL);

    const struct {
        const char *text;
        uint64_t bps;
    } rates[] = {
        {"0", 0},
        {"0Mbit", 0},
        {"20Mbit", 20000000},
        {"1.5Gbit", 1500000000},
        {"100kbps", 100000},
        {"9bit", 9},
        {"18446744073709551615bps", UINT64_MAX},
    };
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        assert_int_equal(scn_value_rate(rates[i].text, &v, why, sizeof(why)), 0);
        assert_int_equal(v, rates[i].bps);
    }
    const char *bad[] = {"1000", "20 Mbit", "20Mbits", "20mbit", "", "-1Mbit", "1e6bit"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(scn_value_rate(bad[i], &v, why, sizeof(why)), UMPTCP_ERR_INVAL);
        assert_string_equal(why, "expected a rate such as 20Mbit, 1.5Gbit or 0 (unlimited)");
    }
    assert_int_equal(scn_value_rate("18446744073709552Gbit", &v, why, sizeof(why)),
                     UMPTCP_ERR_INVAL);
    assert_string_equal(why, "too large");
    assert_int_equal(scn_value_rate("0.5bit", &v, why, sizeof(why)), UMPTCP_ERR_INVAL);
    assert_string_equal(why, "not a whole number of bit/s");
    assert_int_equal(scn_value_rate("0.5", &v, why, sizeof(why)), UMPTCP_ERR_INVAL);
    assert_string_equal(why, "expected a rate such as 20Mbit, 1.5Gbit or 0 (unlimited)");
    assert_int_equal(scn_value_rate("0.000", &v, why, sizeof(why)), 0);
    assert_int_equal(v, 0);
}

static void test_values_prob_bool_uint_name(void **state)
{
    (void)state;
    char why[160];
    double p;
    const struct {
        const char *text;
        double p;
    } probs[] = {{"0", 0.0},    {"1", 1.0},      {"1.0", 1.0},      {"0.01", 0.01}, {"1%", 0.01},
                 {"100%", 1.0}, {"0.1%", 0.001}, {"100.000%", 1.0}, {"0.5", 0.5},   {"0%", 0.0}};
    for (size_t i = 0; i < sizeof(probs) / sizeof(probs[0]); i++) {
        assert_int_equal(scn_value_prob(probs[i].text, &p, why, sizeof(why)), 0);
        assert_true(p == probs[i].p);
    }
    const char *bad[] = {"1.5", "101%", "-0.1",  "1e-3", "nan",     "50 %",
                         "%",   "",     "0.5%%", "inf",  "100.01%", "1.0000000000000000001"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(scn_value_prob(bad[i], &p, why, sizeof(why)), UMPTCP_ERR_INVAL);

    bool b;
    const char *yes[] = {"yes", "true", "on", "1"}, *no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(scn_value_bool(yes[i], &b, why, sizeof(why)), 0);
        assert_true(b);
        assert_int_equal(scn_value_bool(no[i], &b, why, sizeof(why)), 0);
        assert_false(b);
    }
    assert_int_equal(scn_value_bool("Yes", &b, why, sizeof(why)), UMPTCP_ERR_INVAL);
    assert_int_equal(scn_value_bool("", &b, why, sizeof(why)), UMPTCP_ERR_INVAL);

    uint64_t v;
    assert_int_equal(scn_value_uint("0", 0, UINT64_MAX, &v, why, sizeof(why)), 0);
    assert_int_equal(scn_value_uint("18446744073709551615", 0, UINT64_MAX, &v, why, sizeof(why)),
                     0);
    assert_int_equal(v, UINT64_MAX);
    const char *badu[] = {"18446744073709551616",
                          "99999999999999999999999",
                          "-1",
                          "+1",
                          "1.0",
                          "0x1",
                          "",
                          " 1",
                          "1 "};
    for (size_t i = 0; i < sizeof(badu) / sizeof(badu[0]); i++)
        assert_int_equal(scn_value_uint(badu[i], 0, UINT64_MAX, &v, why, sizeof(why)),
                         UMPTCP_ERR_INVAL);
    assert_int_equal(scn_value_uint("8", 1, 8, &v, why, sizeof(why)), 0);
    assert_int_equal(scn_value_uint("9", 1, 8, &v, why, sizeof(why)), UMPTCP_ERR_INVAL);
    assert_string_equal(why, "expected an integer from 1 to 8");
    assert_int_equal(scn_value_uint("0", 1, 8, &v, why, sizeof(why)), UMPTCP_ERR_INVAL);

    assert_true(scn_name_valid("a-b_C9"));
    assert_true(scn_name_valid("abcdefghijklmnopqrstuvwxyz01234")); /* 31 */
    assert_false(scn_name_valid("abcdefghijklmnopqrstuvwxyz012345"));
    assert_false(scn_name_valid(""));
    assert_false(scn_name_valid("a.b"));
    assert_false(scn_name_valid("a b"));
    assert_int_equal(scn_value_name("a/b", why, sizeof(why)), UMPTCP_ERR_INVAL);
}

static void test_ops_names(void **state)
{
    (void)state;
    char list[128];
    assert_true(scn_ops_name_known(SCN_OPS_CC, "cubic", list, sizeof(list)));
    assert_true(scn_ops_name_known(SCN_OPS_SCHED, "minrtt", list, sizeof(list)));
    assert_true(scn_ops_name_known(SCN_OPS_PM, "fullmesh", list, sizeof(list)));
    assert_false(scn_ops_name_known(SCN_OPS_PM, "mesh", list, sizeof(list)));
    assert_non_null(strstr(list, "ndiffports"));
    assert_false(scn_ops_name_known(SCN_OPS_CC, "", list, sizeof(list)));
    assert_non_null(strstr(list, "reno"));
    assert_string_equal(scn_ops_kind_name(SCN_OPS_SCHED), "scheduler");
}

/* ---- files ----------------------------------------------------------------------------- */

static const char *write_file(const char *name, const void *data, size_t len)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", tu_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void test_files(void **state)
{
    (void)state;
    char err[ERR_MAX], want[ERR_MAX + 64];
    const char *missing = "/nonexistent/dir/x.ini";
    assert_int_equal(scn_parse_file(missing, &scn, err, sizeof(err)), UMPTCP_ERR_NOTFOUND);
    assert_string_equal(err, "/nonexistent/dir/x.ini: cannot read: No such file or directory");

    assert_int_equal(scn_parse_file(tu_tmpdir(), &scn, err, sizeof(err)), UMPTCP_ERR_IO);
    snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tu_tmpdir());
    assert_string_equal(err, want);

    static const char nul[] = "[host c]\naddress = 10.0.0.1\nx\0y = 1\n";
    const char *p = write_file("nul.ini", nul, sizeof(nul) - 1);
    assert_int_equal(scn_parse_file(p, &scn, err, sizeof(err)), UMPTCP_ERR_INVAL);
    snprintf(want, sizeof(want), "%s:3: NUL byte in the line", p);
    assert_string_equal(err, want);

    char longline[400];
    int n = snprintf(longline, sizeof(longline), "[scenario]\n\ndescription = ");
    memset(longline + n, 'x', 200 - 14);
    strcpy(longline + n + 200 - 14, "\n");
    p = write_file("long.ini", longline, strlen(longline));
    assert_int_equal(scn_parse_file(p, &scn, err, sizeof(err)), UMPTCP_ERR_INVAL);
    snprintf(want, sizeof(want), "%s:3: line too long (200 characters; at most 199)", p);
    assert_string_equal(err, want);

    char *big = malloc(1024 * 1024 + 2);
    assert_non_null(big);
    memset(big, '\n', 1024 * 1024 + 1);
    p = write_file("big.ini", big, 1024 * 1024 + 1);
    free(big);
    assert_int_equal(scn_parse_file(p, &scn, err, sizeof(err)), UMPTCP_ERR_INVAL);
    assert_non_null(strstr(err, "too large"));

    static const char good[] = "[host c]\naddress = 10.0.0.1\n[host s]\naddress = 10.0.0.2\n"
                               "[link l]\na = c\nb = s\n[flow f]\nclient = c\nserver = s\n";
    p = write_file("my.good.ini", good, sizeof(good) - 1);
    assert_int_equal(scn_parse_file(p, &scn, err, sizeof(err)), 0);
    assert_string_equal(scn.name, "my_good");
    assert_string_equal(scn.source, p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_doc_example),
        cmocka_unit_test(test_nat_link),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_values_time),
        cmocka_unit_test(test_values_size_rate),
        cmocka_unit_test(test_values_prob_bool_uint_name),
        cmocka_unit_test(test_ops_names),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
