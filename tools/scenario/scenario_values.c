/* Value parsers of scenario files: decimal numbers read with integer arithmetic, then scaled by
 * a unit, exactly or not at all. */
#include "scenario/scenario_values.h"

#include <stdio.h>
#include <string.h>

#include "umptcp/error.h"

#define SCN_FRAC_DIGITS_MAX 19 /* 10^19 still fits in a uint64_t */

/* A decimal number ip.frac, frac with its trailing zeros stripped (fd digits). */
struct scn_dec {
    uint64_t ip, frac;
    unsigned fd;
};

/* SYNTAX: not the expected form; INEXACT: not a whole number of the base unit (or a fraction
 * with more significant digits than any unit can make whole); RANGE: too large. */
enum scn_dec_rc { SCN_DEC_OK, SCN_DEC_SYNTAX, SCN_DEC_INEXACT, SCN_DEC_RANGE };

struct scn_unit {
    const char *name;
    uint64_t mult;
};

static bool scn_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int scn_why(char *why, size_t whylen, const char *msg)
{
    if (why != NULL && whylen > 0)
        snprintf(why, whylen, "%s", msg);
    return UMPTCP_ERR_INVAL;
}

static uint64_t scn_pow10(unsigned n)
{
    uint64_t p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

/* Reads [0-9]+(.[0-9]+)? at *p and advances *p past it. RANGE: the integer part overflows;
 * INEXACT: the fraction has more significant digits than SCN_FRAC_DIGITS_MAX (no unit here
 * makes such a fraction whole: the largest, 6e10 ns, has ten factors of 10 at most). */
static enum scn_dec_rc scn_dec_read(const char **p, struct scn_dec *d)
{
    const char *s = *p;
    memset(d, 0, sizeof(*d));
    if (!scn_is_digit(*s))
        return SCN_DEC_SYNTAX;
    bool overflow = false, inexact = false;
    for (; scn_is_digit(*s); s++) {
        uint64_t digit = (uint64_t)(*s - '0');
        if (d->ip > (UINT64_MAX - digit) / 10)
            overflow = true;
        else
            d->ip = d->ip * 10 + digit;
    }
    if (*s == '.') {
        const char *f = ++s;
        if (!scn_is_digit(*f))
            return SCN_DEC_SYNTAX;
        while (scn_is_digit(*s))
            s++;
        size_t n = (size_t)(s - f);
        while (n > 0 && f[n - 1] == '0')
            n--;
        inexact = n > SCN_FRAC_DIGITS_MAX;
        for (size_t i = 0; i < n && !inexact; i++)
            d->frac = d->frac * 10 + (uint64_t)(f[i] - '0');
        d->fd = inexact ? 0 : (unsigned)n;
    }
    *p = s;
    return overflow ? SCN_DEC_RANGE : inexact ? SCN_DEC_INEXACT : SCN_DEC_OK;
}

static uint64_t scn_gcd(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* d * mult into *out: INEXACT when the product is not a whole number, RANGE when it does not
 * fit. */
static enum scn_dec_rc scn_dec_scale(const struct scn_dec *d, uint64_t mult, uint64_t *out)
{
    uint64_t v;
    if (__builtin_mul_overflow(d->ip, mult, &v))
        return SCN_DEC_RANGE;
    if (d->fd > 0) {
        uint64_t p = scn_pow10(d->fd), g = scn_gcd(mult, p);
        uint64_t need = p / g, q = mult / g; /* frac * mult / p == (frac / need) * q */
        if (d->frac % need != 0)
            return SCN_DEC_INEXACT;
        uint64_t add;
        if (__builtin_mul_overflow(d->frac / need, q, &add) || __builtin_add_overflow(v, add, &v))
            return SCN_DEC_RANGE;
    }
    *out = v;
    return SCN_DEC_OK;
}

static const struct scn_unit *scn_unit_find(const struct scn_unit *units, const char *name)
{
    for (; units->name != NULL; units++)
        if (strcmp(units->name, name) == 0)
            return units;
    return NULL;
}

/* number + unit from the table; bare_mult applies to a bare number (0: not allowed). */
static enum scn_dec_rc scn_scaled(const char *text, const struct scn_unit *units,
                                  uint64_t bare_mult, uint64_t *out, bool *bare)
{
    const char *p = text;
    struct scn_dec d;
    *bare = false;
    enum scn_dec_rc rc = scn_dec_read(&p, &d);
    if (rc == SCN_DEC_SYNTAX)
        return rc;
    const struct scn_unit *u = scn_unit_find(units, p);
    *bare = *p == '\0';
    if (u == NULL && !*bare)
        return SCN_DEC_SYNTAX;
    if (rc != SCN_DEC_OK)
        return rc;
    return scn_dec_scale(&d, u != NULL ? u->mult : bare_mult, out);
}

static const struct scn_unit scn_time_units[] = {
    {"ns", 1ull},         {"us", 1000ull},         {"ms", 1000000ull},
    {"s", 1000000000ull}, {"min", 60000000000ull}, {NULL, 0},
};

void scn_format_time(uint64_t ns, char *buf, size_t len)
{
    if (ns == 0) {
        snprintf(buf, len, "0s");
        return;
    }
    for (size_t i = sizeof(scn_time_units) / sizeof(scn_time_units[0]) - 1; i-- > 0;) {
        if (ns % scn_time_units[i].mult == 0 || i == 0) {
            snprintf(buf, len, "%llu%s", (unsigned long long)(ns / scn_time_units[i].mult),
                     scn_time_units[i].name);
            return;
        }
    }
}

int scn_value_time(const char *text, uint64_t max_ns, uint64_t *out, char *why, size_t whylen)
{
    uint64_t v = 0;
    bool bare;
    enum scn_dec_rc rc = scn_scaled(text, scn_time_units, 1000000000ull, &v, &bare);
    if (rc == SCN_DEC_OK && v > max_ns)
        rc = SCN_DEC_RANGE;
    if (rc == SCN_DEC_RANGE) {
        char max[32], msg[96];
        scn_format_time(max_ns, max, sizeof(max));
        snprintf(msg, sizeof(msg), "too large: expected a time of at most %s", max);
        return scn_why(why, whylen, msg);
    }
    if (rc == SCN_DEC_INEXACT)
        return scn_why(why, whylen, "not a whole number of nanoseconds");
    if (rc != SCN_DEC_OK)
        return scn_why(why, whylen,
                       "expected a time such as 250ms, 1.5s or 2min (units ns, us, ms, s, min)");
    *out = v;
    return 0;
}

static const struct scn_unit scn_size_units[] = {
    {"B", 1ull},         {"KB", 1000ull},     {"MB", 1000000ull},  {"GB", 1000000000ull},
    {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}, {NULL, 0},
};

int scn_value_size(const char *text, uint64_t *out, char *why, size_t whylen)
{
    uint64_t v = 0;
    bool bare;
    enum scn_dec_rc rc = scn_scaled(text, scn_size_units, 1, &v, &bare);
    if (rc == SCN_DEC_RANGE)
        return scn_why(why, whylen, "too large");
    if (rc == SCN_DEC_INEXACT)
        return scn_why(why, whylen, "not a whole number of bytes");
    if (rc != SCN_DEC_OK)
        return scn_why(why, whylen,
                       "expected a size such as 1500, 100KB or 64KiB (units B, KB, MB, GB, "
                       "KiB, MiB, GiB)");
    *out = v;
    return 0;
}

static const struct scn_unit scn_rate_units[] = {
    {"bit", 1ull},           {"kbit", 1000ull},       {"Mbit", 1000000ull},
    {"Gbit", 1000000000ull}, {"bps", 1ull},           {"kbps", 1000ull},
    {"Mbps", 1000000ull},    {"Gbps", 1000000000ull}, {NULL, 0},
};

int scn_value_rate(const char *text, uint64_t *out, char *why, size_t whylen)
{
    uint64_t v = 0;
    bool bare;
    enum scn_dec_rc rc = scn_scaled(text, scn_rate_units, 1, &v, &bare);
    if (bare && !(rc == SCN_DEC_OK && v == 0))
        rc = SCN_DEC_SYNTAX; /* a bare number other than 0 has no unit: bits or bytes? */
    if (rc == SCN_DEC_RANGE)
        return scn_why(why, whylen, "too large");
    if (rc == SCN_DEC_INEXACT)
        return scn_why(why, whylen, "not a whole number of bit/s");
    if (rc != SCN_DEC_OK)
        return scn_why(why, whylen, "expected a rate such as 20Mbit, 1.5Gbit or 0 (unlimited)");
    *out = v;
    return 0;
}

int scn_value_prob(const char *text, double *out, char *why, size_t whylen)
{
    static const char *expected = "expected a probability such as 0.01 or 1% (0 to 1, or 0% "
                                  "to 100%)";
    const char *p = text;
    struct scn_dec d;
    enum scn_dec_rc rc = scn_dec_read(&p, &d);
    bool percent = strcmp(p, "%") == 0;
    if (rc == SCN_DEC_SYNTAX || (*p != '\0' && !percent))
        return scn_why(why, whylen, expected);
    uint64_t limit = percent ? 100 : 1;
    bool above = rc == SCN_DEC_RANGE || d.ip > limit ||
                 (d.ip == limit && (d.fd > 0 || rc == SCN_DEC_INEXACT));
    if (above)
        return scn_why(why, whylen, "expected a probability from 0 to 1 (or 0% to 100%)");
    if (rc == SCN_DEC_INEXACT || d.fd > 17) /* ip * 10^fd + frac must fit */
        return scn_why(why, whylen, "too many digits");
    unsigned scale = d.fd + (percent ? 2u : 0u);
    /* One division of two exact doubles: correctly rounded, as strtod would be. */
    double num = (double)(d.ip * scn_pow10(d.fd) + d.frac);
    double den = 1.0;
    for (unsigned i = 0; i < scale; i++)
        den *= 10.0;
    *out = num / den;
    return 0;
}

int scn_value_bool(const char *text, bool *out, char *why, size_t whylen)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(text, yes[i]) == 0 || strcmp(text, no[i]) == 0) {
            *out = strcmp(text, yes[i]) == 0;
            return 0;
        }
    }
    return scn_why(why, whylen, "expected yes or no (or true/false, on/off, 1/0)");
}

int scn_value_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out, char *why,
                   size_t whylen)
{
    const char *p = text;
    struct scn_dec d;
    enum scn_dec_rc rc = scn_dec_read(&p, &d);
    bool ok = rc == SCN_DEC_OK && *p == '\0' && strchr(text, '.') == NULL;
    if (!ok || d.ip < min || d.ip > max) {
        char msg[96];
        snprintf(msg, sizeof(msg), "expected an integer from %llu to %llu", (unsigned long long)min,
                 (unsigned long long)max);
        return scn_why(why, whylen, msg);
    }
    *out = d.ip;
    return 0;
}

bool scn_name_valid(const char *text)
{
    size_t n = 0;
    for (; text[n] != '\0'; n++) {
        char c = text[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || scn_is_digit(c) || c == '_' ||
                  c == '-';
        if (!ok || n >= 31)
            return false;
    }
    return n > 0;
}

int scn_value_name(const char *text, char *why, size_t whylen)
{
    if (scn_name_valid(text))
        return 0;
    return scn_why(why, whylen, "expected a name of 1 to 31 letters, digits, '-' or '_'");
}
