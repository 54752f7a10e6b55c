/* Capture writer over libpcap's dump API (pcap_open_dead + pcap_dump). */
#include "umptcp/pcap.h"
#include "umptcp/error.h"

#include <pcap/pcap.h>
#include <stdlib.h>

#define PCAP_WRITER_SNAPLEN 65535

struct umptcp_pcap {
    pcap_t *dead;
    pcap_dumper_t *dumper;
};

int umptcp_pcap_open(umptcp_pcap **out, const char *path)
{
    if (out == NULL || path == NULL)
        return UMPTCP_ERR_INVAL;
    *out = NULL;
    umptcp_pcap *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return UMPTCP_ERR_NOMEM;
    /* DLT_RAW is written to the file as LINKTYPE_RAW (101): the packet starts at the IP
     * header and its version nibble says v4 or v6. */
    p->dead = pcap_open_dead_with_tstamp_precision(DLT_RAW, PCAP_WRITER_SNAPLEN,
                                                   PCAP_TSTAMP_PRECISION_NANO);
    if (p->dead == NULL) {
        free(p);
        return UMPTCP_ERR_NOMEM;
    }
    p->dumper = pcap_dump_open(p->dead, path);
    if (p->dumper == NULL) {
        pcap_close(p->dead);
        free(p);
        return UMPTCP_ERR_IO;
    }
    *out = p;
    return UMPTCP_OK;
}

int umptcp_pcap_write(umptcp_pcap *p, uint64_t ts_ns, const uint8_t *pkt, size_t len)
{
    if (p == NULL || (pkt == NULL && len > 0))
        return UMPTCP_ERR_INVAL;
    struct pcap_pkthdr h = {0};
    h.ts.tv_sec = (time_t)(ts_ns / 1000000000u);
    /* With nanosecond precision libpcap stores nanoseconds in tv_usec. */
    h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000u);
    h.len = (bpf_u_int32)len;
    h.caplen = (bpf_u_int32)(len < PCAP_WRITER_SNAPLEN ? len : PCAP_WRITER_SNAPLEN);
    pcap_dump((u_char *)p->dumper, &h, pkt);
    return UMPTCP_OK;
}

int umptcp_pcap_flush(umptcp_pcap *p)
{
    if (p == NULL)
        return UMPTCP_ERR_INVAL;
    return pcap_dump_flush(p->dumper) == 0 ? UMPTCP_OK : UMPTCP_ERR_IO;
}

void umptcp_pcap_close(umptcp_pcap *p)
{
    if (p == NULL)
        return;
    pcap_dump_close(p->dumper);
    pcap_close(p->dead);
    free(p);
}
