package acme

import "context"

// SetOrdersPageSize sets the page size of orders lists (RFC 8555
// §7.1.2.1) so tests can page through a few orders.
func SetOrdersPageSize(s *Server, n int) { s.ordersPageSize = n }

// RunJanitor does one round of Run's background work.
func RunJanitor(ctx context.Context, s *Server) { s.janitor(ctx) }

// CompleteAttempts is how many times a validation result is recorded
// before the server gives up.
const CompleteAttempts = completeAttempts
