package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kakuin/kakuin/vetting"
)

// Vetting is what the admin API needs of the registration authority.
// *vetting.Service implements it.
type Vetting interface {
	ActiveOfficer(ctx context.Context, name string) (*vetting.Officer, error)
	Officers(ctx context.Context) ([]*vetting.Officer, error)
	Cases(ctx context.Context, status string, limit int) ([]*vetting.Case, error)
	Case(ctx context.Context, id int64) (*vetting.Case, error)
	OpenCase(ctx context.Context, in vetting.CaseInput, officer string) (*vetting.Case, bool, error)
	RecordEvidence(ctx context.Context, caseID int64, officer, item, note string) (*vetting.Evidence, error)
	Approve(ctx context.Context, caseID int64, officer, note, ownerConsent string) (*vetting.Case, error)
	Reject(ctx context.Context, caseID int64, officer, reason string) (*vetting.Case, error)
}

var _ Vetting = (*vetting.Service)(nil)

// Options configures the API.
type Options struct {
	Vetting Vetting
	Logger  *slog.Logger
}

// maxBody bounds a request body.
const maxBody = 64 << 10

// server is the API's state.
type server struct {
	vet Vetting
	log *slog.Logger
}

// handlerFunc is a handler that returns its error for one place to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request, officer string) error

// New returns the API handler. It must be served over TLS with client
// certificates verified against the officer CA (ca.OfficerCAPool).
func New(opts Options) http.Handler {
	s := &server{vet: opts.Vetting, log: opts.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	r := chi.NewRouter()
	r.Get("/admin/whoami", s.wrap(s.whoami))
	r.Get("/admin/officers", s.wrap(s.officers))
	r.Get("/admin/cases", s.wrap(s.listCases))
	r.Post("/admin/cases", s.wrap(s.openCase))
	r.Get("/admin/cases/{id}", s.wrap(s.getCase))
	r.Post("/admin/cases/{id}/evidence", s.wrap(s.evidence))
	r.Post("/admin/cases/{id}/approve", s.wrap(s.approve))
	r.Post("/admin/cases/{id}/reject", s.wrap(s.reject))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such admin resource: "+r.URL.Path)
	})
	return r
}

// wrap authenticates the officer from the verified client certificate,
// runs h and renders its error.
func (s *server) wrap(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			writeError(w, http.StatusUnauthorized, "a client certificate from the officer CA is required (kakuin officer add --cert-dir)")
			return
		}
		name := r.TLS.VerifiedChains[0][0].Subject.CommonName
		o, err := s.vet.ActiveOfficer(r.Context(), name)
		if err == nil {
			err = h(w, r, o.Name)
		}
		if err != nil {
			s.render(w, r, name, err)
		}
	}
}

// render turns an error into a JSON error with the status its kind calls
// for; an unexpected error's detail is logged, not sent.
func (s *server) render(w http.ResponseWriter, r *http.Request, officer string, err error) {
	status := http.StatusInternalServerError
	var he *httpError
	switch {
	case errors.As(err, &he):
		writeError(w, he.status, he.msg)
		return
	case errors.Is(err, vetting.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, vetting.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, vetting.ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, vetting.ErrConflict), errors.Is(err, vetting.ErrDuplicate), errors.Is(err, vetting.ErrInactive),
		errors.Is(err, vetting.ErrNotListed):
		status = http.StatusConflict
	}
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "admin API", "officer", officer, "path", r.URL.Path, "err", err)
		writeError(w, status, "internal error")
		return
	}
	writeError(w, status, strings.TrimPrefix(err.Error(), "vetting: "))
}

// httpError is a refusal of the request itself (bad JSON, bad id).
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(msg string) error { return &httpError{status: http.StatusBadRequest, msg: msg} }

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": msg, "status": status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// decode reads a JSON object body strictly: unknown fields and trailing
// data are refused.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the body is not the expected JSON object: " + err.Error())
	}
	if dec.More() {
		return badRequest("the body has data after the JSON object")
	}
	return nil
}

func caseID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("case id " + strconv.Quote(chi.URLParam(r, "id")) + " is not a positive number")
	}
	return id, nil
}
