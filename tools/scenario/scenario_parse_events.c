/* The [events] section: "TIME = ACTION ARGS". Link names and addresses are resolved, and the
 * events sorted, by validation once every section is read. */
#include "scenario/scenario.h"
#include "scenario/scenario_parse_internal.h"
#include "scenario/scenario_values.h"

#include <stdio.h>
#include <string.h>

#define SCN_EV_TOKENS 3
#define SCN_WHY_MAX 160

struct scn_action {
    const char *name;
    enum scn_event_kind kind;
    size_t ntok; /* the action's word included */
    const char *usage;
};

static const struct scn_action scn_actions[] = {
    {"down", SCN_EV_LINK_DOWN, 2, "down LINK"},
    {"up", SCN_EV_LINK_UP, 2, "up LINK"},
    {"rate", SCN_EV_RATE, 3, "rate LINK RATE"},
    {"delay", SCN_EV_DELAY, 3, "delay LINK TIME"},
    {"loss", SCN_EV_LOSS, 3, "loss LINK PROBABILITY"},
    {"queue", SCN_EV_QUEUE, 3, "queue LINK SIZE"},
    {"remove-address", SCN_EV_REMOVE_ADDR, 2, "remove-address ADDRESS"},
    {"add-address", SCN_EV_ADD_ADDR, 2, "add-address ADDRESS"},
    {"backup", SCN_EV_BACKUP, 3, "backup ADDRESS on|off"},
};

/* LINK, LINK.ab or LINK.ba. */
static int scn_event_link(struct scn_pstate *st, struct scn_event *ev, const char *tok)
{
    const char *dot = strchr(tok, '.');
    size_t n = dot != NULL ? (size_t)(dot - tok) : strlen(tok);
    ev->dirmask = dot == NULL               ? SCN_DIR_AB | SCN_DIR_BA
                  : strcmp(dot, ".ab") == 0 ? SCN_DIR_AB
                  : strcmp(dot, ".ba") == 0 ? SCN_DIR_BA
                                            : 0;
    char name[SCN_NAME_MAX] = "";
    if (n < sizeof(name)) {
        memcpy(name, tok, n);
        name[n] = '\0';
    }
    if (ev->dirmask == 0 || n >= sizeof(name) || !scn_name_valid(name))
        return scn_fail_value(st, "link", tok, "expected LINK, LINK.ab or LINK.ba");
    snprintf(st->event_link[st->s->nevent], SCN_NAME_MAX, "%s", name);
    return 1;
}

/* The action's argument after the link or address. */
static int scn_event_arg(struct scn_pstate *st, struct scn_event *ev, const char *action,
                         const char *arg)
{
    char why[SCN_WHY_MAX];
    int rc = 0;
    switch (ev->kind) {
    case SCN_EV_RATE:
        rc = scn_value_rate(arg, &ev->value, why, sizeof(why));
        break;
    case SCN_EV_DELAY:
        rc = scn_value_time(arg, SIM_LINK_MAX_DELAY_NS, &ev->value, why, sizeof(why));
        break;
    case SCN_EV_LOSS:
        rc = scn_value_prob(arg, &ev->p, why, sizeof(why));
        break;
    case SCN_EV_QUEUE:
        rc = scn_value_size(arg, &ev->value, why, sizeof(why));
        break;
    case SCN_EV_BACKUP:
        if (strcmp(arg, "on") == 0 || strcmp(arg, "off") == 0)
            ev->on = strcmp(arg, "on") == 0;
        else
            rc = -1, snprintf(why, sizeof(why), "expected on or off");
        break;
    default:
        break;
    }
    return rc == 0 ? 1 : scn_fail_value(st, action, arg, why);
}

static const struct scn_action *scn_action_find(const char *name)
{
    for (size_t i = 0; i < sizeof(scn_actions) / sizeof(scn_actions[0]); i++)
        if (strcmp(scn_actions[i].name, name) == 0)
            return &scn_actions[i];
    return NULL;
}

int scn_event_key(struct scn_pstate *st, const char *key, const char *value)
{
    struct scn_scenario *s = st->s;
    if (s->nevent == SCN_MAX_EVENTS)
        return scn_fail(st, st->lineno, "%s: too many events (at most %d)", st->ctx,
                        SCN_MAX_EVENTS);
    struct scn_event ev = {.line = st->lineno};
    char why[SCN_WHY_MAX];
    if (scn_value_time(key, SCN_MAX_DURATION_NS, &ev.at_ns, why, sizeof(why)) != 0)
        return scn_fail_value(st, "time", key, why);
    char copy[SCN_LINE_MAX + 1], *tok[SCN_EV_TOKENS + 1] = {NULL}, *save = NULL;
    snprintf(copy, sizeof(copy), "%s", value);
    size_t ntok = 0;
    for (char *t = strtok_r(copy, " \t", &save); t != NULL && ntok <= SCN_EV_TOKENS;
         t = strtok_r(NULL, " \t", &save))
        tok[ntok++] = t;
    const struct scn_action *a = ntok > 0 ? scn_action_find(tok[0]) : NULL;
    if (a == NULL)
        return scn_fail(st, st->lineno,
                        "%s: '%s = %s': expected an action: down, up, rate, delay, loss, queue, "
                        "remove-address, add-address or backup",
                        st->ctx, key, value);
    if (ntok != a->ntok)
        return scn_fail(st, st->lineno, "%s: '%s = %s': expected '%s'", st->ctx, key, value,
                        a->usage);
    ev.kind = a->kind;
    if (!scn_event_is_address(a->kind)) {
        if (!scn_event_link(st, &ev, tok[1]))
            return 0;
    } else if (!scn_addr_value(tok[1], &ev.addr, why, sizeof(why))) {
        return scn_fail_value(st, a->name, tok[1], why);
    }
    if (a->ntok == 3 && !scn_event_arg(st, &ev, a->name, tok[2]))
        return 0;
    s->event[s->nevent++] = ev;
    return 1;
}
