/* Value strings of scenario files (docs/SCENARIOS.md "Values") into numbers.
 *
 * Every parser is total: it accepts exactly the documented forms and rejects everything else
 * (empty text, spaces, signs, exponents, NaN, inf, trailing junk, overflow). Numbers are read
 * digit by digit with integer arithmetic, so no locale changes what a value means and
 * "1.5s" is exactly 1500000000 ns. Each returns 0 and sets *out, or UMPTCP_ERR_INVAL with a
 * short message in why saying what was expected (e.g. "expected a time such as 250ms"). */
#ifndef UMPTCP_TOOLS_SCENARIO_VALUES_H
#define UMPTCP_TOOLS_SCENARIO_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A time with ns, us, ms, s or min (bare = seconds), as ns in [0, max_ns]. */
int scn_value_time(const char *text, uint64_t max_ns, uint64_t *out, char *why, size_t whylen);
/* A size with B, KB, MB, GB, KiB, MiB or GiB (bare = bytes), as bytes. */
int scn_value_size(const char *text, uint64_t *out, char *why, size_t whylen);
/* A rate with bit, kbit, Mbit, Gbit, bps, kbps, Mbps or Gbps, or "0" (unlimited), as bit/s. */
int scn_value_rate(const char *text, uint64_t *out, char *why, size_t whylen);
/* A probability: 0..1 or 0%..100%. */
int scn_value_prob(const char *text, double *out, char *why, size_t whylen);
/* yes/no, true/false, on/off, 1/0. */
int scn_value_bool(const char *text, bool *out, char *why, size_t whylen);
/* A decimal integer in [min, max]. */
int scn_value_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out, char *why,
                   size_t whylen);
/* A name: 1..31 characters of [A-Za-z0-9_-]. */
int scn_value_name(const char *text, char *why, size_t whylen);
bool scn_name_valid(const char *text);

/* Writes a time in the largest unit that keeps it exact ("1440min", "5ms", "7ns"). */
void scn_format_time(uint64_t ns, char *buf, size_t len);

#endif
