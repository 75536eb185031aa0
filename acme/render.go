package acme

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// requestInfo collects what the request log line reports beyond the HTTP
// basics; handlers fill it as they learn it.
type requestInfo struct {
	accountID int64
}

type requestInfoKey struct{}

// infoFrom returns the request's requestInfo (never nil inside wrap).
func infoFrom(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status code.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// wrap turns a handlerFunc into an http.Handler: every response gets a
// fresh Replay-Nonce (RFC 8555 §6.5, errors included) and a Link to the
// directory (§7.1); a returned error is rendered as a problem document;
// one log line and the request metric are recorded.
func (s *Server) wrap(routeName string, h handlerFunc) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		w := &statusWriter{ResponseWriter: rw}

		s.setNonce(w, r)
		// Responses carry a single-use nonce: never cache them.
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Add("Link", link(s.baseURL+pathDirectory, "index"))
		if err := h(w, r); err != nil {
			s.writeProblem(w, r, routeName, err)
		}
		if w.status == 0 {
			w.status = http.StatusOK
		}
		s.metrics.request(routeName, w.status)
		attrs := []any{
			"method", r.Method,
			"route", routeName,
			"status", w.status,
			"duration", time.Since(start),
		}
		if info.accountID != 0 {
			attrs = append(attrs, "account", info.accountID)
		}
		s.log.InfoContext(r.Context(), "acme request", attrs...)
	}
}

// setNonce adds a Replay-Nonce header; a failure (database down) is logged
// and the response goes out without one.
func (s *Server) setNonce(w http.ResponseWriter, r *http.Request) {
	n, err := s.nonces.next(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "acme: create nonce", "err", err)
		return
	}
	w.Header().Set("Replay-Nonce", n)
}

// writeProblem renders err as an RFC 8555 §6.7 problem document.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, routeName string, err error) {
	p := toProblem(err)
	switch {
	case p.cause != nil && r.Context().Err() != nil && errors.Is(p.cause, r.Context().Err()):
		// The client went away (or the server is shutting down) mid-request:
		// nothing failed on our side.
		s.log.InfoContext(r.Context(), "acme request canceled", "route", routeName, "err", p.cause)
	case p.cause != nil:
		s.log.ErrorContext(r.Context(), "acme internal error", "route", routeName, "err", p.cause)
	case p.refusal != nil:
		s.log.InfoContext(r.Context(), "acme request refused", "route", routeName, "err", p.refusal)
	}
	if p.location != "" {
		w.Header().Set("Location", p.location)
	}
	if p.allow != "" {
		w.Header().Set("Allow", p.allow)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON sends v with the status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return internal(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// link formats one Link header value (RFC 8288).
func link(url, rel string) string {
	return "<" + url + ">;rel=\"" + rel + "\""
}

// setRetryAfter sets Retry-After in seconds.
func setRetryAfter(w http.ResponseWriter, seconds int) {
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
}

// timeString formats t as RFC 3339 in UTC, as RFC 8555 §7.1 expects.
func timeString(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
