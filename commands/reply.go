package commands

import "github.com/geomys/geomys/resp"

// Reply is the typed reply writer handlers answer with (resp.Writer).
type Reply = resp.Writer

// NewReply returns a writer for the given protocol version.
func NewReply(proto int) *Reply { return resp.NewWriter(proto) }

// AppendFloat formats a score the way Redis does (resp.AppendFloat).
func AppendFloat(b []byte, f float64) []byte { return resp.AppendFloat(b, f) }
