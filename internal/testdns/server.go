package testdns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Server is a running test DNS server with its HTTP control API. All methods
// are safe for concurrent use.
type Server struct {
	mu       sync.RWMutex
	names    map[string]*node // keyed by canonical name
	servfail map[string]bool  // canonical names answered with SERVFAIL
	defaultA netip.Addr

	udp, tcp   *dns.Server
	control    *http.Server
	controlURL string
	served     sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error
}

// Start starts a server listening on 127.0.0.1 on a free port for DNS over
// UDP and TCP (the same port for both) and on another free 127.0.0.1 port
// for the HTTP control API. Call Close to stop it.
func Start() (*Server, error) {
	s := &Server{names: make(map[string]*node), servfail: make(map[string]bool)}
	pc, ln, err := listenDNS()
	if err != nil {
		return nil, err
	}
	ctl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pc.Close()
		ln.Close()
		return nil, fmt.Errorf("testdns: listen control: %w", err)
	}
	s.controlURL = "http://" + ctl.Addr().String()
	s.control = &http.Server{Handler: s.controlHandler(), ReadHeaderTimeout: 10 * time.Second}

	handler := dns.HandlerFunc(s.serveDNS)
	s.udp = &dns.Server{PacketConn: pc, Handler: handler}
	s.tcp = &dns.Server{Listener: ln, Handler: handler}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		failed := make(chan error, 1)
		s.served.Add(1)
		go func() {
			defer s.served.Done()
			if err := srv.ActivateAndServe(); err != nil {
				failed <- err
			}
		}()
		// Wait until the server runs so that Close can always shut it down.
		select {
		case <-started:
		case err := <-failed:
			s.Close() // shuts down the servers already started
			pc.Close()
			ln.Close()
			ctl.Close()
			return nil, fmt.Errorf("testdns: serve: %w", err)
		}
	}
	s.served.Add(1)
	go func() {
		defer s.served.Done()
		s.control.Serve(ctl) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// listenDNS opens a UDP socket and a TCP listener on the same free port of
// 127.0.0.1, retrying when the TCP side of the UDP port is taken.
func listenDNS() (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("testdns: listen udp: %w", err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		lastErr = err
	}
	return nil, nil, fmt.Errorf("testdns: listen tcp: %w", lastErr)
}

// Addr returns the "127.0.0.1:port" address the DNS server listens on, over
// both UDP and TCP.
func (s *Server) Addr() string {
	return s.udp.PacketConn.LocalAddr().String()
}

// ControlURL returns the base URL of the HTTP control API, e.g.
// "http://127.0.0.1:41234"; see controlHandler for its endpoints.
func (s *Server) ControlURL() string {
	return s.controlURL
}

// Close stops the DNS and control servers and waits for them to return.
// Calling it more than once returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		for _, srv := range []*dns.Server{s.udp, s.tcp} {
			if srv == nil {
				continue
			}
			if err := srv.Shutdown(); err != nil {
				errs = append(errs, err)
			}
		}
		if s.control != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := s.control.Shutdown(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		s.served.Wait()
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("testdns: close: %w", err)
		}
	})
	return s.closeErr
}
