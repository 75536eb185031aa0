package acme

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWriteProblemLogsCancellation checks that an internal error caused by
// the request's own cancellation (the client went away) is logged as a
// cancellation at Info, and any other internal error at Error.
func TestWriteProblemLogsCancellation(t *testing.T) {
	tests := []struct {
		name      string
		cancel    bool
		err       error
		wantLevel string
		wantMsg   string
	}{
		{"client went away", true, internal(fmt.Errorf("store: reading: %w", context.Canceled)), "INFO", "acme request canceled"},
		{"canceled error but live request", false, internal(fmt.Errorf("store: reading: %w", context.Canceled)), "ERROR", "acme internal error"},
		{"other failure of a canceled request", true, internal(errors.New("store: disk full")), "ERROR", "acme internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil))}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			r := httptest.NewRequest("POST", "/acme/order/1", nil).WithContext(ctx)
			w := httptest.NewRecorder()
			s.writeProblem(w, r, "/acme/order/{id}", tt.err)
			if got := w.Code; got != 500 {
				t.Errorf("status: got %d, want 500", got)
			}
			if got := logs.String(); !strings.Contains(got, "level="+tt.wantLevel) || !strings.Contains(got, tt.wantMsg) {
				t.Errorf("log: got %q, want level %s and %q", got, tt.wantLevel, tt.wantMsg)
			}
		})
	}
}
