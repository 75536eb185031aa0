package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kakuin/kakuin/acme"
)

// authzWithChallenges selects authorizations joined with their challenges,
// one row per challenge (or one row with NULL challenge columns), ordered
// by authorization then challenge id. A WHERE clause on "a" follows.
const authzWithChallenges = `SELECT a.id, a.account_id, a.identifier_type, a.identifier_value, a.status, a.expires, a.profile, a.created_at,
	c.id, c.type, c.token, c.status, c.validated, c.error, c.validation_started_at, c.hold, c.held_at
	FROM authorizations a LEFT JOIN challenges c ON c.authz_id = a.id
	WHERE `

// scanAuthzs reads rows of authzWithChallenges into authorizations by id,
// also returning the ids in the order first seen.
func scanAuthzs(r rows) (map[int64]*acme.Authorization, []int64, error) {
	defer r.Close()
	byID := map[int64]*acme.Authorization{}
	var order []int64
	for r.Next() {
		var a acme.Authorization
		var chID *int64
		var chType, chToken, chStatus *string
		var ch acme.Challenge
		if err := r.Scan(&a.ID, &a.AccountID, &a.Identifier.Type, &a.Identifier.Value, &a.Status, &a.Expires, &a.Profile, &a.CreatedAt,
			&chID, &chType, &chToken, &chStatus, &ch.Validated, &ch.Error, &ch.ValidationStarted, &ch.Hold, &ch.HeldAt); err != nil {
			return nil, nil, err
		}
		got := byID[a.ID]
		if got == nil {
			got = &a
			byID[a.ID] = got
			order = append(order, a.ID)
		}
		if chID != nil {
			ch.ID, ch.AuthzID, ch.Type, ch.Token, ch.Status = *chID, a.ID, deref(chType), deref(chToken), deref(chStatus)
			got.Challenges = append(got.Challenges, ch)
		}
	}
	return byID, order, r.Err()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// FindReusableAuthz returns the account's newest authorization for the DNS
// name whose status is one of statuses and which expires after
// notExpiredAt (RFC 8555 §7.4 lets a server reuse authorizations), or
// acme.ErrNotFound.
func (s *core) FindReusableAuthz(ctx context.Context, accountID int64, name, profile string, statuses []string, notExpiredAt time.Time) (*acme.Authorization, error) {
	if len(statuses) == 0 {
		return nil, fmt.Errorf("store: reusable authorization: %w", acme.ErrNotFound)
	}
	r, err := s.db.reader().query(ctx, authzWithChallenges+`a.id = (SELECT id FROM authorizations
		WHERE account_id = $1 AND identifier_type = 'dns' AND identifier_value = $2 AND profile = $5
			AND status = ANY($3) AND expires > $4
		ORDER BY id DESC LIMIT 1)
		ORDER BY a.id, c.id`, accountID, name, statuses, norm(notExpiredAt), profile)
	if err != nil {
		return nil, fmt.Errorf("store: reusable authorization: %w", err)
	}
	byID, order, err := scanAuthzs(r)
	if err != nil {
		return nil, fmt.Errorf("store: reusable authorization: %w", err)
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("store: reusable authorization: %w", acme.ErrNotFound)
	}
	return byID[order[0]], nil
}

// GetAuthorizations returns the authorizations with their challenges, in
// the order of ids, in one query; acme.ErrNotFound if one does not exist.
func (s *core) GetAuthorizations(ctx context.Context, ids []int64) ([]*acme.Authorization, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	r, err := s.db.reader().query(ctx, authzWithChallenges+`a.id = ANY($1) ORDER BY a.id, c.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("store: authorizations: %w", err)
	}
	byID, _, err := scanAuthzs(r)
	if err != nil {
		return nil, fmt.Errorf("store: authorizations: %w", err)
	}
	out := make([]*acme.Authorization, len(ids))
	for i, id := range ids {
		if out[i] = byID[id]; out[i] == nil {
			return nil, fmt.Errorf("store: authorization %d: %w", id, acme.ErrNotFound)
		}
	}
	return out, nil
}

// GetAuthorization returns the authorization with its challenges, or
// acme.ErrNotFound.
func (s *core) GetAuthorization(ctx context.Context, id int64) (*acme.Authorization, error) {
	a, err := s.GetAuthorizations(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	return a[0], nil
}

// GetChallenge returns the challenge, or acme.ErrNotFound.
func (s *core) GetChallenge(ctx context.Context, id int64) (*acme.Challenge, error) {
	var ch acme.Challenge
	err := s.db.reader().queryRow(ctx, `SELECT id, authz_id, type, token, status, validated, error, validation_started_at, hold, held_at
		FROM challenges WHERE id = $1`, id).
		Scan(&ch.ID, &ch.AuthzID, &ch.Type, &ch.Token, &ch.Status, &ch.Validated, &ch.Error, &ch.ValidationStarted, &ch.Hold, &ch.HeldAt)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("challenge %d", id), acme.ErrNotFound)
	}
	return &ch, nil
}

// DeactivateAuthorization sets a pending or valid authorization
// deactivated (RFC 8555 §7.5.2); acme.ErrConflict otherwise.
func (s *core) DeactivateAuthorization(ctx context.Context, id int64) error {
	c := s.db.writer()
	n, err := c.exec(ctx, `UPDATE authorizations SET status = 'deactivated' WHERE id = $1 AND status IN ('pending', 'valid')`, id)
	if err != nil {
		return fmt.Errorf("store: deactivating authorization %d: %w", id, err)
	}
	if n == 0 {
		return missOrConflict(ctx, c, "authorizations", "id", id, fmt.Sprintf("deactivating authorization %d", id), acme.ErrNotFound, acme.ErrConflict)
	}
	return nil
}

// StartChallenge moves a pending challenge to processing, recording at as
// the start of its validation (RFC 8555 §7.5.1), if its authorization is
// pending and no other challenge of the authorization is processing or
// valid; acme.ErrConflict otherwise. One statement: it first locks every
// challenge of the authorization (FOR UPDATE; SQLite's writes are
// exclusive anyway), so that of concurrent starts of sibling challenges,
// which update different rows, the later ones wait and then read the
// siblings as the first one left them (in READ COMMITTED a locking read
// returns the newest row versions).
func (s *core) StartChallenge(ctx context.Context, challengeID int64, at time.Time) error {
	c := s.db.writer()
	n, err := c.exec(ctx, `WITH siblings AS (
			SELECT id, status FROM challenges
			WHERE authz_id = (SELECT authz_id FROM challenges WHERE id = $1) FOR UPDATE)
		UPDATE challenges SET status = 'processing', validation_started_at = $2
		WHERE id = $1 AND status = 'pending'
		AND EXISTS (SELECT 1 FROM authorizations a WHERE a.id = challenges.authz_id AND a.status = 'pending')
		AND NOT EXISTS (SELECT 1 FROM siblings WHERE siblings.id <> $1 AND siblings.status IN ('processing', 'valid'))`,
		challengeID, norm(at))
	if err != nil {
		return fmt.Errorf("store: starting challenge %d: %w", challengeID, err)
	}
	if n == 0 {
		return missOrConflict(ctx, c, "challenges", "id", challengeID, fmt.Sprintf("starting challenge %d", challengeID), acme.ErrNotFound, acme.ErrConflict)
	}
	return nil
}

// FailInterruptedChallenges sets every processing challenge whose
// validation began before startedBefore invalid with the problem document,
// and the still pending authorizations of those challenges invalid, in one
// transaction; it returns how many challenges it changed. Authorizations
// are updated first, as CompleteChallenge does, so that a late completion
// of one of these challenges waits for this transaction and then finds its
// challenge no longer processing (acme.ErrConflict).
//
// A challenge the vetting gate holds (hold set) stays processing on purpose
// while officers decide: it is not interrupted however long it waits.
func (s *core) FailInterruptedChallenges(ctx context.Context, startedBefore time.Time, problem []byte) (int64, error) {
	cutoff := norm(startedBefore)
	var n int64
	err := s.db.inTx(ctx, func(c conn) error {
		_, err := c.exec(ctx, `UPDATE authorizations SET status = 'invalid'
			WHERE status = 'pending' AND id IN (SELECT authz_id FROM challenges
				WHERE status = 'processing' AND validation_started_at < $1 AND hold IS NULL)`, cutoff)
		if err != nil {
			return err
		}
		n, err = c.exec(ctx, `UPDATE challenges SET status = 'invalid', error = $2
			WHERE status = 'processing' AND validation_started_at < $1 AND hold IS NULL`, cutoff, problem)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: failing interrupted challenges: %w", err)
	}
	return n, nil
}

// CompleteChallenge records a validation result (RFC 8555 §7.5.1, §8): the
// processing challenge and its pending authorization both become valid
// (the challenge validated at at, the authorization expiring at
// authzExpires, which must be set) or both invalid (the challenge with the
// problem document; the authorization keeps its expiry).
// acme.ErrConflict if the challenge is not processing or its authorization
// not pending. The authorization row is updated first, so concurrent
// completions of challenges of one authorization serialise on it and only
// the first wins.
func (s *core) CompleteChallenge(ctx context.Context, challengeID int64, valid bool, problem []byte, at, authzExpires time.Time) error {
	what := fmt.Sprintf("completing challenge %d", challengeID)
	status := acme.StatusInvalid
	var validated, expires *time.Time
	if valid {
		if authzExpires.IsZero() {
			return fmt.Errorf("store: %s: a valid authorization needs its new expiry", what)
		}
		status = acme.StatusValid
		t, e := norm(at), norm(authzExpires)
		validated, expires, problem = &t, &e, nil
	}
	return s.db.inTx(ctx, func(c conn) error {
		n, err := c.exec(ctx, `UPDATE authorizations SET status = $2, expires = COALESCE($3, expires)
			WHERE id = (SELECT authz_id FROM challenges WHERE id = $1 AND status = 'processing') AND status = 'pending'`,
			challengeID, status, expires)
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		if n == 0 {
			return missOrConflict(ctx, c, "challenges", "id", challengeID, what, acme.ErrNotFound, acme.ErrConflict)
		}
		n, err = c.exec(ctx, `UPDATE challenges SET status = $2, validated = $3, error = $4, hold = NULL
			WHERE id = $1 AND status = 'processing'`,
			challengeID, status, validated, problem)
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		if n == 0 {
			return fmt.Errorf("store: %s: %w", what, acme.ErrConflict)
		}
		return nil
	})
}

// insertAuthz inserts a new authorization with its challenges, returning
// the authorization id and the challenge ids in the order of a.Challenges.
func insertAuthz(ctx context.Context, c conn, a *acme.Authorization, accountID int64, created time.Time) (int64, []int64, error) {
	status := a.Status
	if status == "" {
		status = acme.StatusPending
	}
	var id int64
	profile := a.Profile
	if profile == "" {
		profile = "ov"
	}
	err := c.queryRow(ctx, `INSERT INTO authorizations (account_id, identifier_type, identifier_value, status, expires, profile, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		accountID, a.Identifier.Type, a.Identifier.Value, status, norm(a.Expires), profile, created).Scan(&id)
	if err != nil {
		return 0, nil, err
	}
	if len(a.Challenges) == 0 {
		return id, nil, nil
	}
	q := []byte(`INSERT INTO challenges (authz_id, type, token, status, validated, error) VALUES `)
	args := []any{id}
	for i, ch := range a.Challenges {
		if i > 0 {
			q = append(q, ", "...)
		}
		n := len(args)
		q = fmt.Appendf(q, "($1, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5)
		chStatus := ch.Status
		if chStatus == "" {
			chStatus = acme.StatusPending
		}
		args = append(args, ch.Type, ch.Token, chStatus, normPtr(ch.Validated), ch.Error)
	}
	q = append(q, " RETURNING id, type, token"...)
	r, err := c.query(ctx, string(q), args...)
	if err != nil {
		return 0, nil, err
	}
	defer r.Close()
	// RETURNING does not promise row order: match rows by type and token.
	chIDs := make([]int64, len(a.Challenges))
	for r.Next() {
		var chID int64
		var typ, token string
		if err := r.Scan(&chID, &typ, &token); err != nil {
			return 0, nil, err
		}
		for i, ch := range a.Challenges {
			if chIDs[i] == 0 && ch.Type == typ && ch.Token == token {
				chIDs[i] = chID
				break
			}
		}
	}
	if err := r.Err(); err != nil {
		return 0, nil, err
	}
	for _, chID := range chIDs {
		if chID == 0 {
			return 0, nil, errors.New("store: inserting challenges: a challenge got no id")
		}
	}
	return id, chIDs, nil
}

// HoldChallenge records the vetting gate's hold on a processing challenge
// of a pending authorization; held_at is kept from the first hold.
func (s *core) HoldChallenge(ctx context.Context, challengeID int64, hold []byte, at time.Time) error {
	c := s.db.writer()
	n, err := c.exec(ctx, `UPDATE challenges SET hold = $2, held_at = COALESCE(held_at, $3)
		WHERE id = $1 AND status = 'processing'
		AND EXISTS (SELECT 1 FROM authorizations a WHERE a.id = challenges.authz_id AND a.status = 'pending')`,
		challengeID, hold, norm(at))
	if err != nil {
		return fmt.Errorf("store: holding challenge %d: %w", challengeID, err)
	}
	if n == 0 {
		return missOrConflict(ctx, c, "challenges", "id", challengeID, fmt.Sprintf("holding challenge %d", challengeID), acme.ErrNotFound, acme.ErrConflict)
	}
	return nil
}

// HeldChallenges returns up to limit held challenges with their
// authorization and account, by challenge id.
func (s *core) HeldChallenges(ctx context.Context, afterID int64, limit int) ([]*acme.HeldChallenge, error) {
	return queryAll(ctx, s.db.reader(), "held challenges", func(r row) (*acme.HeldChallenge, error) {
		var h acme.HeldChallenge
		return &h, r.Scan(&h.ChallengeID, &h.AuthzID, &h.AccountID, &h.ContractCode, &h.Name, &h.Profile, &h.HeldAt, &h.Hold)
	}, `SELECT c.id, a.id, a.account_id, ac.contract_code, a.identifier_value, a.profile, c.held_at, c.hold
		FROM challenges c JOIN authorizations a ON a.id = c.authz_id JOIN accounts ac ON ac.id = a.account_id
		WHERE c.hold IS NOT NULL AND c.status = 'processing' AND a.status = 'pending' AND c.id > $1
		ORDER BY c.id LIMIT $2`, afterID, limit)
}
