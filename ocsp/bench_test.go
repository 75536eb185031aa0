package ocsp_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"

	xocsp "golang.org/x/crypto/ocsp"
)

// BenchmarkResponderGET serves cached GET requests straight through the
// handler (no network), to show the responder's own cost per request.
func BenchmarkResponderGET(b *testing.B) {
	e := newEnv(b, envOptions{})
	var paths []string
	for range 64 {
		c := e.issue(b, nil)
		req, err := xocsp.CreateRequest(c.cert, c.issuer, nil)
		if err != nil {
			b.Fatal(err)
		}
		paths = append(paths, "/ocsp/"+base64.StdEncoding.EncodeToString(req))
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r := httptest.NewRequest(http.MethodGet, paths[i%len(paths)], nil)
			w := httptest.NewRecorder()
			e.responder.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
			i++
		}
	})
}
