package testdns

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestControlAPI(t *testing.T) {
	s := StartT(t)
	const host = "_acme-challenge.example.com."

	steps := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantRcode  int
		wantTXT    []string
	}{
		{"set-txt", "POST", "/set-txt", `{"host": "_acme-challenge.example.com.", "value": "v1"}`, 200, dns.RcodeSuccess, []string{"v1"}},
		{"set-txt adds a second value", "POST", "/set-txt", `{"host": "_acme-challenge.EXAMPLE.com", "value": "v2"}`, 200, dns.RcodeSuccess, []string{"v1", "v2"}},
		{"bad JSON", "POST", "/set-txt", `{"host": `, 400, dns.RcodeSuccess, []string{"v1", "v2"}},
		{"trailing data", "POST", "/set-txt", `{"host": "a.test", "value": "x"} {}`, 400, dns.RcodeSuccess, []string{"v1", "v2"}},
		{"missing host", "POST", "/set-txt", `{"value": "v3"}`, 400, dns.RcodeSuccess, []string{"v1", "v2"}},
		{"missing value", "POST", "/set-txt", `{"host": "_acme-challenge.example.com."}`, 400, dns.RcodeSuccess, []string{"v1", "v2"}},
		{"wrong type", "POST", "/set-txt", `{"host": 5, "value": "v3"}`, 400, dns.RcodeSuccess, []string{"v1", "v2"}},
		{"GET not allowed", "GET", "/set-txt", ``, 405, dns.RcodeSuccess, []string{"v1", "v2"}},
		{"clear-txt bad JSON", "POST", "/clear-txt", `not json`, 400, dns.RcodeSuccess, []string{"v1", "v2"}},
		{"clear-txt", "POST", "/clear-txt", `{"host": "_acme-challenge.example.com."}`, 200, dns.RcodeNameError, nil},
		{"unknown path", "POST", "/nope", `{}`, 404, dns.RcodeNameError, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			req, err := http.NewRequest(st.method, s.ControlURL()+st.path, strings.NewReader(st.body))
			if err != nil {
				t.Fatalf("new request: %v", err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", st.method, st.path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != st.wantStatus {
				t.Errorf("status: got %d, want %d", resp.StatusCode, st.wantStatus)
			}
			msg := query(t, s, "udp", host, dns.TypeTXT)
			if msg.Rcode != st.wantRcode {
				t.Errorf("rcode: got %s, want %s", dns.RcodeToString[msg.Rcode], dns.RcodeToString[st.wantRcode])
			}
			if got := values(msg); !slices.Equal(got, st.wantTXT) {
				t.Errorf("TXT: got %q, want %q", got, st.wantTXT)
			}
		})
	}
}
