/* A harness for interop tests of `umptcp cat` ($UMPTCP_BIN) against the kernel's TCP, in the
 * private network namespace of netns_helper.h: runs cat as a child with pipes on its standard
 * descriptors (or a file as its stdin), generates deterministic byte streams, moves them
 * through a kernel socket and through cat at the same time, and compares SHA-256 digests.
 * Every wait is bounded; a child that overstays is killed. */
#ifndef UMPTCP_TESTS_CAT_HARNESS_H
#define UMPTCP_TESTS_CAT_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define CH_MAX_ARGS 40
#define CH_CHUNK (64 * 1024)

static inline uint64_t ch_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* ---- deterministic streams and their digests ------------------------------------------- */

static inline uint64_t ch_mix(uint64_t z)
{
    z += UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

struct ch_hash {
    EVP_MD_CTX *ctx;
    uint64_t bytes;
};

static inline void ch_hash_init(struct ch_hash *h)
{
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
        abort();
    h->bytes = 0;
}

static inline void ch_hash_update(struct ch_hash *h, const void *p, size_t n)
{
    if (EVP_DigestUpdate(h->ctx, p, n) != 1)
        abort();
    h->bytes += n;
}

/* Finishes into hex[65] and frees the context. */
static inline void ch_hash_final(struct ch_hash *h, char hex[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32)
        abort();
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* A stream of total bytes that depend only on seed and position, hashed as it is produced,
 * with a buffer for partial writes. */
struct ch_sender {
    uint64_t seed, pos, total;
    uint8_t buf[CH_CHUNK];
    size_t off, len;
    struct ch_hash hash;
    bool done; /* everything written */
};

static inline void ch_sender_init(struct ch_sender *s, uint64_t seed, uint64_t total)
{
    memset(s, 0, sizeof(*s));
    s->seed = seed;
    s->total = total;
    ch_hash_init(&s->hash);
}

static inline size_t ch_sender_fill(struct ch_sender *s)
{
    size_t n = s->total - s->pos < CH_CHUNK ? (size_t)(s->total - s->pos) : CH_CHUNK;
    for (size_t i = 0; i < n;) {
        uint64_t p = s->pos + i;
        uint64_t v = ch_mix(s->seed ^ ((p / 8) * UINT64_C(0x100000001b3)));
        for (unsigned b = (unsigned)(p % 8); b < 8 && i < n; b++)
            s->buf[i++] = (uint8_t)(v >> (8 * b));
    }
    ch_hash_update(&s->hash, s->buf, n);
    s->pos += n;
    s->off = 0;
    s->len = n;
    return n;
}

/* Writes what it can to fd (a socket or a pipe); true while more is to come. Sets done at the
 * end; a write error other than "would block" fails the test. */
static inline bool ch_sender_pump(struct ch_sender *s, int fd, bool is_socket)
{
    while (!s->done) {
        if (s->off == s->len && ch_sender_fill(s) == 0) {
            s->done = true;
            break;
        }
        ssize_t n = is_socket ? send(fd, s->buf + s->off, s->len - s->off, MSG_NOSIGNAL)
                              : write(fd, s->buf + s->off, s->len - s->off);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return true;
        if (n <= 0) {
            if (n < 0 && errno == EPIPE)
                return false; /* the reader is gone (cat exited): the caller's business */
            fprintf(stderr, "harness: write failed after %llu bytes: %s\n",
                    (unsigned long long)(s->pos - (s->len - s->off)), strerror(errno));
            return false;
        }
        s->off += (size_t)n;
    }
    return false;
}

/* Writes the stream to a file; returns the digest in hex. */
static inline void ch_write_file(const char *path, uint64_t seed, uint64_t total, char hex[65])
{
    struct ch_sender *s = malloc(sizeof(*s));
    if (s == NULL)
        abort();
    ch_sender_init(s, seed, total);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        abort();
    while (ch_sender_fill(s) > 0)
        if (fwrite(s->buf, 1, s->len, f) != s->len)
            abort();
    if (fclose(f) != 0)
        abort();
    ch_hash_final(&s->hash, hex);
    free(s);
}

/* ---- the cat child ----------------------------------------------------------------------- */

struct ch_cat {
    pid_t pid;
    int in_fd;  /* write end of its stdin pipe, or -1 (stdin is a file) */
    int out_fd; /* read end of its stdout pipe */
    int err_fd; /* read end of its stderr pipe */
    char err[8192];
    size_t nerr;
    bool exited;
    int status; /* exit status, 128 + signal when killed */
};

/* Starts "$UMPTCP_BIN cat ARGS..." (args NULL-terminated). stdin_path: a file for stdin, or
 * NULL for a pipe (in_fd). pre_exec, when not NULL, runs in the child before exec. */
static inline void ch_cat_spawn(struct ch_cat *c, const char *stdin_path, void (*pre_exec)(void),
                                const char *const *args)
{
    const char *bin = getenv("UMPTCP_BIN");
    if (bin == NULL)
        abort();
    const char *argv[CH_MAX_ARGS] = {bin, "cat"};
    int argc = 2;
    for (; args[argc - 2] != NULL && argc < CH_MAX_ARGS - 1; argc++)
        argv[argc] = args[argc - 2];
    argv[argc] = NULL;
    memset(c, 0, sizeof(*c));
    int inp[2] = {-1, -1}, outp[2], errp[2];
    if ((stdin_path == NULL && pipe2(inp, O_CLOEXEC) != 0) || pipe2(outp, O_CLOEXEC) != 0 ||
        pipe2(errp, O_CLOEXEC) != 0)
        abort();
    c->pid = fork();
    if (c->pid < 0)
        abort();
    if (c->pid == 0) {
        int in = stdin_path != NULL ? open(stdin_path, O_RDONLY) : inp[0];
        if (in < 0 || dup2(in, 0) < 0 || dup2(outp[1], 1) < 0 || dup2(errp[1], 2) < 0)
            _exit(126);
        signal(SIGPIPE, SIG_DFL);
        if (pre_exec != NULL)
            pre_exec();
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    if (inp[0] >= 0)
        close(inp[0]);
    close(outp[1]);
    close(errp[1]);
    c->in_fd = inp[1];
    c->out_fd = outp[0];
    c->err_fd = errp[0];
    if (c->in_fd >= 0)
        fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
    fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
    fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
}

/* Reads what is available of its stderr. */
static inline void ch_cat_read_err(struct ch_cat *c)
{
    while (c->err_fd >= 0 && c->nerr + 1 < sizeof(c->err)) {
        ssize_t n = read(c->err_fd, c->err + c->nerr, sizeof(c->err) - 1 - c->nerr);
        if (n > 0) {
            c->nerr += (size_t)n;
            c->err[c->nerr] = '\0';
            continue;
        }
        if (n == 0) {
            close(c->err_fd);
            c->err_fd = -1;
        }
        break;
    }
}

/* Checks (without waiting) whether it exited. */
static inline bool ch_cat_reap(struct ch_cat *c)
{
    if (c->exited)
        return true;
    int st = 0;
    if (waitpid(c->pid, &st, WNOHANG) != c->pid)
        return false;
    c->exited = true;
    c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
}

/* Waits until its stderr contains needle; false when it exits first or on timeout. */
static inline bool ch_cat_wait_err(struct ch_cat *c, const char *needle, int timeout_ms)
{
    uint64_t end = ch_now_ms() + (uint64_t)timeout_ms;
    while (ch_now_ms() < end) {
        ch_cat_read_err(c);
        if (strstr(c->err, needle) != NULL)
            return true;
        if (ch_cat_reap(c)) {
            ch_cat_read_err(c);
            return strstr(c->err, needle) != NULL;
        }
        struct pollfd p = {.fd = c->err_fd, .events = POLLIN};
        poll(&p, 1, 20);
    }
    return false;
}

/* Waits for the exit (draining its stdout and stderr), kills it after timeout_ms; closes the
 * pipes. Returns the exit status, or -1 when it had to be killed. */
static inline int ch_cat_wait(struct ch_cat *c, int timeout_ms)
{
    uint64_t end = ch_now_ms() + (uint64_t)timeout_ms;
    bool killed = false;
    if (c->in_fd >= 0) {
        close(c->in_fd);
        c->in_fd = -1;
    }
    while (!ch_cat_reap(c)) {
        if (ch_now_ms() >= end && !killed) {
            fprintf(stderr, "harness: cat did not exit within %d ms; killing it\n", timeout_ms);
            kill(c->pid, SIGKILL);
            killed = true;
        }
        ch_cat_read_err(c);
        char sink[4096];
        while (c->out_fd >= 0 && read(c->out_fd, sink, sizeof(sink)) > 0) {
        }
        struct pollfd p = {.fd = c->err_fd, .events = POLLIN};
        poll(&p, 1, 10);
    }
    ch_cat_read_err(c);
    if (c->out_fd >= 0)
        close(c->out_fd);
    if (c->err_fd >= 0)
        close(c->err_fd);
    c->out_fd = c->err_fd = -1;
    return killed ? -1 : c->status;
}

/* Exactly one line on its stderr, "umptcp cat: " and containing fragment. */
static inline bool ch_one_line_error(const struct ch_cat *c, const char *fragment)
{
    const char *nl = strchr(c->err, '\n');
    bool ok = strncmp(c->err, "umptcp cat: ", 12) == 0 && nl != NULL && nl[1] == '\0' &&
              strstr(c->err, fragment) != NULL;
    if (!ok)
        fprintf(stderr, "harness: stderr of cat is <%s>, expected one line with <%s>\n", c->err,
                fragment);
    return ok;
}

/* ---- kernel sockets ----------------------------------------------------------------------- */

static inline socklen_t ch_sockaddr(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        return sizeof(*sin);
    }
    if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
        abort();
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    return sizeof(*sin6);
}

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* A listening kernel socket of protocol proto (0: TCP, or IPPROTO_MPTCP). */
static inline int ch_kernel_listen_proto(const char *addr, uint16_t port, int proto)
{
    struct sockaddr_storage ss;
    socklen_t sl = ch_sockaddr(&ss, addr, port);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 4) != 0) {
        fprintf(stderr, "harness: listen on %s:%u: %s\n", addr, port, strerror(errno));
        abort();
    }
    return fd;
}

static inline int ch_kernel_listen(const char *addr, uint16_t port)
{
    return ch_kernel_listen_proto(addr, port, 0);
}

/* Accepts one connection within timeout_ms, unless cat exits first; -1 then. */
static inline int ch_kernel_accept(int lfd, struct ch_cat *c, int timeout_ms)
{
    uint64_t end = ch_now_ms() + (uint64_t)timeout_ms;
    while (ch_now_ms() < end) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            return fd;
        ch_cat_read_err(c);
        if (ch_cat_reap(c))
            return -1;
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        poll(&p, 1, 20);
    }
    return -1;
}

/* Connects within timeout_ms (proto 0: TCP, or IPPROTO_MPTCP); returns the non-blocking
 * socket, or -1 with errno. */
static inline int ch_kernel_connect_proto(const char *addr, uint16_t port, int timeout_ms,
                                          int proto)
{
    struct sockaddr_storage ss;
    socklen_t sl = ch_sockaddr(&ss, addr, port);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int soerr = ETIMEDOUT;
    socklen_t l = sizeof(soerr);
    if (poll(&p, 1, timeout_ms) == 1)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &l);
    if (soerr != 0) {
        close(fd);
        errno = soerr;
        return -1;
    }
    return fd;
}

static inline int ch_kernel_connect(const char *addr, uint16_t port, int timeout_ms)
{
    return ch_kernel_connect_proto(addr, port, timeout_ms, 0);
}

/* The kernel's view of a socket (what `ss -ti` prints). */
static inline struct tcp_info ch_tcp_info(int fd)
{
    struct tcp_info ti;
    memset(&ti, 0, sizeof(ti));
    socklen_t l = sizeof(ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) != 0)
        abort();
    return ti;
}

/* The kernel's view of an MPTCP socket (getsockopt SOL_MPTCP MPTCP_INFO, what `ss -M`
 * prints): the layout of Linux 6.x's struct mptcp_info, declared here because the build
 * machine's headers may predate its byte counters. ch_mptcp_info() returns how many bytes
 * the kernel filled (the counters from bytes_retrans on need 80), or -1. */
#define CH_SOL_MPTCP 284
#define CH_MPTCP_INFO 1
#define CH_MPTCP_INFO_FLAG_FALLBACK 0x1
struct ch_mptcp_info {
    uint8_t subflows, add_addr_signal, add_addr_accepted, subflows_max;
    uint8_t add_addr_signal_max, add_addr_accepted_max;
    uint32_t flags;
    uint32_t token;
    uint64_t write_seq, snd_una, rcv_nxt;
    uint8_t local_addr_used, local_addr_max, csum_enabled;
    uint32_t retransmits;
    uint64_t bytes_retrans, bytes_sent, bytes_received, bytes_acked;
    uint8_t subflows_total;
    uint8_t reserved[3];
    uint32_t last_data_sent, last_data_recv, last_ack_recv;
};

static inline int ch_mptcp_info(int fd, struct ch_mptcp_info *out)
{
    memset(out, 0, sizeof(*out));
    socklen_t l = sizeof(*out);
    if (getsockopt(fd, CH_SOL_MPTCP, CH_MPTCP_INFO, out, &l) != 0)
        return -1;
    return (int)l;
}

/* ---- a transfer both ways at once ------------------------------------------------------- */

struct ch_xfer {
    int ksock;              /* the kernel's end of the connection */
    struct ch_sender ksend; /* what the kernel sends (to cat's stdout) */
    struct ch_hash krecv;   /* what the kernel receives (cat's stdin) */
    bool krecv_eof;
    struct ch_sender catin; /* cat's stdin when it is a pipe */
    struct ch_hash catout;  /* cat's stdout */
    bool catout_eof;
    uint64_t kernel_read_at;             /* the kernel socket is not read before this time (ms) */
    uint64_t catout_read_at;             /* cat's stdout is not read before this time (ms) */
    void (*tick)(int ksock, void *user); /* called on every round of the loop, or NULL */
    void *tick_user;
    uint8_t rbuf[CH_CHUNK];
};

static inline void ch_xfer_init(struct ch_xfer *x, int ksock, uint64_t kseed, uint64_t kbytes,
                                uint64_t cseed, uint64_t cbytes)
{
    memset(x, 0, sizeof(*x));
    x->ksock = ksock;
    ch_sender_init(&x->ksend, kseed, kbytes);
    ch_sender_init(&x->catin, cseed, cbytes);
    ch_hash_init(&x->krecv);
    ch_hash_init(&x->catout);
}

/* Reads fd into h; true at EOF. A reset or error counts as EOF after printing it. */
static inline bool ch_drain(int fd, struct ch_hash *h, uint8_t *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n > 0) {
            ch_hash_update(h, buf, (size_t)n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return false;
        if (n < 0)
            fprintf(stderr, "harness: read failed after %llu bytes: %s\n",
                    (unsigned long long)h->bytes, strerror(errno));
        return true;
    }
}

/* Runs until the kernel sent everything and saw EOF, cat's stdout ended and (pipe stdin) cat
 * took everything, or until timeout_ms. The kernel shuts its sending side down at its end.
 * Returns true when everything ended within the time. */
static inline bool ch_xfer_run(struct ch_xfer *x, struct ch_cat *c, int timeout_ms)
{
    uint64_t end = ch_now_ms() + (uint64_t)timeout_ms;
    bool kshut = false, in_closed = c->in_fd < 0;
    while (ch_now_ms() < end) {
        if (!x->ksend.done && !ch_sender_pump(&x->ksend, x->ksock, true) && !x->ksend.done)
            return false;
        if (x->ksend.done && !kshut) {
            shutdown(x->ksock, SHUT_WR);
            kshut = true;
        }
        if (!in_closed && !ch_sender_pump(&x->catin, c->in_fd, false)) {
            close(c->in_fd); /* EOF to cat (or it is gone: the test sees the digest) */
            c->in_fd = -1;
            in_closed = true;
        }
        uint64_t now = ch_now_ms();
        bool kread = now >= x->kernel_read_at, cread = now >= x->catout_read_at;
        if (!x->krecv_eof && kread)
            x->krecv_eof = ch_drain(x->ksock, &x->krecv, x->rbuf, sizeof(x->rbuf));
        if (!x->catout_eof && cread)
            x->catout_eof = ch_drain(c->out_fd, &x->catout, x->rbuf, sizeof(x->rbuf));
        ch_cat_read_err(c);
        if (x->tick != NULL)
            x->tick(x->ksock, x->tick_user);
        if (kshut && in_closed && x->krecv_eof && x->catout_eof)
            return true;
        struct pollfd p[4] = {
            {.fd = x->ksock,
             .events = (short)((x->krecv_eof || !kread ? 0 : POLLIN) | (kshut ? 0 : POLLOUT))},
            {.fd = in_closed ? -1 : c->in_fd, .events = POLLOUT},
            {.fd = x->catout_eof || !cread ? -1 : c->out_fd, .events = POLLIN},
            {.fd = c->err_fd, .events = POLLIN},
        };
        poll(p, 4, 50);
    }
    fprintf(stderr,
            "harness: transfer timed out: kernel sent %llu/%llu (shut %d), received %llu "
            "(eof %d); cat stdin %llu/%llu, stdout %llu (eof %d); cat stderr: %s\n",
            (unsigned long long)x->ksend.pos, (unsigned long long)x->ksend.total, kshut,
            (unsigned long long)x->krecv.bytes, x->krecv_eof, (unsigned long long)x->catin.pos,
            (unsigned long long)x->catin.total, (unsigned long long)x->catout.bytes, x->catout_eof,
            c->err);
    return false;
}

/* ---- files ------------------------------------------------------------------------------ */

/* The whole file as a NUL-terminated string (caller frees), or NULL. */
static inline char *ch_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - 1 - len, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf != NULL)
        buf[len] = '\0';
    return buf;
}

/* The number after the first `"key": ` at or after from in a JSON text, or -1. */
static inline long long ch_json_number(const char *json, const char *key)
{
    char pat[80];
    snprintf(pat, sizeof(pat), "\"%s\": ", key);
    const char *p = strstr(json, pat);
    if (p == NULL)
        return -1;
    p += strlen(pat);
    if (*p < '0' || *p > '9')
        return -1;
    return strtoll(p, NULL, 10);
}

/* Checks the --stats file is valid JSON when python3 is there to say so. */
static inline bool ch_json_valid(const char *path)
{
    if (!tu_have_command("python3"))
        return true;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "python3 -m json.tool '%s' >/dev/null", path);
    return tu_run(cmd, NULL, 0) == 0;
}

/* ---- one whole scenario: cat and a kernel socket exchange two streams ------------------ */

struct ch_transfer {
    /* what to run */
    bool server;             /* cat -l (the kernel connects) or cat connects (kernel listens) */
    const char *tun;         /* "DEV=ADDR" for cat's first --tun */
    const char *kernel_addr; /* the kernel's address on that device */
    const char *cat_addr;    /* the stack's address (server role: the kernel connects there) */
    uint16_t port;
    uint64_t bytes;         /* each way */
    const char *stdin_file; /* cat's stdin from this file (its digest in stdin_hex) or NULL */
    const char *stdin_hex;
    const char *const *extra; /* more cat arguments, NULL-terminated, or NULL */
    const char *stats;        /* --stats path */
    int timeout_ms;
    int kernel_read_delay_ms; /* the kernel reads nothing for this long (its window closes) */
    int catout_read_delay_ms; /* nobody reads cat's stdout for this long */
    bool mptcp;               /* cat in MPTCP mode (else --no-mptcp) */
    int kernel_proto;         /* the kernel socket: 0 = TCP, or IPPROTO_MPTCP */
    void (*kernel_tick)(int ksock, void *user); /* see ch_xfer.tick */
    void *tick_user;
    /* what happened */
    int status;
    bool kernel_got_all;     /* the kernel received cat's stdin, byte-exact */
    bool cat_got_all;        /* cat's stdout is what the kernel sent, byte-exact */
    struct tcp_info ti;      /* the kernel socket at the end (TCP) */
    struct ch_mptcp_info mi; /* the kernel socket at the end (IPPROTO_MPTCP) */
    int mi_len;              /* ch_mptcp_info(): -1 after a fallback, 0 for TCP */
    double seconds;          /* from the connection to the end of both streams */
    char cat_err[8192];
};

static inline void ch_compare(const char *what, struct ch_hash *got, const char *want_hex,
                              uint64_t want_bytes, bool *ok)
{
    char hex[65];
    ch_hash_final(got, hex);
    *ok = got->bytes == want_bytes && strcmp(hex, want_hex) == 0;
    if (!*ok)
        fprintf(stderr, "harness: %s: %llu bytes sha256 %s, expected %llu bytes sha256 %s\n", what,
                (unsigned long long)got->bytes, hex, (unsigned long long)want_bytes, want_hex);
}

/* Runs the scenario; false when it could not even start (details on stderr). */
static inline bool ch_transfer_run(struct ch_transfer *t)
{
    char port[8], tun[64];
    snprintf(port, sizeof(port), "%u", t->port);
    snprintf(tun, sizeof(tun), "%s", t->tun);
    const char *args[CH_MAX_ARGS] = {"-v", "--tun", tun, "--stats", t->stats};
    int n = 5;
    if (!t->mptcp)
        args[n++] = "--no-mptcp";
    for (int i = 0; t->extra != NULL && t->extra[i] != NULL && n < CH_MAX_ARGS - 4; i++)
        args[n++] = t->extra[i];
    if (t->server) {
        args[n++] = "-l";
    } else {
        args[n++] = t->kernel_addr;
    }
    args[n++] = port;
    args[n] = NULL;

    int lfd = t->server ? -1 : ch_kernel_listen_proto(t->kernel_addr, t->port, t->kernel_proto);
    struct ch_cat *c = calloc(1, sizeof(*c));
    struct ch_xfer *x = calloc(1, sizeof(*x));
    if (c == NULL || x == NULL)
        abort();
    ch_cat_spawn(c, t->stdin_file, NULL, args);
    int ks = -1;
    if (t->server) {
        if (ch_cat_wait_err(c, "listening on port", 5000))
            ks = ch_kernel_connect_proto(t->cat_addr, t->port, 5000, t->kernel_proto);
    } else {
        /* The listener stays until the end: Linux looks it up for MP_JOIN SYNs. */
        ks = ch_kernel_accept(lfd, c, 5000);
    }
    bool started = ks >= 0;
    if (!started)
        fprintf(stderr, "harness: no connection (%s); cat stderr: %s\n", strerror(errno), c->err);
    uint64_t seed_k = UINT64_C(0x6b65726e656c) ^ t->port, seed_c = UINT64_C(0x636174) ^ t->port;
    ch_xfer_init(x, ks, seed_k, started ? t->bytes : 0, seed_c,
                 t->stdin_file == NULL ? t->bytes : 0);
    x->kernel_read_at = ch_now_ms() + (uint64_t)t->kernel_read_delay_ms;
    x->catout_read_at = ch_now_ms() + (uint64_t)t->catout_read_delay_ms;
    x->tick = t->kernel_tick;
    x->tick_user = t->tick_user;
    uint64_t t0 = ch_now_ms();
    bool done = started && ch_xfer_run(x, c, t->timeout_ms);
    t->seconds = (double)(ch_now_ms() - t0) / 1000.0;
    /* The kernel's last data may still be in flight to cat's ACK: wait for it (bounded). */
    for (uint64_t end = ch_now_ms() + 3000; done && ch_now_ms() < end; usleep(10000)) {
        /* An MPTCP socket answers MPTCP_INFO unless it fell back to TCP. */
        if (t->kernel_proto == IPPROTO_MPTCP)
            t->mi_len = ch_mptcp_info(ks, &t->mi);
        if (t->mi_len >= 80) {
            if (t->mi.bytes_acked >= t->bytes)
                break;
            continue;
        }
        t->ti = ch_tcp_info(ks);
        if (t->ti.tcpi_bytes_acked >= t->bytes)
            break;
    }
    t->status = ch_cat_wait(c, done ? 10000 : 100);
    memcpy(t->cat_err, c->err, sizeof(t->cat_err));
    char want_in[65];
    snprintf(want_in, sizeof(want_in), "%s", t->stdin_hex != NULL ? t->stdin_hex : "");
    if (t->stdin_file == NULL)
        ch_hash_final(&x->catin.hash, want_in);
    else
        ch_hash_final(&x->catin.hash, (char[65]){0});
    char want_out[65];
    ch_hash_final(&x->ksend.hash, want_out);
    ch_compare("kernel received", &x->krecv, want_in, t->bytes, &t->kernel_got_all);
    ch_compare("cat wrote", &x->catout, want_out, t->bytes, &t->cat_got_all);
    if (ks >= 0)
        close(ks);
    if (lfd >= 0)
        close(lfd);
    free(x);
    free(c);
    return started && done;
}

/* ---- checks shared by the transfer tests (cmocka asserts) ---- */

static inline void ch_check_stats(const char *path, const struct ch_transfer *t, const char *iface)
{
    assert_true(ch_json_valid(path));
    char *json = ch_read_file(path);
    assert_non_null(json);
    assert_int_equal(ch_json_number(json, "exit_status"), 0);
    assert_int_equal(ch_json_number(json, "bytes_sent"), (long long)t->bytes);
    assert_int_equal(ch_json_number(json, "bytes_acked"), (long long)t->bytes);
    assert_int_equal(ch_json_number(json, "bytes_received"), (long long)t->bytes);
    assert_true(ch_json_number(json, "srtt_us") > 0);
    assert_true(ch_json_number(json, "cwnd") > 0);
    assert_non_null(strstr(json, "\"subflows\": ["));
    char want[64];
    snprintf(want, sizeof(want), "\"interface\": \"%s\"", iface);
    assert_non_null(strstr(json, want));
    assert_non_null(strstr(json, "\"error\": null"));
    free(json);
}

/* What every clean transfer must show. */
static inline void ch_check_clean(const struct ch_transfer *t)
{
    if (t->status != 0)
        fail_msg("cat exited %d: %s", t->status, t->cat_err);
    assert_true(t->kernel_got_all);
    assert_true(t->cat_got_all);
    /* The kernel's own view of the connection: everything it sent was acknowledged (plus
     * its FIN, and its SYN when it opened), everything cat sent arrived (plus a FIN). */
    if (t->ti.tcpi_bytes_acked < t->bytes || t->ti.tcpi_bytes_acked > t->bytes + 2)
        fail_msg("kernel: bytes_acked %llu of %llu (received %llu, state %u)",
                 (unsigned long long)t->ti.tcpi_bytes_acked, (unsigned long long)t->bytes,
                 (unsigned long long)t->ti.tcpi_bytes_received, t->ti.tcpi_state);
    assert_true(t->ti.tcpi_bytes_received >= t->bytes && t->ti.tcpi_bytes_received <= t->bytes + 1);
    assert_null(strstr(t->cat_err, "ERROR")); /* no sanitizer report */
    assert_null(strstr(t->cat_err, "runtime error"));
}

#endif
