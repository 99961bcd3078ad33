package commands

import (
	"bytes"
	"strconv"
)

// Pub/sub. Subscriptions are connection state, so the server runs SUBSCRIBE
// and friends (Flags include Server). PUBLISH goes through the Raft log, so a
// message published on any node reaches the subscribers of every node, in log
// order: its handler only records the message (c.Publish); after the batch the
// FSM hands the publications to the server (fsm.Options.OnPublish), which
// delivers them to local subscribers and sets how many received each, and the
// FSM then replaces the placeholder reply with that count. PUBLISH does not
// change the dataset, so it is never written to the AOF.
func init() {
	const s = Server
	register(
		&Command{Name: "publish", Complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", Hidden: Write, Arity: 3, Flags: Write | PubSub | Loading | Stale | Fast, Group: "pubsub", Since: "2.0.0", Summary: "Posts a message to a channel.", Args: "channel message", Handler: publishCommand},
		&Command{Name: "subscribe", Complexity: "O(N) where N is the number of channels to subscribe to.", Arity: -2, Flags: s | PubSub | NoScript | Loading | Stale, Group: "pubsub", Since: "2.0.0", Summary: "Listens for messages published to channels.", Args: "channel [channel ...]"},
		&Command{Name: "unsubscribe", Complexity: "O(N) where N is the number of clients already subscribed to a channel.", Arity: -1, Flags: s | PubSub | NoScript | Loading | Stale, Group: "pubsub", Since: "2.0.0", Summary: "Stops listening to messages posted to channels.", Args: "[channel [channel ...]]"},
		&Command{Name: "psubscribe", Complexity: "O(N) where N is the number of patterns the client is already subscribed to.", Arity: -2, Flags: s | PubSub | NoScript | Loading | Stale, Group: "pubsub", Since: "2.0.0", Summary: "Listens for messages published to channels that match one or more patterns.", Args: "pattern [pattern ...]"},
		&Command{Name: "punsubscribe", Complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", Arity: -1, Flags: s | PubSub | NoScript | Loading | Stale, Group: "pubsub", Since: "2.0.0", Summary: "Stops listening to messages published to channels that match one or more patterns.", Args: "[pattern [pattern ...]]"},
		&Command{Name: "spublish", Keys: "not_key index=1", Complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.", Hidden: Write, Arity: 3, Flags: Write | PubSub | Loading | Stale | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "pubsub", Since: "7.0.0", Summary: "Post a message to a shard channel", Args: "shardchannel message", Handler: spublishCommand},
		&Command{Name: "ssubscribe", Keys: "not_key index=1 range=-1,1,0", Complexity: "O(N) where N is the number of shard channels to subscribe to.", Arity: -2, Flags: s | PubSub | NoScript | Loading | Stale, FirstKey: 1, LastKey: -1, Step: 1, Group: "pubsub", Since: "7.0.0", Summary: "Listens for messages published to shard channels.", Args: "shardchannel [shardchannel ...]"},
		&Command{Name: "sunsubscribe", Keys: "not_key index=1 range=-1,1,0", Complexity: "O(N) where N is the number of clients already subscribed to a shard channel.", Arity: -1, Flags: s | PubSub | NoScript | Loading | Stale, FirstKey: 1, LastKey: -1, Step: 1, Group: "pubsub", Since: "7.0.0", Summary: "Stops listening to messages posted to shard channels.", Args: "[shardchannel [shardchannel ...]]"},
		&Command{Name: "pubsub", Hidden: Loading | Stale, Complexity: "Depends on subcommand.", Arity: -2, Flags: s | Loading | Stale, Group: "pubsub", Since: "2.8.0", Summary: "A container for Pub/Sub commands.", Args: "CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP [arguments]"},
	)
}

func publishCommand(c *Ctx) { c.Publish(c.Args[1], c.Args[2]) }

// spublishCommand: on a single shard, shard channels are channels with their
// own namespace.
func spublishCommand(c *Ctx) {
	c.Publish(c.Args[1], c.Args[2])
	c.pubs[len(c.pubs)-1].Shard = true
}

// Publication is one PUBLISH applied from the log.
type Publication struct {
	Channel, Message []byte
	// Receivers is set by whoever delivers the message (the OnPublish hook):
	// how many local clients received it. It becomes PUBLISH's reply.
	Receivers int64
	// Shard marks an SPUBLISH: it reaches SSUBSCRIBE subscribers only.
	Shard bool

	reply *Reply // where the placeholder reply was written, and at which offset
	at    int
}

// Publish records a message for delivery once the batch is applied and writes
// a placeholder reply (":0") that PatchPublishReplies replaces. It does not
// mark the dataset dirty: PUBLISH is not persisted.
func (c *Ctx) Publish(channel, message []byte) {
	c.pubs = append(c.pubs, Publication{Channel: bytes.Clone(channel), Message: bytes.Clone(message), reply: c.R, at: c.R.Len()})
	c.R.Int(0)
}

// Publications is how many publications are waiting to be taken.
func (c *Ctx) Publications() int { return len(c.pubs) }

// DropPublications forgets the publications recorded after the first n.
func (c *Ctx) DropPublications(n int) {
	if n < len(c.pubs) {
		clear(c.pubs[n:])
		c.pubs = c.pubs[:n]
	}
}

// TakePublications returns and clears the recorded publications.
func (c *Ctx) TakePublications() []Publication {
	p := c.pubs
	c.pubs = nil
	return p
}

// PatchPublishReplies returns the replies r holds with the placeholder of
// each publication written into r replaced by its Receivers count.
// Publications whose placeholder is elsewhere are left alone.
func PatchPublishReplies(r *Reply, pubs []Publication) []byte {
	buf := r.Bytes()
	var out []byte
	last := 0
	for i := range pubs {
		p := &pubs[i]
		if p.reply != r || p.Receivers == 0 || p.at < last || p.at+4 > len(buf) || string(buf[p.at:p.at+4]) != ":0\r\n" {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(buf)+8*len(pubs))
		}
		out = append(out, buf[last:p.at]...)
		out = append(strconv.AppendInt(append(out, ':'), p.Receivers, 10), '\r', '\n')
		last = p.at + 4
	}
	if out == nil {
		return buf
	}
	return append(out, buf[last:]...)
}
