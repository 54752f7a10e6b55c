/* xoshiro256** seeded by splitmix64; see sim_rng.h for the stream derivation. */
#include "sim/sim_rng.h"

uint64_t sim_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t sim_rng_hash_label(const char *label)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)label; p != NULL && *p != '\0'; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return h;
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
    uint64_t st = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = sim_splitmix64(&st);
    /* splitmix64 outputs a bijection of its counter, so four consecutive outputs are never
     * all zero; xoshiro's only forbidden state cannot occur. */
}

void sim_rng_seed_stream(struct sim_rng *r, uint64_t world_seed, const char *label, uint64_t index)
{
    /* Mix each component through splitmix64 before combining so that nearby seeds, labels
     * or indices give unrelated streams. */
    uint64_t a = world_seed;
    uint64_t b = sim_rng_hash_label(label);
    uint64_t c = index;
    uint64_t mixed = sim_splitmix64(&a);
    mixed ^= sim_splitmix64(&b) + 0x632be59bd9b4e019ull;
    uint64_t m = mixed;
    mixed = sim_splitmix64(&m) ^ sim_splitmix64(&c);
    sim_rng_seed(r, mixed);
}

static inline uint64_t sim_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(struct sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = sim_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sim_rotl(s[3], 45);
    return result;
}

uint64_t sim_rng_below(struct sim_rng *r, uint64_t bound)
{
    if (bound == 0)
        return 0;
    /* Reject the values of the last incomplete block of size bound. */
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        uint64_t x = sim_rng_next(r);
        if (x >= threshold)
            return x % bound;
    }
}

bool sim_rng_chance(struct sim_rng *r, double p)
{
    uint64_t x = sim_rng_next(r) >> 11; /* 53 uniform bits */
    if (!(p > 0.0))                     /* also catches NaN */
        return false;
    if (p >= 1.0)
        return true;
    /* p * 2^53 is exact in binary64, so the threshold is the same on every IEEE machine. */
    uint64_t threshold = (uint64_t)(p * 9007199254740992.0);
    return x < threshold;
}

void sim_rng_fill(struct sim_rng *r, void *buf, size_t n)
{
    uint8_t *out = buf;
    while (n > 0) {
        uint64_t x = sim_rng_next(r);
        size_t k = n < sizeof(x) ? n : sizeof(x);
        for (size_t i = 0; i < k; i++)
            out[i] = (uint8_t)(x >> (8 * i));
        out += k;
        n -= k;
    }
}
