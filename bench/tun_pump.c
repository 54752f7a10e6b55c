/* bench helper: the raw TUN write rate of this machine. Writes COUNT full-size IPv4 packets
 * (protocol 253, RFC 3692 experimentation, so the kernel drops them after routing) from SRC
 * to DST into the existing TUN device DEV as fast as it can, and prints the rate.
 *   tun_pump DEV SRC DST COUNT [SIZE] */
#include "host/tun.h"
#include "umptcp/error.h"
#include "wire/ip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: tun_pump DEV SRC DST COUNT [SIZE]\n");
        return 2;
    }
    size_t size = argc > 5 ? (size_t)atoi(argv[5]) : 1500;
    long count = atol(argv[4]);
    char err[256];
    struct host_tun *t = NULL;
    if (host_tun_open(&t, argv[1], err, sizeof(err)) != UMPTCP_OK) {
        fprintf(stderr, "tun_pump: %s\n", err);
        return 1;
    }
    struct wire_ip_hdr ip = {.version = 4, .ttl = 64, .proto = 253, .dont_fragment = true};
    if (umptcp_addr_parse(&ip.src, argv[2]) != 0 || umptcp_addr_parse(&ip.dst, argv[3]) != 0 ||
        size < 20 || size > 9000) {
        fprintf(stderr, "tun_pump: bad address or size\n");
        return 2;
    }
    static uint8_t pkt[9000];
    size_t hl = 0;
    if (wire_ip_write(&ip, size - 20, pkt, sizeof(pkt), &hl) != UMPTCP_OK)
        return 1;
    long written = 0;
    double t0 = now_s();
    for (long i = 0; i < count; i++)
        if (host_tun_write(t, pkt, size) == UMPTCP_OK)
            written++;
    double secs = now_s() - t0;
    printf("packets=%ld bytes=%llu seconds=%.3f mbit_s=%.1f pps=%.0f\n", written,
           (unsigned long long)written * size, secs, (double)written * size * 8 / secs / 1e6,
           (double)written / secs);
    host_tun_close(t);
    return 0;
}
