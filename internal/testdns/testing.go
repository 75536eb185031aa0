package testdns

import "testing"

// StartT starts a Server for the test t, failing t if it cannot, and closes
// it when t and its subtests finish.
func StartT(t testing.TB) *Server {
	t.Helper()
	s, err := Start()
	if err != nil {
		t.Fatalf("testdns.Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("testdns: close: %v", err)
		}
	})
	return s
}
