package acme

// SetOrdersPageSize sets the page size of orders lists (RFC 8555
// §7.1.2.1) so tests can page through a few orders.
func SetOrdersPageSize(s *Server, n int) { s.ordersPageSize = n }
