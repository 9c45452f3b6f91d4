package directory

// SyncLocalProfiles runs the one-time copy of the local members' public
// profiles into the directory, for the tests.
func (s *Service) SyncLocalProfiles() error { return s.syncLocalProfiles() }
