//! Messages on their way: every message rides a TCP connection (produce, fetch, heartbeat and
//! metadata traffic alike), so a cut path does not destroy it. Its bytes wait in the sender's
//! kernel, which retransmits with an exponential RTO (Linux: `max(200 ms, RTT)`, doubling per
//! retry, capped at 120 s), and arrive in order after the path heals, at the first
//! retransmission after the heal. After 15 retransmissions (`tcp_retries2`, about 15 minutes
//! with a 200 ms RTO) the kernel gives up and the bytes are gone. Only Kafka's own timers
//! (`request.timeout.ms`, `replica.socket.timeout.ms`, the session timeout) turn a silence into
//! a disconnect; a request that reaches a broker after its client gave up on it is still
//! processed. Reference 5.7a (correction 2026-11-30).

use super::Envelope;
use crate::sim::SimTime;

/// Linux's minimum retransmission timeout (`TCP_RTO_MIN`).
pub(crate) const RTO_MIN: SimTime = 200 * 1_000_000;
/// Linux's maximum retransmission timeout (`TCP_RTO_MAX`).
pub(crate) const RTO_MAX: SimTime = 120_000 * 1_000_000;
/// Retransmissions before the kernel gives up on a connection (`net.ipv4.tcp_retries2`).
pub(crate) const TCP_RETRIES: u32 = 15;

/// When the bytes first sent at `first_sent` go out again at or after `now`, retransmitted
/// every RTO (from `max(RTO_MIN, rtt)`, doubling, capped at `RTO_MAX`); `None` once the kernel
/// gave up (after [`TCP_RETRIES`] retransmissions).
pub(crate) fn next_retransmission(first_sent: SimTime, now: SimTime, rtt: SimTime) -> Option<SimTime> {
    let mut rto = rtt.max(RTO_MIN);
    let mut at = first_sent;
    for _ in 0..TCP_RETRIES {
        at += rto;
        if at >= now {
            return Some(at);
        }
        rto = (rto * 2).min(RTO_MAX);
    }
    None
}

/// The messages in flight, by index (an event names the index), and those a cut path holds.
#[derive(Default)]
pub(crate) struct InFlight {
    messages: Vec<Option<Envelope>>,
    /// When each message was first put on the wire (its retransmission clock).
    first_sent: Vec<SimTime>,
    /// Each message's place in the global send order (a link delivers in that order).
    order: Vec<u64>,
    next_order: u64,
    free: Vec<u32>,
    /// Per directed node pair: messages waiting for the path to heal, in send order.
    stalled: Vec<Vec<u32>>,
    nodes: usize,
}

impl InFlight {
    /// An empty store for `nodes` network nodes.
    pub(crate) fn new(nodes: usize) -> InFlight {
        InFlight {
            stalled: vec![Vec::new(); nodes * nodes],
            nodes,
            ..InFlight::default()
        }
    }

    /// Keeps `env`, first sent at `sent`; returns its index.
    pub(crate) fn put(&mut self, env: Envelope, sent: SimTime) -> u32 {
        let order = self.next_order;
        self.next_order += 1;
        match self.free.pop() {
            Some(ix) => {
                self.messages[ix as usize] = Some(env);
                self.first_sent[ix as usize] = sent;
                self.order[ix as usize] = order;
                ix
            }
            None => {
                self.messages.push(Some(env));
                self.first_sent.push(sent);
                self.order.push(order);
                (self.messages.len() - 1) as u32
            }
        }
    }

    /// The endpoints of message `ix`.
    pub(crate) fn route(&self, ix: u32) -> (usize, usize) {
        let env = self.messages[ix as usize].as_ref().expect("a message in flight");
        (env.from, env.to)
    }

    /// Takes message `ix` out (it arrived, or was given up).
    pub(crate) fn take(&mut self, ix: u32) -> Envelope {
        let env = self.messages[ix as usize].take().expect("message delivered twice");
        self.free.push(ix);
        env
    }

    /// Message `ix` meets a cut path: it waits for the heal.
    pub(crate) fn stall(&mut self, ix: u32) {
        let (from, to) = self.route(ix);
        self.stalled[from * self.nodes + to].push(ix);
    }

    /// The path from `from` to `to` healed: the messages it held, in send order (a message
    /// sent into the cut is held before one that was already on its way meets it), with the
    /// oldest one's first send time (the connection's retransmission clock).
    pub(crate) fn release(&mut self, from: usize, to: usize) -> Option<(SimTime, Vec<u32>)> {
        let mut held = std::mem::take(&mut self.stalled[from * self.nodes + to]);
        held.sort_by_key(|&ix| self.order[ix as usize]);
        let first = *held.first()?;
        Some((self.first_sent[first as usize], held))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ms;

    /// The RTO doubles from 200 ms: retransmissions at 0.2, 0.6, 1.4, 3.0, 6.2 s... after the
    /// first send; a heal at 2 s is seen at 3.0 s.
    #[test]
    fn retransmissions_double_from_the_minimum_rto() {
        assert_eq!(next_retransmission(0, 1, ms(1)), Some(ms(200)));
        assert_eq!(next_retransmission(0, ms(2_000), ms(1)), Some(ms(3_000)));
        assert_eq!(next_retransmission(ms(10), ms(3_010), ms(1)), Some(ms(3_010)));
        // A long round trip sets the first RTO.
        assert_eq!(next_retransmission(0, 1, ms(500)), Some(ms(500)));
    }

    /// Capped at 120 s; the kernel gives up after 15 retransmissions: with a 200 ms RTO the
    /// first ten end at 204.6 s, five more of 120 s end at 804.6 s, and nothing is sent after
    /// that (the connection dies when the last one times out, at 924.6 s).
    #[test]
    fn the_rto_is_capped_and_the_kernel_gives_up() {
        let ten = ms(204_600);
        assert_eq!(next_retransmission(0, ten, ms(1)), Some(ten));
        assert_eq!(next_retransmission(0, ten + 1, ms(1)), Some(ten + ms(120_000)));
        let last = ten + 5 * ms(120_000);
        assert_eq!(next_retransmission(0, last, ms(1)), Some(last));
        assert_eq!(next_retransmission(0, last + 1, ms(1)), None);
    }

    /// A link delivers what it held in send order, whichever met the cut first.
    #[test]
    fn held_messages_leave_in_send_order() {
        use crate::model::Message;
        let mut f = InFlight::new(2);
        let msg = |id| Envelope {
            from: 0,
            to: 1,
            gen: 0,
            msg: Message::MetadataRequest { id },
        };
        let a = f.put(msg(1), ms(1));
        let b = f.put(msg(2), ms(2));
        f.stall(b); // sent into the cut
        f.stall(a); // on its way when the cut came, held when it would have arrived
        let (first_sent, held) = f.release(0, 1).unwrap();
        assert_eq!((first_sent, held), (ms(1), vec![a, b]));
        assert!(f.release(0, 1).is_none());
    }
}
