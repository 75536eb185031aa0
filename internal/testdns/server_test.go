package testdns

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// query asks s for name/qtype over network ("udp" or "tcp") and returns the
// response.
func query(t *testing.T, s *Server, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: network}
	resp, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatalf("exchange %s %s over %s: %v", name, dns.TypeToString[qtype], network, err)
	}
	return resp
}

// values renders the answer records of resp in a comparable form.
func values(resp *dns.Msg) []string {
	var out []string
	for _, rr := range resp.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		case *dns.TXT:
			// miekg/dns returns character-strings in presentation format.
			out = append(out, strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(strings.Join(rr.Txt, "")))
		case *dns.CAA:
			out = append(out, fmt.Sprintf("%d %s %s", rr.Flag, rr.Tag, rr.Value))
		default:
			out = append(out, rr.String())
		}
	}
	return out
}

func TestAnswers(t *testing.T) {
	s := StartT(t)
	s.SetA("Example.COM", "192.0.2.1", "192.0.2.2")
	s.SetAAAA("example.com.", "2001:db8::1", "::ffff:127.0.0.1")
	s.SetTXT("_acme-challenge.example.com", "one", "two")
	s.SetCAA("example.com", CAA{Flag: 0, Tag: "issue", Value: "ca.example"}, CAA{Flag: 128, Tag: "tbs", Value: "x"})
	s.SetTXT("long.example.com", strings.Repeat("a", 300))
	s.SetTXT("escape.example.com", `back\slash "quoted"`)

	tests := []struct {
		name      string
		qname     string
		qtype     uint16
		wantRcode int
		want      []string
	}{
		{"A", "example.com", dns.TypeA, dns.RcodeSuccess, []string{"192.0.2.1", "192.0.2.2"}},
		{"A mixed case", "EXAMPLE.com.", dns.TypeA, dns.RcodeSuccess, []string{"192.0.2.1", "192.0.2.2"}},
		{"AAAA", "example.com", dns.TypeAAAA, dns.RcodeSuccess, []string{"2001:db8::1", "127.0.0.1"}},
		{"TXT", "_acme-challenge.example.com", dns.TypeTXT, dns.RcodeSuccess, []string{"one", "two"}},
		{"TXT longer than 255", "long.example.com", dns.TypeTXT, dns.RcodeSuccess, []string{strings.Repeat("a", 300)}},
		{"TXT with backslash", "escape.example.com", dns.TypeTXT, dns.RcodeSuccess, []string{`back\slash "quoted"`}},
		{"CAA", "example.com", dns.TypeCAA, dns.RcodeSuccess, []string{"0 issue ca.example", "128 tbs x"}},
		{"existing name, other type", "example.com", dns.TypeMX, dns.RcodeSuccess, nil},
		{"existing name without A", "_acme-challenge.example.com", dns.TypeA, dns.RcodeSuccess, nil},
		{"empty non-terminal", "com", dns.TypeA, dns.RcodeSuccess, nil},
		{"unknown name", "unknown.example.net", dns.TypeA, dns.RcodeNameError, nil},
		{"unknown name TXT", "_acme-challenge.unknown.example.net", dns.TypeTXT, dns.RcodeNameError, nil},
	}
	for _, tt := range tests {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(tt.name+"/"+network, func(t *testing.T) {
				resp := query(t, s, network, tt.qname, tt.qtype)
				if resp.Rcode != tt.wantRcode {
					t.Errorf("rcode: got %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tt.wantRcode])
				}
				if !resp.Authoritative {
					t.Errorf("authoritative: got false, want true")
				}
				if got := values(resp); !slices.Equal(got, tt.want) {
					t.Errorf("answer: got %q, want %q", got, tt.want)
				}
			})
		}
	}
}

func TestDefaultA(t *testing.T) {
	s := StartT(t)
	s.SetA("explicit.test", "192.0.2.7")
	s.SetDefaultA("127.0.0.1")

	tests := []struct {
		name      string
		qname     string
		qtype     uint16
		wantRcode int
		want      []string
	}{
		{"any name gets default A", "anything.test", dns.TypeA, dns.RcodeSuccess, []string{"127.0.0.1"}},
		{"explicit record wins", "explicit.test", dns.TypeA, dns.RcodeSuccess, []string{"192.0.2.7"}},
		{"default name has no AAAA", "anything.test", dns.TypeAAAA, dns.RcodeSuccess, nil},
		{"default name has no TXT", "_acme-challenge.anything.test", dns.TypeTXT, dns.RcodeSuccess, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := query(t, s, "udp", tt.qname, tt.qtype)
			if resp.Rcode != tt.wantRcode {
				t.Errorf("rcode: got %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[tt.wantRcode])
			}
			if got := values(resp); !slices.Equal(got, tt.want) {
				t.Errorf("answer: got %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("removing the default restores NXDOMAIN", func(t *testing.T) {
		s.SetDefaultA("")
		resp := query(t, s, "udp", "anything.test", dns.TypeA)
		if resp.Rcode != dns.RcodeNameError {
			t.Errorf("rcode: got %s, want NXDOMAIN", dns.RcodeToString[resp.Rcode])
		}
	})
}

func TestServFail(t *testing.T) {
	s := StartT(t)
	s.SetA("broken.test", "192.0.2.9")
	s.SetCAA("broken.test", CAA{Tag: "issue", Value: "ca.example"})
	s.SetA("www.broken.test", "192.0.2.10")

	steps := []struct {
		name      string
		do        func()
		qname     string
		qtype     uint16
		wantRcode int
		want      []string
	}{
		{"failing name, A", func() { s.SetServFail("Broken.TEST.", true) }, "broken.test", dns.TypeA, dns.RcodeServerFailure, nil},
		{"failing name, CAA", func() {}, "broken.test", dns.TypeCAA, dns.RcodeServerFailure, nil},
		{"name below answers", func() {}, "www.broken.test", dns.TypeA, dns.RcodeSuccess, []string{"192.0.2.10"}},
		{"unknown name fails too", func() { s.SetServFail("nowhere.test", true) }, "nowhere.test", dns.TypeCAA, dns.RcodeServerFailure, nil},
		{"cleared: records are back", func() { s.SetServFail("broken.test", false) }, "broken.test", dns.TypeCAA, dns.RcodeSuccess, []string{"0 issue ca.example"}},
		{"cleared: unknown name is NXDOMAIN", func() { s.SetServFail("nowhere.test", false) }, "nowhere.test", dns.TypeCAA, dns.RcodeNameError, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do()
			for _, network := range []string{"udp", "tcp"} {
				resp := query(t, s, network, st.qname, st.qtype)
				if resp.Rcode != st.wantRcode {
					t.Errorf("%s rcode: got %s, want %s", network, dns.RcodeToString[resp.Rcode], dns.RcodeToString[st.wantRcode])
				}
				if got := values(resp); !slices.Equal(got, st.want) {
					t.Errorf("%s answer: got %q, want %q", network, got, st.want)
				}
			}
		})
	}
}

func TestRecordUpdates(t *testing.T) {
	s := StartT(t)
	const name = "_acme-challenge.update.test"

	steps := []struct {
		name      string
		do        func()
		wantRcode int
		want      []string
	}{
		{"AddTXT", func() { s.AddTXT(name, "a") }, dns.RcodeSuccess, []string{"a"}},
		{"AddTXT second value", func() { s.AddTXT(name, "b") }, dns.RcodeSuccess, []string{"a", "b"}},
		{"AddTXT duplicate", func() { s.AddTXT(name, "a") }, dns.RcodeSuccess, []string{"a", "b"}},
		{"SetTXT replaces", func() { s.SetTXT(name, "c") }, dns.RcodeSuccess, []string{"c"}},
		{"ClearTXT removes the name", func() { s.ClearTXT(name) }, dns.RcodeNameError, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do()
			resp := query(t, s, "udp", name, dns.TypeTXT)
			if resp.Rcode != st.wantRcode {
				t.Errorf("rcode: got %s, want %s", dns.RcodeToString[resp.Rcode], dns.RcodeToString[st.wantRcode])
			}
			if got := values(resp); !slices.Equal(got, st.want) {
				t.Errorf("answer: got %q, want %q", got, st.want)
			}
		})
	}
}

func TestTruncation(t *testing.T) {
	s := StartT(t)
	var vals []string
	for i := range 40 {
		vals = append(vals, fmt.Sprintf("%02d-%s", i, strings.Repeat("x", 60)))
	}
	s.SetTXT("big.test", vals...)

	t.Run("udp without EDNS is truncated", func(t *testing.T) {
		resp := query(t, s, "udp", "big.test", dns.TypeTXT)
		if !resp.Truncated {
			t.Errorf("truncated: got false, want true")
		}
	})
	t.Run("tcp carries everything", func(t *testing.T) {
		resp := query(t, s, "tcp", "big.test", dns.TypeTXT)
		if resp.Truncated {
			t.Errorf("truncated: got true, want false")
		}
		if got := values(resp); !slices.Equal(got, vals) {
			t.Errorf("answer: got %d records, want %d", len(got), len(vals))
		}
	})
}

func TestInvalidAddressPanics(t *testing.T) {
	s := StartT(t)
	tests := []struct {
		name string
		set  func()
	}{
		{"SetA with IPv6", func() { s.SetA("x.test", "::1") }},
		{"SetA with garbage", func() { s.SetA("x.test", "not-an-ip") }},
		{"SetAAAA with IPv4", func() { s.SetAAAA("x.test", "127.0.0.1") }},
		{"SetDefaultA with garbage", func() { s.SetDefaultA("300.1.1.1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("panic: got none, want one")
				}
			}()
			tt.set()
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	s := StartT(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			name := fmt.Sprintf("_acme-challenge.c%d.test", i)
			for j := range 20 {
				s.AddTXT(name, fmt.Sprint(j))
				resp := query(t, s, "udp", name, dns.TypeTXT)
				if resp.Rcode != dns.RcodeSuccess {
					t.Errorf("rcode: got %s, want NOERROR", dns.RcodeToString[resp.Rcode])
				}
				s.ClearTXT(name)
			}
		})
	}
	wg.Wait()
}

func TestCloseTwice(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("first Close: got %v, want nil", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
	c := &dns.Client{Net: "tcp"}
	m := new(dns.Msg)
	m.SetQuestion("example.com.", dns.TypeA)
	if _, _, err := c.Exchange(m, s.Addr()); err == nil {
		t.Errorf("exchange after Close: got nil error, want one")
	}
}
