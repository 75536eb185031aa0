package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/vetting"
)

// maxAuditedSerials bounds the serials listed in a "renewal_window" audit
// event; a larger selection is recorded by its criteria and count.
const maxAuditedSerials = 1000

// RenewalWindow returns the ARI window an operator set for the
// certificate, or nil when none was set.
func (s *core) RenewalWindow(ctx context.Context, serial string) (*acme.RenewalWindow, error) {
	var w acme.RenewalWindow
	err := s.db.reader().queryRow(ctx, `SELECT window_start, window_end, explanation_url FROM renewal_windows
		WHERE serial = $1`, serial).Scan(&w.Start, &w.End, &w.ExplanationURL)
	if errors.Is(err, errNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: reading the renewal window of %s: %w", serial, err)
	}
	return &w, nil
}

// renewalAudit is the detail of a "renewal_window" audit event.
type renewalAudit struct {
	Selection      acme.RenewalSelection `json:"selection"`
	Start          time.Time             `json:"start"`
	End            time.Time             `json:"end"`
	ExplanationURL string                `json:"explanation_url,omitempty"`
	Count          int                   `json:"count"`
	Serials        []string              `json:"serials,omitempty"`
}

// PullRenewalForward gives every certificate sel picks that is unrevoked
// and unexpired at now the ARI window w, unless the window an operator set
// before starts no later. It returns the serials changed, in one
// transaction with a "renewal_window" audit event by actor.
func (s *core) PullRenewalForward(ctx context.Context, sel acme.RenewalSelection, w acme.RenewalWindow, now time.Time, actor string) ([]string, error) {
	if !w.Start.Before(w.End) {
		return nil, fmt.Errorf("store: renewal window starts %s, not before its end %s: %w", w.Start, w.End, vetting.ErrInvalid)
	}
	where, args, err := renewalWhere(sel, norm(now))
	if err != nil {
		return nil, err
	}
	at := s.stamp(now)
	n := len(args)
	args = append(args, norm(w.Start), norm(w.End), w.ExplanationURL, at, actor)
	q := fmt.Sprintf(`INSERT INTO renewal_windows (serial, window_start, window_end, explanation_url, set_at, set_by)
		SELECT c.serial, $%d, $%d, $%d, $%d, $%d FROM certificates c WHERE %s
		ON CONFLICT (serial) DO UPDATE SET window_start = excluded.window_start, window_end = excluded.window_end,
			explanation_url = excluded.explanation_url, set_at = excluded.set_at, set_by = excluded.set_by
		WHERE renewal_windows.window_start > excluded.window_start
		RETURNING serial`, n+1, n+2, n+3, n+4, n+5, where)
	var serials []string
	audit := &vetting.AuditEvent{Kind: "renewal_window", Actor: actor, At: at}
	err = s.inAuditedTx(ctx, audit, func(c conn) (string, error) {
		r, err := c.query(ctx, q, args...)
		if err != nil {
			return "", fmt.Errorf("store: pulling renewal windows forward: %w", err)
		}
		defer r.Close()
		for r.Next() {
			var serial string
			if err := r.Scan(&serial); err != nil {
				return "", fmt.Errorf("store: pulling renewal windows forward: %w", err)
			}
			serials = append(serials, serial)
		}
		if err := r.Err(); err != nil {
			return "", fmt.Errorf("store: pulling renewal windows forward: %w", err)
		}
		d := renewalAudit{Selection: sel, Start: norm(w.Start), End: norm(w.End), ExplanationURL: w.ExplanationURL,
			Count: len(serials)}
		if len(serials) <= maxAuditedSerials {
			d.Serials = serials
		}
		audit.Detail, _ = json.Marshal(d) // cannot fail
		return "renewal:" + strconv.Itoa(len(serials)), nil
	})
	if err != nil {
		return nil, err
	}
	return serials, nil
}

// renewalWhere is the SQL condition on certificates c, with its arguments,
// for sel's unrevoked certificates unexpired at now. A selection with no
// criterion is vetting.ErrInvalid unless it says All.
func renewalWhere(sel acme.RenewalSelection, now time.Time) (string, []any, error) {
	conds := []string{"c.revoked_at IS NULL", "c.not_after > $1"}
	args := []any{now}
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if len(sel.Serials) > 0 {
		add("c.serial = ANY($?)", sel.Serials)
	}
	if sel.IssuerID != "" {
		add("c.issuer_id = $?", sel.IssuerID)
	}
	if sel.ContractCode != "" {
		add("c.account_id IN (SELECT id FROM accounts WHERE contract_code = $?)", sel.ContractCode)
	}
	if !sel.IssuedBefore.IsZero() {
		add("c.created_at < $?", norm(sel.IssuedBefore))
	}
	if len(args) == 1 && !sel.All {
		return "", nil, fmt.Errorf("store: a renewal selection needs serials, an issuer, a contract, a date or all: %w", vetting.ErrInvalid)
	}
	return strings.Join(conds, " AND "), args, nil
}
