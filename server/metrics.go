package server

// sending accounts for replies about to be written to a client: bytes sent
// and error replies by prefix (INFO stats and errorstats).
func (s *Server) sending(out []byte) {
	s.stats.writes.Add(1)
	s.stats.netOut.Add(int64(len(out)))
	s.cstats.countErrors(out)
}

// resetMetricStats is CONFIG RESETSTAT's share of the statistics here.
func (s *Server) resetMetricStats() {
	s.cstats.reset()
	s.stats.netIn.Store(0)
	s.stats.netOut.Store(0)
	s.stats.hits.Store(0)
	s.stats.misses.Store(0)
}
