package commands

import (
	"strconv"
	"sync/atomic"
)

// Keyspace notifications (notify-keyspace-events), as Redis 7.0 sends them.
//
// Handlers call c.Notify(class, event, key) after a change, with the event
// names Redis uses. The FSM applies every write on every node, so each node
// produces the events of each entry itself, as PUBLISH publications collected
// with the entry's own (c.pubs) and delivered after the batch, in log order,
// to its local subscribers. The setting is node-local, as in Redis (where each
// replica has its own): a node publishes what its own setting selects, to its
// own subscribers. Events therefore need no agreement between nodes: they
// change nothing in the dataset, the AOF or any reply, so a setting that
// differs between nodes, or changes between two entries, cannot make their
// datasets diverge. Replaying the log at start-up publishes nothing (the FSM
// drops publications of entries appended before the process started).
const (
	NotifyKeyspace uint32 = 1 << iota // K
	NotifyKeyevent                    // E
	NotifyGeneric                     // g
	NotifyString                      // $
	NotifyList                        // l
	NotifySet                         // s
	NotifyHash                        // h
	NotifyZset                        // z
	NotifyExpired                     // x
	NotifyEvicted                     // e
	NotifyStream                      // t
	NotifyKeyMiss                     // m
	NotifyModule                      // d
	NotifyNew                         // n

	// NotifyAll is what 'A' stands for: "g$lshzxetd".
	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash | NotifyZset |
		NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)

// ParseNotifyFlags reads a notify-keyspace-events value; ok is false when a
// character names no class (Redis then refuses the whole value).
func ParseNotifyFlags(s string) (flags uint32, ok bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			flags |= NotifyAll
		case 'g':
			flags |= NotifyGeneric
		case '$':
			flags |= NotifyString
		case 'l':
			flags |= NotifyList
		case 's':
			flags |= NotifySet
		case 'h':
			flags |= NotifyHash
		case 'z':
			flags |= NotifyZset
		case 'x':
			flags |= NotifyExpired
		case 'e':
			flags |= NotifyEvicted
		case 'K':
			flags |= NotifyKeyspace
		case 'E':
			flags |= NotifyKeyevent
		case 't':
			flags |= NotifyStream
		case 'm':
			flags |= NotifyKeyMiss
		case 'd':
			flags |= NotifyModule
		case 'n':
			flags |= NotifyNew
		default:
			return 0, false
		}
	}
	return flags, true
}

// NotifyFlagsString is CONFIG GET's form of flags, in Redis' order. Like
// Redis 7.0 it leaves out 'n' (which still takes effect).
func NotifyFlagsString(flags uint32) string {
	var b []byte
	if flags&NotifyAll == NotifyAll {
		b = append(b, 'A')
	} else {
		for _, f := range [...]struct {
			bit uint32
			ch  byte
		}{{NotifyGeneric, 'g'}, {NotifyString, '$'}, {NotifyList, 'l'}, {NotifySet, 's'}, {NotifyHash, 'h'},
			{NotifyZset, 'z'}, {NotifyExpired, 'x'}, {NotifyEvicted, 'e'}, {NotifyStream, 't'}, {NotifyModule, 'd'}} {
			if flags&f.bit != 0 {
				b = append(b, f.ch)
			}
		}
	}
	if flags&NotifyKeyspace != 0 {
		b = append(b, 'K')
	}
	if flags&NotifyKeyevent != 0 {
		b = append(b, 'E')
	}
	if flags&NotifyKeyMiss != 0 {
		b = append(b, 'm')
	}
	return string(b)
}

// NotifySetting is a node's notify-keyspace-events, shared by the server
// (CONFIG SET) and the FSM (which reads it once per entry).
type NotifySetting struct{ v atomic.Uint32 }

func (s *NotifySetting) Store(flags uint32) { s.v.Store(flags) }
func (s *NotifySetting) Load() uint32 {
	if s == nil {
		return 0
	}
	return s.v.Load()
}

// SetNotify sets the classes this context publishes events for. Without K or
// E nothing would be published, so the classes are cleared and Notify stays a
// single failed test.
func (c *Ctx) SetNotify(flags uint32) {
	if flags&(NotifyKeyspace|NotifyKeyevent) == 0 {
		flags = 0
	}
	c.notify = flags
}

// Notify publishes event about key of the current database when the setting
// selects class. It must be called after the change, in Redis' order.
func (c *Ctx) Notify(class uint32, event string, key []byte) {
	if c.notify&class != 0 {
		c.notifyIn(c.DB.ID, event, key)
	}
}

// NotifyIn is Notify for a key of another database (MOVE, COPY ... DB).
func (c *Ctx) NotifyIn(db *DB, class uint32, event string, key []byte) {
	if c.notify&class != 0 {
		c.notifyIn(db.ID, event, key)
	}
}

func (c *Ctx) notifyIn(db int, event string, key []byte) {
	var num [20]byte
	id := strconv.AppendInt(num[:0], int64(db), 10)
	if c.notify&NotifyKeyspace != 0 {
		ch := make([]byte, 0, len("__keyspace@__:")+len(id)+len(key))
		ch = append(append(append(append(ch, "__keyspace@"...), id...), "__:"...), key...)
		c.pubs = append(c.pubs, Publication{Channel: ch, Message: []byte(event)})
	}
	if c.notify&NotifyKeyevent != 0 {
		ch := make([]byte, 0, len("__keyevent@__:")+len(id)+len(event))
		ch = append(append(append(append(ch, "__keyevent@"...), id...), "__:"...), event...)
		c.pubs = append(c.pubs, Publication{Channel: ch, Message: append([]byte(nil), key...)})
	}
}
