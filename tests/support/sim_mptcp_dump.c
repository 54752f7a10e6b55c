/* A debugging aid for sim_mptcp.h: the internal state of every MPTCP connection of a stack
 * (data level and subflows), printed when a run ends. Reads internal structures on purpose:
 * it shows why a run stalled. */
#include "sim_mptcp.h"

#include "mptcp/mptcp_conn.h"
#include "mptcp/mptcp_dsn.h"
#include "stack/stack_internal.h"

static void sm_dump_subflow(FILE *out, const struct mptcp_subflow *sf)
{
    const struct tcp_sock *sk = sf->sk;
    fprintf(out, "    sf %u%s%s%s%s%s%s", sf->id, sf->initial ? " initial" : "",
            sf->join ? (sf->join_ok ? " join-ok" : " join-pending") : "",
            sf->stalled ? " STALLED" : "", sf->reinject_pending ? " reinjecting" : "",
            sf->closed ? " closed" : "", sf->backup || sf->peer_backup ? " backup" : "");
    if (sk == NULL) {
        fprintf(out, " (no socket)\n");
        return;
    }
    fprintf(out,
            " %s: una %u nxt %u end %u wnd %u cwnd %u retries %u timers rto %llu; rcv readable "
            "%zu win %zu; smaps %zu rmaps %zu consumed ssn %u; sent %llu acked %llu recv %llu\n",
            umptcp_conn_state_name(sk->state), sk->snd_una - sk->iss, sk->snd_nxt - sk->iss,
            tcp_sock_data_end(sk) - sk->iss, sk->snd_wnd, sk->cc.st.cwnd, sk->retries,
            (unsigned long long)sk->timer[TCP_TIMER_RTO], tcp_rcvbuf_readable(&sk->rcv),
            tcp_rcvbuf_window(&sk->rcv), mptcp_smap_count(&sf->smap), mptcp_rmap_count(&sf->rmap),
            mptcp_rmap_consumed(&sf->rmap), (unsigned long long)sk->bytes_sent,
            (unsigned long long)sk->bytes_acked, (unsigned long long)sk->bytes_received);
}

static void sm_dump_conn(FILE *out, const struct mptcp_conn *mc)
{
    fprintf(out,
            "  mptcp conn%s%s%s: snd una %llu nxt %llu right %llu buffered %zu fin q/m/a %d%d%d "
            "rcv nxt %llu readable %zu window %zu peer_fin %d/%d; %u subflows\n",
            mc->initiator ? " initiator" : "", mc->fallback ? " FALLBACK" : "",
            mc->closed ? " closed" : "", (unsigned long long)(mc->snd_una - mc->local_idsn),
            (unsigned long long)(mc->snd_nxt - mc->local_idsn),
            (unsigned long long)(mc->snd_right - mc->local_idsn), tcp_sndbuf_used(&mc->snd),
            mc->fin_queued, mc->fin_mapped, mc->fin_acked,
            (unsigned long long)(mc->rcv_nxt - mc->remote_idsn),
            mc->rcv_ready ? tcp_rcvbuf_readable(&mc->rcv) : 0,
            mc->rcv_ready ? tcp_rcvbuf_window(&mc->rcv) : 0, mc->peer_fin_seen, mc->peer_fin,
            mc->nsub);
    for (unsigned i = 0; i < mc->nsub; i++)
        sm_dump_subflow(out, mc->sub[i]);
}

void sm_dump_stack(FILE *out, const char *name, const umptcp_stack *s)
{
    fprintf(out, "%s: %zu connections\n", name, s->nconns);
    for (const umptcp_conn *c = s->conns; c != NULL; c = c->next)
        if (c->mp != NULL)
            sm_dump_conn(out, c->mp);
}
