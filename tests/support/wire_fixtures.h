/* Packets captured from real stacks, shared by the wire tests (not part of the library).
 * Decode them with tu_hex_decode (testutil.h). */
#ifndef UMPTCP_WIRE_FIXTURES_H
#define UMPTCP_WIRE_FIXTURES_H

/* SYNs the Linux kernel sent through a TUN device, read back from the device; tshark reports
 * every checksum in them as correct.
 *  - tu_kernel_syn4_hex: 10.9.0.1:53582 -> 10.9.0.2:8080, 60 bytes (20 IP + 40 TCP),
 *    IP checksum 0xbe10, TCP checksum 0x6950.
 *  - tu_kernel_syn6_hex: [fd09::1]:50050 -> [fd09::2]:8080, 80 bytes (40 IP + 40 TCP),
 *    flow label 0xf31ab, TCP checksum 0xd028.
 * Both carry MSS, SACK_PERM, timestamps and window scale 10, in the kernel's layout. */
extern const char tu_kernel_syn4_hex[];
extern const char tu_kernel_syn6_hex[];

#endif
