// Package testdns is a small authoritative DNS server for kakuin's tests and
// end-to-end suite. It answers A, AAAA, TXT and CAA queries over UDP and TCP
// on one 127.0.0.1 port from records a test sets through its Go API (which
// can also make a name fail with SERVFAIL), and
// exposes an HTTP control API (the /set-txt and /clear-txt endpoints of
// Pebble's challtestsrv) so that ACME clients' dns-01 hook scripts, which run
// as separate processes, can publish RFC 8555 §8.4 TXT records with curl.
package testdns
