/* bench helper: a kernel TCP (or MPTCP) endpoint for benchmarks.
 *   tcp_sink -l PORT [--mptcp]            accept one connection, read until EOF, discard
 *   tcp_sink -c ADDR PORT BYTES [--mptcp] connect and send BYTES zero bytes, then close
 * Prints one line: "bytes=N seconds=S mbit_s=R" measured from the first to the last byte. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        *len = sizeof(*s4);
        return AF_INET;
    }
    if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*s6);
        return AF_INET6;
    }
    return -1;
}

static void report(unsigned long long bytes, double t0, double t1)
{
    double secs = t1 > t0 ? t1 - t0 : 1e-9;
    printf("bytes=%llu seconds=%.3f mbit_s=%.1f\n", bytes, secs, (double)bytes * 8 / secs / 1e6);
}

static int run_sink(int port, int proto)
{
    int ls = socket(AF_INET6, SOCK_STREAM, proto);
    int one = 1, zero = 0;
    if (ls < 0) {
        perror("socket");
        return 1;
    }
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 1) != 0) {
        perror("bind/listen");
        return 1;
    }
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
        perror("accept");
        return 1;
    }
    static char buf[1 << 20];
    unsigned long long total = 0;
    double t0 = 0, t1 = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        if (total == 0)
            t0 = now_s();
        total += (unsigned long long)n;
        t1 = now_s();
    }
    report(total, t0, t1);
    close(fd);
    close(ls);
    return 0;
}

static int run_source(const char *addr, int port, unsigned long long bytes, int proto)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int fam = sockaddr_of(addr, port, &ss, &sl);
    if (fam < 0) {
        fprintf(stderr, "tcp_sink: bad address %s\n", addr);
        return 2;
    }
    int fd = socket(fam, SOCK_STREAM, proto);
    if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl) != 0) {
        perror("connect");
        return 1;
    }
    static char buf[1 << 20];
    unsigned long long left = bytes;
    double t0 = now_s();
    while (left > 0) {
        ssize_t n = write(fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));
        if (n <= 0) {
            perror("write");
            return 1;
        }
        left -= (unsigned long long)n;
    }
    shutdown(fd, SHUT_WR);
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    report(bytes, t0, now_s());
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    int proto = IPPROTO_TCP;
    if (argc > 1 && strcmp(argv[argc - 1], "--mptcp") == 0) {
        proto = IPPROTO_MPTCP;
        argc--;
    }
    if (argc == 3 && strcmp(argv[1], "-l") == 0)
        return run_sink(atoi(argv[2]), proto);
    if (argc == 5 && strcmp(argv[1], "-c") == 0)
        return run_source(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10), proto);
    fprintf(stderr, "usage: tcp_sink -l PORT [--mptcp] | -c ADDR PORT BYTES [--mptcp]\n");
    return 2;
}
