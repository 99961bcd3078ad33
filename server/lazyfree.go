package server

// lazyfreedObjects is INFO's lazyfreed_objects: the dataset's count since
// start (commands/lazyfree.go) less what it was at CONFIG RESETSTAT, which
// is node-local while the count is kept by the replicated state machine.
func (s *Server) lazyfreedObjects() int64 {
	if !s.opened.Load() {
		return 0
	}
	return s.fsm.Stats().LazyfreedObjects - s.lazyfreedBase.Load()
}

func (s *Server) resetLazyfreed() {
	if s.opened.Load() {
		s.lazyfreedBase.Store(s.fsm.Stats().LazyfreedObjects)
	}
}
