/* The built-in scenarios of `umptcp sim --preset NAME`: ordinary scenario texts (the format
 * of docs/SCENARIOS.md), parsed by the same parser as files. `umptcp sim --show-preset NAME`
 * prints one as a start for a scenario of one's own. Delays in the link sections are one way;
 * the comments give round-trip times. */
#include "scenario/scenario.h"

#include "umptcp/error.h"

#include <stdio.h>
#include <string.h>

struct scn_preset {
    const char *name;
    const char *summary;
    const char *text;
};

/* The access part every phone-like preset shares is written out in each text on purpose: a
 * preset is meant to be read (and copied) as one self-contained file. */
static const struct scn_preset scn_presets[] = {
    {"wifi-lte", "a phone downloads over WiFi (20 Mbit/s, 20 ms) and LTE (10 Mbit/s, 60 ms)",
     "# A phone downloads from a server over WiFi and LTE at once.\n"
     "[scenario]\n"
     "description = WiFi 20 Mbit/s 20 ms RTT + LTE 10 Mbit/s 60 ms RTT, bulk download\n"
     "duration = 30s\n"
     "baseline = yes\n"
     "\n"
     "[host phone]\n"
     "address = 10.0.1.1 ; WiFi\n"
     "address = 10.0.2.1 ; LTE\n"
     "\n"
     "[host server]\n"
     "address = 10.0.9.1\n"
     "\n"
     "[router internet]\n"
     "\n"
     "[link wifi]\n"
     "a = 10.0.1.1\n"
     "b = internet\n"
     "rate = 20Mbit\n"
     "delay = 10ms\n"
     "queue = 100ms\n"
     "\n"
     "[link lte]\n"
     "a = 10.0.2.1\n"
     "b = internet\n"
     "rate = 10Mbit\n"
     "delay = 30ms\n"
     "queue = 100ms\n"
     "\n"
     "[link core]\n"
     "a = internet\n"
     "b = server\n"
     "\n"
     "[flow download]\n"
     "client = phone\n"
     "server = server\n"
     "direction = download\n"},
    {"dual-ethernet", "a host with two 100 Mbit/s Ethernet ports uploads to a server",
     "# A host with two Ethernet ports uploads to a server in the same data centre.\n"
     "[scenario]\n"
     "description = two 100 Mbit/s Ethernet links, 1 ms RTT, bulk upload\n"
     "duration = 20s\n"
     "baseline = yes\n"
     "\n"
     "[host host]\n"
     "address = 10.1.1.1 ; eth0\n"
     "address = 10.1.2.1 ; eth1\n"
     "\n"
     "[host server]\n"
     "address = 10.1.9.1\n"
     "\n"
     "[router tor]\n"
     "\n"
     "[link eth0]\n"
     "a = 10.1.1.1\n"
     "b = tor\n"
     "rate = 100Mbit\n"
     "delay = 500us\n"
     "queue = 10ms\n"
     "\n"
     "[link eth1]\n"
     "a = 10.1.2.1\n"
     "b = tor\n"
     "rate = 100Mbit\n"
     "delay = 500us\n"
     "queue = 10ms\n"
     "\n"
     "[link uplink]\n"
     "a = tor\n"
     "b = server\n"
     "\n"
     "[flow upload]\n"
     "client = host\n"
     "server = server\n"
     "direction = upload\n"},
    {"heterogeneous",
     "WiFi (8 Mbit/s, 20 ms) beside a bloated 3G path (2 Mbit/s, 150 ms), as in Raiciu et al., "
     "NSDI 2012",
     "# Very different paths: a fast WiFi and a slow 3G path with a deep buffer (Raiciu et al.,\n"
     "# \"How hard can it be? Designing and implementing a deployable multipath TCP\", NSDI "
     "2012).\n"
     "[scenario]\n"
     "description = WiFi 8 Mbit/s 20 ms RTT + 3G 2 Mbit/s 150 ms RTT with a 1 s buffer, bulk "
     "download\n"
     "duration = 30s\n"
     "baseline = yes\n"
     "\n"
     "[host phone]\n"
     "address = 10.2.1.1 ; WiFi\n"
     "address = 10.2.2.1 ; 3G\n"
     "\n"
     "[host server]\n"
     "address = 10.2.9.1\n"
     "\n"
     "[router internet]\n"
     "\n"
     "[link wifi]\n"
     "a = 10.2.1.1\n"
     "b = internet\n"
     "rate = 8Mbit\n"
     "delay = 10ms\n"
     "queue = 100ms\n"
     "\n"
     "[link 3g]\n"
     "a = 10.2.2.1\n"
     "b = internet\n"
     "rate = 2Mbit\n"
     "delay = 75ms\n"
     "queue = 1s\n"
     "\n"
     "[link core]\n"
     "a = internet\n"
     "b = server\n"
     "\n"
     "[flow download]\n"
     "client = phone\n"
     "server = server\n"
     "direction = download\n"},
    {"handover", "WiFi + LTE; WiFi vanishes at 10 s and comes back at 20 s during a 80 MB download",
     "# Walking out of WiFi range and back: the download goes on over LTE.\n"
     "[scenario]\n"
     "description = WiFi 20 Mbit/s + LTE 10 Mbit/s, WiFi down from 10 s to 20 s, 80 MB "
     "download\n"
     "duration = 40s\n"
     "baseline = yes\n"
     "\n"
     "[host phone]\n"
     "address = 10.0.1.1 ; WiFi\n"
     "address = 10.0.2.1 ; LTE\n"
     "\n"
     "[host server]\n"
     "address = 10.0.9.1\n"
     "\n"
     "[router internet]\n"
     "\n"
     "[link wifi]\n"
     "a = 10.0.1.1\n"
     "b = internet\n"
     "rate = 20Mbit\n"
     "delay = 10ms\n"
     "queue = 100ms\n"
     "\n"
     "[link lte]\n"
     "a = 10.0.2.1\n"
     "b = internet\n"
     "rate = 10Mbit\n"
     "delay = 30ms\n"
     "queue = 100ms\n"
     "\n"
     "[link core]\n"
     "a = internet\n"
     "b = server\n"
     "\n"
     "[flow download]\n"
     "client = phone\n"
     "server = server\n"
     "direction = download\n"
     "bytes = 80MB\n"
     "\n"
     "[events]\n"
     "10s = down wifi\n"
     "20s = up wifi\n"},
    {"shared-bottleneck",
     "an MPTCP flow with two subflows and a TCP flow share one 20 Mbit/s bottleneck",
     "# Two hosts upload through one bottleneck: one with MPTCP over two access links, one\n"
     "# with TCP. With uncoupled congestion control the MPTCP flow takes about two shares.\n"
     "[scenario]\n"
     "description = MPTCP (2 subflows) and TCP through one 20 Mbit/s 20 ms RTT bottleneck\n"
     "duration = 30s\n"
     "baseline = yes\n"
     "\n"
     "[host multi]\n"
     "address = 10.3.1.1\n"
     "address = 10.3.2.1\n"
     "\n"
     "[host single]\n"
     "address = 10.3.3.1\n"
     "\n"
     "[host server]\n"
     "address = 10.3.9.1\n"
     "\n"
     "[router edge]\n"
     "[router far]\n"
     "\n"
     "[link multi1]\n"
     "a = 10.3.1.1\n"
     "b = edge\n"
     "rate = 100Mbit\n"
     "\n"
     "[link multi2]\n"
     "a = 10.3.2.1\n"
     "b = edge\n"
     "rate = 100Mbit\n"
     "\n"
     "[link single]\n"
     "a = single\n"
     "b = edge\n"
     "rate = 100Mbit\n"
     "\n"
     "[link bottleneck]\n"
     "a = edge\n"
     "b = far\n"
     "rate = 20Mbit\n"
     "delay = 10ms\n"
     "queue = 100ms\n"
     "\n"
     "[link server]\n"
     "a = far\n"
     "b = server\n"
     "\n"
     "[flow mptcp]\n"
     "client = multi\n"
     "server = server\n"
     "\n"
     "[flow tcp]\n"
     "client = single\n"
     "server = server\n"
     "mptcp = no\n"},
    {"lossy", "WiFi with 1% loss and reordering beside LTE with 0.5% loss",
     "# Two lossy paths: random loss and reordering on WiFi, random loss on LTE.\n"
     "[scenario]\n"
     "description = WiFi 20 Mbit/s 20 ms RTT 1% loss 1% reordering + LTE 10 Mbit/s 60 ms RTT "
     "0.5% loss, bulk download\n"
     "duration = 30s\n"
     "baseline = yes\n"
     "\n"
     "[host phone]\n"
     "address = 10.4.1.1 ; WiFi\n"
     "address = 10.4.2.1 ; LTE\n"
     "\n"
     "[host server]\n"
     "address = 10.4.9.1\n"
     "\n"
     "[router internet]\n"
     "\n"
     "[link wifi]\n"
     "a = 10.4.1.1\n"
     "b = internet\n"
     "rate = 20Mbit\n"
     "delay = 10ms\n"
     "queue = 100ms\n"
     "loss = 1%\n"
     "reorder = 1%\n"
     "reorder_delay = 5ms\n"
     "\n"
     "[link lte]\n"
     "a = 10.4.2.1\n"
     "b = internet\n"
     "rate = 10Mbit\n"
     "delay = 30ms\n"
     "queue = 100ms\n"
     "loss = 0.5%\n"
     "\n"
     "[link core]\n"
     "a = internet\n"
     "b = server\n"
     "\n"
     "[flow download]\n"
     "client = phone\n"
     "server = server\n"
     "direction = download\n"},
    {"middlebox",
     "a middlebox on the WiFi path strips MPTCP options: the connection falls back to TCP",
     "# A middlebox that removes unknown TCP options (as `iptables -j TCPOPTSTRIP\n"
     "# --strip-options 30` does) sits on the WiFi path: the connection falls back to TCP\n"
     "# (RFC 8684 3.7) and the transfer still completes intact.\n"
     "[scenario]\n"
     "description = WiFi + LTE, MPTCP options stripped on WiFi, 20 MB download\n"
     "duration = 30s\n"
     "baseline = yes\n"
     "\n"
     "[host phone]\n"
     "address = 10.5.1.1 ; WiFi\n"
     "address = 10.5.2.1 ; LTE\n"
     "\n"
     "[host server]\n"
     "address = 10.5.9.1\n"
     "\n"
     "[router internet]\n"
     "\n"
     "[link wifi]\n"
     "a = 10.5.1.1\n"
     "b = internet\n"
     "rate = 20Mbit\n"
     "delay = 10ms\n"
     "queue = 100ms\n"
     "middlebox = strip-mptcp\n"
     "\n"
     "[link lte]\n"
     "a = 10.5.2.1\n"
     "b = internet\n"
     "rate = 10Mbit\n"
     "delay = 30ms\n"
     "queue = 100ms\n"
     "\n"
     "[link core]\n"
     "a = internet\n"
     "b = server\n"
     "\n"
     "[flow download]\n"
     "client = phone\n"
     "server = server\n"
     "direction = download\n"
     "bytes = 20MB\n"},
};

#define SCN_NPRESETS (sizeof(scn_presets) / sizeof(scn_presets[0]))

static const char *const scn_preset_name_list[] = {
    "wifi-lte",          "dual-ethernet", "heterogeneous", "handover",
    "shared-bottleneck", "lossy",         "middlebox",     NULL};

_Static_assert(sizeof(scn_preset_name_list) / sizeof(scn_preset_name_list[0]) == SCN_NPRESETS + 1,
               "every preset is listed");

const char *const *scn_preset_names(void)
{
    return scn_preset_name_list;
}

static const struct scn_preset *scn_preset_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < SCN_NPRESETS; i++)
        if (strcmp(scn_presets[i].name, name) == 0)
            return &scn_presets[i];
    return NULL;
}

const char *scn_preset_text(const char *name)
{
    const struct scn_preset *p = scn_preset_find(name);
    return p != NULL ? p->text : NULL;
}

const char *scn_preset_summary(const char *name)
{
    const struct scn_preset *p = scn_preset_find(name);
    return p != NULL ? p->summary : NULL;
}

int scn_load_preset(const char *name, struct scn_scenario *out, char *err, size_t errlen)
{
    const struct scn_preset *p = scn_preset_find(name);
    if (p == NULL) {
        int n = snprintf(err, errlen, "unknown preset '%s' (available:", name ? name : "");
        for (size_t i = 0; i < SCN_NPRESETS && n >= 0 && (size_t)n < errlen; i++)
            n += snprintf(err + n, errlen - (size_t)n, " %s", scn_presets[i].name);
        if (n >= 0 && (size_t)n < errlen)
            snprintf(err + n, errlen - (size_t)n, ")");
        return UMPTCP_ERR_NOTFOUND;
    }
    char origin[SCN_NAME_MAX + 8];
    snprintf(origin, sizeof(origin), "preset %s", p->name);
    int rc = scn_parse_text(p->text, origin, out, err, errlen);
    if (rc == UMPTCP_OK)
        snprintf(out->name, sizeof(out->name), "%s", p->name);
    return rc;
}
