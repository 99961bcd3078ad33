package commands

import (
	"errors"
	"testing"

	"github.com/geomys/geomys/rdb"
)

// A stream payload redis-server would load into an inconsistent state is
// refused as bad data; a consistent one round-trips byte for byte.
func TestRestoreStreamPayloads(t *testing.T) {
	id := func(ms uint64) rdb.StreamID { return rdb.StreamID{Ms: ms} }
	node := func(ids ...uint64) rdb.StreamNode {
		n := rdb.StreamNode{Master: id(ids[0]), MasterFields: []string{"f"}}
		for _, i := range ids {
			n.Entries = append(n.Entries, rdb.StreamEntry{ID: id(i), Fields: []string{"f", "v"}, Deleted: i == 2})
		}
		return n
	}
	group := func(name string, owner string) rdb.StreamGroup {
		return rdb.StreamGroup{Name: name, LastID: id(3), EntriesRead: 3,
			Pending:   []rdb.StreamPending{{ID: id(3), DeliveryTime: 7, DeliveryCount: 2, Consumer: owner}},
			Consumers: []rdb.StreamConsumer{{Name: "alice", SeenTime: 9}}}
	}
	good := &rdb.Stream{Nodes: []rdb.StreamNode{node(1, 2, 3), node(5, 6)}, LastID: id(6), FirstID: id(1),
		MaxDeletedID: id(2), EntriesAdded: 5, Groups: []rdb.StreamGroup{group("g", "alice")}}
	p := rdb.DumpStream(good)
	v, err := RestoreValue(p)
	if err != nil {
		t.Fatalf("RESTORE of a good payload: %v", err)
	}
	s := v.(*Stream)
	if s.Len() != 4 || len(s.blocks) != 2 || s.blocks[0].total() != 3 || s.blocks[0].live != 2 {
		t.Fatalf("restored stream: length %d, %d blocks", s.Len(), len(s.blocks))
	}
	if string(DumpValue(s)) != string(p) {
		t.Fatal("DUMP of the restored stream is not the payload it came from")
	}
	for name, bad := range map[string]*rdb.Stream{
		"entries out of order":     {Nodes: []rdb.StreamNode{node(1, 5), node(3, 4)}, LastID: id(5)},
		"last id before an entry":  {Nodes: []rdb.StreamNode{node(1, 3)}, LastID: id(2)},
		"group named twice":        {Nodes: []rdb.StreamNode{node(1, 3)}, LastID: id(3), Groups: []rdb.StreamGroup{group("g", "alice"), group("g", "alice")}},
		"pending without consumer": {Nodes: []rdb.StreamNode{node(1, 3)}, LastID: id(3), Groups: []rdb.StreamGroup{group("g", "bob")}},
	} {
		if _, err := RestoreValue(rdb.DumpStream(bad)); !errors.Is(err, rdb.ErrBadData) {
			t.Errorf("%s: RESTORE gives %v, want bad data", name, err)
		}
	}
	// A damaged payload with a good checksum is bad data too.
	if _, err := RestoreValue(rdb.AppendFooter(p[:len(p)-15])); !errors.Is(err, rdb.ErrBadData) {
		t.Errorf("truncated stream: %v", err)
	}
}
