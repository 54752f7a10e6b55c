/* scn_report_csv: the time series of the main run, one line per sample
 * (docs/SCENARIOS.md, "Time series (--csv)"). Fixed number formats: the same result gives
 * the same bytes. */
#include "scenario/scenario_report_internal.h"

#include <inttypes.h>
#include <string.h>

#include "scenario/scenario_json.h"
#include "umptcp/error.h"

/* Names are [A-Za-z0-9_-], so no field needs quoting; still, a name that would (comma,
 * quote, line break) is quoted as RFC 4180 says rather than break the file. */
static void put_field(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s != 0; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void sample_line(FILE *out, const struct scn_report *rep, const struct scn_sample *sm)
{
    const struct scn_flow *f = scn_rep_flow(rep, sm->flow);
    const struct scn_flow_result *fr = scn_rep_flow_result(rep, sm->flow);
    char t[40], rate[64];
    fprintf(out, "%s,", scn_fmt_seconds(t, sizeof(t), sm->t_ns, 3));
    put_field(out, f != NULL ? f->name : "");
    if (sm->subflow < 0) {
        fprintf(out, ",all,,%s,,\n", scn_fmt_double(rate, sizeof(rate), sm->rate_bps / 1e6, 6));
        return;
    }
    fprintf(out, ",%d,", sm->subflow);
    put_field(out, fr != NULL ? scn_sub_link(fr, sm->subflow) : "");
    fprintf(out, ",%s,%" PRIu32 ",%" PRIu64 ".%03" PRIu64 "\n",
            scn_fmt_double(rate, sizeof(rate), sm->rate_bps / 1e6, 6), sm->cwnd,
            sm->srtt_us / 1000u, sm->srtt_us % 1000u);
}

int scn_report_csv(FILE *out, const struct scn_report *rep)
{
    fputs("time_s,flow,subflow,link,throughput_mbps,cwnd_bytes,srtt_ms\n", out);
    const struct scn_result *r = rep->result;
    for (size_t i = 0; i < r->nsamples; i++)
        sample_line(out, rep, &r->samples[i]);
    if (fflush(out) == EOF || ferror(out))
        return UMPTCP_ERR_IO;
    return 0;
}
