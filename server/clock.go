package server

import "time"

// monoBase anchors monoNow. Reading the monotonic clock alone is one clock
// read where time.Now is two (wall and monotonic), and every command takes
// one: at a few hundred thousand commands a second that shows in profiles.
var monoBase = time.Now()

// monoNow is the monotonic clock, as time since monoBase.
func monoNow() time.Duration { return time.Since(monoBase) }

// startBatch reads both clocks once for a pipeline that arrived at t.
func (cl *Client) startBatch(t time.Time) {
	cl.batchWall, cl.batchTick = t, t.Sub(monoBase)
	cl.tick = cl.batchTick
}

// startCommand begins a command where the previous one ended (or the
// pipeline began), and sets its wall-clock start.
func (cl *Client) startCommand() time.Duration {
	cl.now = cl.batchWall.Add(cl.tick - cl.batchTick)
	return cl.tick
}

// endCommand reads the clock at the end of the command begun at start: the
// next command starts there. It returns how long this one took.
func (cl *Client) endCommand(start time.Duration) time.Duration {
	cl.tick = monoNow()
	return cl.tick - start
}
