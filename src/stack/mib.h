/* The stack's counters: one X-macro list gives the enum and the names, so they cannot drift.
 * Names follow Linux's /proc/net/snmp and netstat sections where the same event exists. */
#ifndef UMPTCP_STACK_MIB_H
#define UMPTCP_STACK_MIB_H

#include <stdint.h>

/* clang-format off */
#define MIB_COUNTERS(X) \
    X(IP_IN_RECEIVES, "IpInReceives") /* packets handed to umptcp_stack_input */ \
    X(IP_IN_HDR_ERRORS, "IpInHdrErrors") /* malformed IP header or bad IPv4 checksum */ \
    X(IP_IN_ADDR_ERRORS, "IpInAddrErrors") /* destination is not a local address */ \
    X(IP_IN_UNKNOWN_PROTOS, "IpInUnknownProtos") /* not TCP */ \
    X(IP_IN_UNSUPPORTED, "IpInUnsupported") /* fragments, unsupported IPv6 headers */ \
    X(IP_OUT_DISCARDS, "IpOutDiscards") /* the send callback failed */ \
    X(TCP_IN_SEGS, "TcpInSegs") /* valid TCP segments received */ \
    X(TCP_IN_ERRS, "TcpInErrs") /* malformed TCP header or options */ \
    X(TCP_IN_CSUM_ERRORS, "TcpInCsumErrors") /* bad TCP checksum */ \
    X(TCP_OUT_SEGS, "TcpOutSegs") /* segments sent */ \
    X(TCP_OUT_RSTS, "TcpOutRsts") /* resets sent */ \
    X(TCP_IN_NO_SOCKET, "TcpInNoSocket") /* no connection or listener: reset or drop */ \
    X(TCP_IN_NO_SOCKET_RST, "TcpInNoSocketRst") /* a reset for no socket, not answered */ \
    X(TCP_ACTIVE_OPENS, "TcpActiveOpens") /* connect() calls that sent a SYN */ \
    X(TCP_PASSIVE_OPENS, "TcpPassiveOpens") /* SYNs accepted by a listener */ \
    X(TCP_ATTEMPT_FAILS, "TcpAttemptFails") /* handshakes that gave up */ \
    X(TCP_ESTAB_RESETS, "TcpEstabResets") /* connections ended by a reset */ \
    X(TCP_IN_RSTS, "TcpExtInRsts") /* acceptable resets received */ \
    X(TCP_RETRANS_SEGS, "TcpRetransSegs") /* segments retransmitted */ \
    X(TCP_TIMEOUTS, "TcpExtTCPTimeouts") /* retransmission timeouts on data */ \
    X(TCP_LOSS_PROBES, "TcpExtTCPLossProbes") /* tail loss probes sent (RFC 8985) */ \
    X(TCP_SACK_RECOVERY, "TcpExtTCPSackRecovery") /* fast recovery episodes entered */ \
    X(TCP_RENO_RECOVERY, "TcpExtTCPRenoRecovery") /* ... without SACK (RFC 6582 NewReno) */ \
    X(TCP_DSACK_RECV, "TcpExtTCPDSACKRecv") /* DSACK blocks received */ \
    X(TCP_DSACK_SENT, "TcpExtTCPDSACKOldSent") /* DSACK blocks sent */ \
    X(TCP_OFO_QUEUE, "TcpExtTCPOFOQueue") /* out-of-order segments received */ \
    X(TCP_OFO_DROP, "TcpExtTCPOFODrop") /* segments (partly) dropped: beyond window or limits */ \
    X(TCP_CHALLENGE_ACK, "TcpExtTCPChallengeACK") /* RFC 5961 challenge ACKs sent */ \
    X(TCP_PAWS_ESTAB, "TcpExtPAWSEstab") /* segments dropped by PAWS (RFC 7323) */ \
    X(TCP_OUT_OF_WINDOW, "TcpExtTCPOutOfWindow") /* unacceptable segments (RFC 9293 3.10.7.4) */ \
    X(TCP_WINDOW_PROBES, "TcpExtTCPWinProbe") /* zero-window probes sent */ \
    X(TCP_LISTEN_OVERFLOWS, "TcpExtListenOverflows") /* SYNs dropped: accept queue full */ \
    X(TCP_LISTEN_DROPS, "TcpExtListenDrops") /* SYNs a listener could not take */ \
    X(TCP_TW_RST_IGNORED, "TcpExtTWRstIgnored") /* RSTs ignored in TIME_WAIT (RFC 1337) */ \
    X(MPTCP_CAPABLE_SYN_RX, "MPTcpExtMPCapableSYNRX") /* SYNs with MP_CAPABLE */ \
    X(MPTCP_CAPABLE_SYNACK_RX, "MPTcpExtMPCapableSYNACKRX") /* SYN/ACKs with MP_CAPABLE */ \
    X(MPTCP_CAPABLE_ACK_RX, "MPTcpExtMPCapableACKRX") /* third ACKs (or first data) with keys */ \
    X(MPTCP_CAPABLE_FALLBACK_ACK, "MPTcpExtMPCapableFallbackACK") /* no key on the third ACK */ \
    X(MPTCP_CAPABLE_FALLBACK_SYNACK, "MPTcpExtMPCapableFallbackSYNACK") /* plain SYN/ACK */ \
    X(MPTCP_FALLBACK, "MPTcpExtFallback") /* connections that fell back to TCP */ \
    X(MPTCP_FALLBACK_ESTAB, "MPTcpExtFallbackEstab") /* ... at the handshake */ \
    X(MPTCP_DATA_CSUM_ERR, "MPTcpExtDataCsumErr") /* DSS checksum failures */ \
    X(MPTCP_DSS_NO_MATCH, "MPTcpExtDSSNoMatchTCP") /* mappings that contradict earlier ones */ \
    X(MPTCP_DSS_CSUM_MISMATCH, "MPTcpExtDSSCsumMismatch") /* checksum presence not as agreed */ \
    X(MPTCP_CAPABLE_DATA_FALLBACK, "MPTcpExtMPCapableDataFallback") /* first data: no DSS */ \
    X(MPTCP_DSS_FALLBACK, "MPTcpExtDssFallback") /* DSS lost after the handshake: fallback */ \
    X(MPTCP_FALLBACK_FAILED, "MPTcpExtFallbackFailed") /* fallback needed, not possible: RST */ \
    X(MPTCP_INFINITE_MAP_TX, "MPTcpExtInfiniteMapTx") /* infinite mappings sent (3.7) */ \
    X(MPTCP_INFINITE_MAP_RX, "MPTcpExtInfiniteMapRx") /* infinite mappings received */ \
    X(MPTCP_MP_FAIL_TX, "MPTcpExtMPFailTx") /* MP_FAIL sent (3.7) */ \
    X(MPTCP_MP_FAIL_RX, "MPTcpExtMPFailRx") /* MP_FAIL received */ \
    X(MPTCP_JOIN_SYN_RX, "MPTcpExtMPJoinSynRx") /* MP_JOIN SYNs for a known token */ \
    X(MPTCP_JOIN_SYNACK_RX, "MPTcpExtMPJoinSynAckRx") /* SYN/ACKs whose HMAC verified */ \
    X(MPTCP_JOIN_ACK_RX, "MPTcpExtMPJoinAckRx") /* third ACKs whose HMAC verified */ \
    X(MPTCP_JOIN_SYNACK_HMAC_FAIL, "MPTcpExtMPJoinSynAckHMacFailure") /* bad SYN/ACK HMAC */ \
    X(MPTCP_JOIN_ACK_HMAC_FAIL, "MPTcpExtMPJoinAckHMacFailure") /* bad third-ACK HMAC */ \
    X(MPTCP_JOIN_NO_TOKEN, "MPTcpExtMPJoinNoTokenFound") /* MP_JOIN SYNs for no connection */ \
    X(MPTCP_ADD_ADDR, "MPTcpExtAddAddr") /* ADD_ADDR received with a valid HMAC */ \
    X(MPTCP_ADD_ADDR_DROP, "MPTcpExtAddAddrDrop") /* ADD_ADDR with a bad HMAC, ignored */ \
    X(MPTCP_ADD_ADDR_TX, "MPTcpExtAddAddrTx") /* ADD_ADDR sent (repeats included) */ \
    X(MPTCP_ECHO_ADD, "MPTcpExtEchoAdd") /* echoes of our ADD_ADDR received */ \
    X(MPTCP_REINJECT, "MPTcpExtReinject") /* data-level ranges sent again on another subflow */ \
    X(MPTCP_RETRANS, "MPTcpExtMPTCPRetrans") /* data-level retransmissions (DATA_ACK stuck) */ \
    X(MPTCP_FASTCLOSE_TX, "MPTcpExtMPFastcloseTx") /* connections aborted with MP_FASTCLOSE */ \
    X(MPTCP_FASTCLOSE_RX, "MPTcpExtMPFastcloseRx") /* MP_FASTCLOSE received with our key */ \
    X(MPTCP_RST_TX, "MPTcpExtMPRstTx") /* RSTs sent with MP_TCPRST */ \
    X(MPTCP_RST_RX, "MPTcpExtMPRstRx") /* accepted RSTs that carried MP_TCPRST */ \
    X(MPTCP_JOIN_REJECTED, "MPTcpExtMPJoinRejected") /* MP_JOIN SYNs over the subflow limit */ \
    X(MPTCP_RM_ADDR, "MPTcpExtRmAddr") /* address IDs received in REMOVE_ADDR */ \
    X(MPTCP_RM_ADDR_TX, "MPTcpExtRmAddrTx") /* REMOVE_ADDR sent (repeats included) */ \
    X(MPTCP_RM_SUBFLOW, "MPTcpExtRmSubflow") /* subflows closed by a REMOVE_ADDR, either way */ \
    X(MPTCP_PRIO_TX, "MPTcpExtMPPrioTx") /* MP_PRIO sent */ \
    X(MPTCP_PRIO_RX, "MPTcpExtMPPrioRx") /* MP_PRIO received */

/* clang-format on */

enum mib_counter {
#define MIB_ENUM(id, name) MIB_##id,
    MIB_COUNTERS(MIB_ENUM)
#undef MIB_ENUM
        MIB_COUNT
};

struct mib {
    uint64_t v[MIB_COUNT];
};

static inline void mib_inc(struct mib *m, enum mib_counter c)
{
    m->v[c]++;
}

/* Name of a counter (for tools and the public API). */
const char *mib_name(enum mib_counter c);

#endif
