/* Deterministic pseudo-random numbers for the simulator.
 *
 * Generator: xoshiro256** (Blackman and Vigna, 2018), 256 bits of state, seeded by
 * expanding a 64-bit value with splitmix64 (the seeding procedure its authors recommend).
 * Streams: every consumer (a link's loss, duplication and reordering decisions, a node's
 * random bytes) owns its own generator whose seed is derived from the world seed, a label
 * (the link or node name) and a small index, so adding a link or node never changes the
 * draws of the others. Nothing here reads the clock or the system's randomness. */
#ifndef UMPTCP_SIM_RNG_H
#define UMPTCP_SIM_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_rng {
    uint64_t s[4];
};

/* One splitmix64 step: advances *state and returns a well-mixed 64-bit value. */
uint64_t sim_splitmix64(uint64_t *state);
/* FNV-1a 64-bit hash of a NUL-terminated label (used to name streams). */
uint64_t sim_rng_hash_label(const char *label);

/* Seeds the generator from one 64-bit value (any value, including 0, is fine). */
void sim_rng_seed(struct sim_rng *r, uint64_t seed);
/* Seeds the generator for stream (label, index) of a world seeded with world_seed. */
void sim_rng_seed_stream(struct sim_rng *r, uint64_t world_seed, const char *label, uint64_t index);

/* Next 64 uniformly distributed bits. */
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, bound) without modulo bias; bound 0 returns 0. */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t bound);
/* True with probability p (p <= 0: never, p >= 1: always). Always consumes exactly one
 * draw, whatever p is, so the decisions that follow stay aligned when p changes. */
bool sim_rng_chance(struct sim_rng *r, double p);
/* Fills buf with n random bytes (for a stack's rand callback). */
void sim_rng_fill(struct sim_rng *r, void *buf, size_t n);

#endif
