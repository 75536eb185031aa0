package admin

import (
	"net/http"
	"strconv"

	"github.com/kakuin/kakuin/vetting"
)

func (s *server) whoami(w http.ResponseWriter, r *http.Request, officer string) error {
	o, err := s.vet.ActiveOfficer(r.Context(), officer)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": o.Name, "role": o.Role})
	return nil
}

func (s *server) officers(w http.ResponseWriter, r *http.Request, _ string) error {
	os, err := s.vet.Officers(r.Context())
	if err != nil {
		return err
	}
	list := make([]map[string]any, len(os))
	for i, o := range os {
		list[i] = map[string]any{"name": o.Name, "role": o.Role, "status": o.Status}
	}
	writeJSON(w, http.StatusOK, map[string]any{"officers": list})
	return nil
}

// CaseJSON is a case as officers see it (the admin API and `kakuin vet
// --json`), with its checklist.
func CaseJSON(c *vetting.Case) map[string]any {
	required, optional := vetting.Checklist(c.Kind, c.Level)
	return map[string]any{"id": c.ID, "kind": c.Kind, "organization": c.OrganizationID, "level": c.Level,
		"subject": c.Subject, "status": c.Status, "reason": c.Reason, "opened_at": c.OpenedAt, "opened_by": c.OpenedBy,
		"decided_at": c.DecidedAt, "decided_by": c.DecidedBy, "decision_note": c.DecisionNote,
		"evidence": c.Evidence, "approvals": c.Approvals, "required": required, "optional": optional}
}

func (s *server) listCases(w http.ResponseWriter, r *http.Request, _ string) error {
	limit := 100
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return badRequest("limit must be a number from 1 to 1000")
		}
		limit = n
	}
	cs, err := s.vet.Cases(r.Context(), r.URL.Query().Get("status"), limit)
	if err != nil {
		return err
	}
	list := make([]map[string]any, len(cs))
	for i, c := range cs {
		list[i] = CaseJSON(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": list})
	return nil
}

func (s *server) getCase(w http.ResponseWriter, r *http.Request, _ string) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	c, err := s.vet.Case(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, CaseJSON(c))
	return nil
}

func (s *server) openCase(w http.ResponseWriter, r *http.Request, officer string) error {
	var req struct {
		Kind         string `json:"kind"`
		Organization int64  `json:"organization"`
		Level        string `json:"level"`
		Subject      string `json:"subject"`
		Reason       string `json:"reason"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	c, opened, err := s.vet.OpenCase(r.Context(), vetting.CaseInput{Kind: req.Kind, OrganizationID: req.Organization,
		Level: req.Level, Subject: req.Subject, Reason: req.Reason}, officer)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !opened {
		status = http.StatusOK // the case already open for this question
	}
	writeJSON(w, status, CaseJSON(c))
	return nil
}

func (s *server) evidence(w http.ResponseWriter, r *http.Request, officer string) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	var req struct {
		Item string `json:"item"`
		Note string `json:"note"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if _, err := s.vet.RecordEvidence(r.Context(), id, officer, req.Item, req.Note); err != nil {
		return err
	}
	return s.getCase(w, r, officer)
}

func (s *server) approve(w http.ResponseWriter, r *http.Request, officer string) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	var req struct {
		Note         string `json:"note"`
		OwnerConsent string `json:"owner_consent"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.vet.Approve(r.Context(), id, officer, req.Note, req.OwnerConsent)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, CaseJSON(c))
	return nil
}

func (s *server) reject(w http.ResponseWriter, r *http.Request, officer string) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.vet.Reject(r.Context(), id, officer, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, CaseJSON(c))
	return nil
}
