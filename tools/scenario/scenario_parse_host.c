/* The keys of the [scenario] and [host NAME] sections, and the address values they share
 * with the other sections. */
#include "scenario/scenario.h"
#include "scenario/scenario_parse_internal.h"
#include "scenario/scenario_values.h"

#include <stdio.h>
#include <string.h>

/* ---- addresses ------------------------------------------------------------------------- */

bool scn_addr_value(const char *text, umptcp_addr *out, char *why, size_t whylen)
{
    static const umptcp_addr zero;
    if (strlen(text) >= UMPTCP_ADDR_STRLEN || umptcp_addr_parse(out, text) != 0) {
        snprintf(why, whylen, "expected an IPv4 or IPv6 address such as 10.0.1.1 or 2001:db8::1");
        return false;
    }
    if (memcmp(out->bytes, zero.bytes, sizeof(zero.bytes)) == 0) {
        snprintf(why, whylen, "the unspecified address is not a host address");
        return false;
    }
    return true;
}

const char *scn_addr_str(const umptcp_addr *a, char *buf, size_t len)
{
    return umptcp_addr_format(a, buf, len);
}

/* ---- [scenario] ------------------------------------------------------------------------ */

int scn_scenario_key(struct scn_pstate *st, const char *key, const char *value)
{
    static const char *const keys[] = {"name", "description", "duration", "seed", "baseline"};
    struct scn_scenario *s = st->s;
    char why[SCN_MSG_MAX];
    size_t k = 0;
    while (k < sizeof(keys) / sizeof(keys[0]) && strcmp(keys[k], key) != 0)
        k++;
    if (k == sizeof(keys) / sizeof(keys[0]))
        return scn_fail(st, st->lineno,
                        "%s: unknown key '%s' (expected name, description, duration, seed or "
                        "baseline)",
                        st->ctx, key);
    if (!scn_key_once(st, k, key))
        return 0;
    int rc = 0;
    switch (k) {
    case 0:
        rc = scn_value_name(value, why, sizeof(why));
        if (rc == 0)
            snprintf(s->name, sizeof(s->name), "%s", value);
        break;
    case 1:
        if (strlen(value) >= sizeof(s->description))
            return scn_fail_value(st, key, value, "too long (at most 255 characters)");
        snprintf(s->description, sizeof(s->description), "%s", value);
        break;
    case 2:
        rc = scn_value_time(value, SCN_MAX_DURATION_NS, &s->duration_ns, why, sizeof(why));
        if (rc == 0 && s->duration_ns == 0)
            return scn_fail_value(st, key, value, "expected a time greater than 0");
        st->duration_line = st->lineno;
        break;
    case 3:
        rc = scn_value_uint(value, 0, UINT64_MAX, &s->seed, why, sizeof(why));
        break;
    default:
        rc = scn_value_bool(value, &s->baseline, why, sizeof(why));
        break;
    }
    return rc == 0 ? 1 : scn_fail_value(st, key, value, why);
}

/* ---- [host NAME] ----------------------------------------------------------------------- */

/* A second owner of a, or a second time on this host. */
static bool scn_addr_taken(struct scn_pstate *st, const umptcp_addr *a, const char *text)
{
    size_t n, i;
    if (!scn_find_addr(st->s, a, &n, &i))
        return false;
    if (n == st->cur)
        scn_fail(st, st->lineno, "%s: address %s given twice (first on line %d)", st->ctx, text,
                 st->s->node[n].iface[i].line);
    else
        scn_fail(st, st->lineno, "%s: address %s already belongs to host '%s' (line %d)", st->ctx,
                 text, st->s->node[n].name, st->s->node[n].iface[i].line);
    return true;
}

static int scn_host_address(struct scn_pstate *st, const char *value)
{
    struct scn_node *nd = &st->s->node[st->cur];
    if (nd->niface == SCN_MAX_IFACES)
        return scn_fail(st, st->lineno, "%s: too many interfaces (at most %d 'address' lines)",
                        st->ctx, SCN_MAX_IFACES);
    struct scn_iface ifc = {.line = st->lineno};
    char copy[SCN_LINE_MAX + 1], why[128];
    snprintf(copy, sizeof(copy), "%s", value);
    char *save = NULL;
    for (char *tok = strtok_r(copy, " \t", &save); tok != NULL;
         tok = strtok_r(NULL, " \t", &save)) {
        if (ifc.naddr == SCN_MAX_IFACE_ADDRS)
            return scn_fail_value(st, "address", value,
                                  "expected one or two addresses (one IPv4, one IPv6)");
        umptcp_addr *a = &ifc.addr[ifc.naddr];
        if (!scn_addr_value(tok, a, why, sizeof(why)))
            return scn_fail_value(st, "address", tok, why);
        if (ifc.naddr == 1 && ifc.addr[0].family == a->family)
            return scn_fail_value(st, "address", value,
                                  "two addresses of one family: expected at most one IPv4 and "
                                  "one IPv6 address per interface");
        if (scn_addr_taken(st, a, tok))
            return 0;
        ifc.naddr++;
    }
    if (ifc.naddr == 0)
        return scn_fail_value(st, "address", value,
                              "expected one or two addresses such as 10.0.1.1 or 2001:db8::1");
    nd->iface[nd->niface++] = ifc;
    return 1;
}

static int scn_host_backup(struct scn_pstate *st, const char *value)
{
    char why[128];
    umptcp_addr a;
    if (!scn_addr_value(value, &a, why, sizeof(why)))
        return scn_fail_value(st, "backup", value, why);
    for (size_t i = 0; i < st->nbackup; i++)
        if (umptcp_addr_equal(&st->backup[i].addr, &a))
            return scn_fail(st, st->lineno, "%s: backup %s given twice (first on line %d)", st->ctx,
                            value, st->backup[i].line);
    if (st->nbackup == SCN_MAX_IFACES)
        return scn_fail(st, st->lineno, "%s: too many backup keys (at most %d)", st->ctx,
                        SCN_MAX_IFACES);
    st->backup[st->nbackup++] = (struct scn_pbackup){a, st->lineno};
    return 1;
}

int scn_host_key(struct scn_pstate *st, const char *key, const char *value)
{
    if (strcmp(key, "address") == 0)
        return scn_host_address(st, value);
    if (strcmp(key, "backup") == 0)
        return scn_host_backup(st, value);
    return scn_fail(st, st->lineno, "%s: unknown key '%s' (expected address or backup)", st->ctx,
                    key);
}

/* At the end of a host's section: it has an address, and its backups name its own. */
bool scn_host_end(struct scn_pstate *st)
{
    struct scn_node *nd = &st->s->node[st->cur];
    if (nd->niface == 0)
        return scn_fail(st, nd->line, "%s: no address (expected at least one 'address = ...')",
                        st->ctx);
    for (size_t b = 0; b < st->nbackup; b++) {
        size_t n, i;
        char text[UMPTCP_ADDR_STRLEN];
        if (!scn_find_addr(st->s, &st->backup[b].addr, &n, &i) || n != st->cur)
            return scn_fail(st, st->backup[b].line, "%s: backup %s: not an address of this host",
                            st->ctx, scn_addr_str(&st->backup[b].addr, text, sizeof(text)));
        nd->iface[i].backup = true;
    }
    return true;
}
