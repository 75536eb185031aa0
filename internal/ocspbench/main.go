// Command ocspbench prepares and serves what scripts/bench-ocsp measures.
// It is a benchmark fixture, not part of kakuin:
//
//	ocspbench seed DIR N   a kakuin data directory (dev CA hierarchy, SQLite
//	                       database) holding N certificates with real signed
//	                       OCSP responses, plus the requests wrk replays:
//	                       DIR/get.txt (GET paths), DIR/post.hex (DER bodies
//	                       in hex) and DIR/index.txt (the same certificates
//	                       as an `openssl ocsp -index` database)
//	ocspbench bare ADDR    a bare net/http handler answering every request
//	                       with a fixed 800-byte body: the ceiling
//	ocspbench load URL GET|POST FILE CONNS DURATION|once
//	                       a Go load generator replaying FILE's requests at
//	                       random for DURATION, or each once (a warm-up)
//
// seed issues one certificate through the store's ACME flow and the CA;
// the other N-1 are copies of its row under fresh reserved serials, each
// with its own OCSP response signed by the CA (ca.Authority.SignOCSP), so
// what the responder serves is real, at the cost of N signatures instead of
// N issuances.
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	xocsp "golang.org/x/crypto/ocsp"
	_ "modernc.org/sqlite"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: ocspbench seed DIR N | ocspbench bare ADDR")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "seed":
		n := 0
		if len(os.Args) == 4 {
			n, err = strconv.Atoi(os.Args[3])
		}
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "usage: ocspbench seed DIR N (N >= 1)")
			os.Exit(2)
		}
		err = seed(context.Background(), os.Args[2], n)
	case "load":
		if len(os.Args) != 7 {
			fmt.Fprintln(os.Stderr, "usage: ocspbench load URL GET|POST FILE CONNS DURATION")
			os.Exit(2)
		}
		conns, cerr := strconv.Atoi(os.Args[5])
		if os.Args[6] == "once" {
			err = warm(os.Args[2], os.Args[3], os.Args[4], conns)
			break
		}
		d, derr := time.ParseDuration(os.Args[6])
		if cerr != nil || derr != nil || conns < 1 {
			fmt.Fprintln(os.Stderr, "ocspbench load: CONNS must be a positive number and DURATION a duration such as 15s")
			os.Exit(2)
		}
		err = load(os.Args[2], os.Args[3], os.Args[4], conns, d)
	case "bare":
		body := make([]byte, 800)
		rand.Read(body)
		err = http.ListenAndServe(os.Args[2], http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/ocsp-response")
			w.Write(body)
		}))
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ocspbench:", err)
		os.Exit(1)
	}
}

// seeded is one seeded certificate.
type seeded struct {
	serial string
	resp   *ca.OCSPResponse
}

func seed(ctx context.Context, dir string, n int) error {
	caDir, dbPath := filepath.Join(dir, "ca"), filepath.Join(dir, "kakuin.db")
	base := "http://127.0.0.1:14080"
	if err := ca.Init(ca.InitOptions{Dir: caDir, BaseURL: base, Organization: "kakuin Development CA", Country: "JP"}); err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Options{Driver: store.DriverSQLite, DSN: dbPath})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	authority, err := ca.Load(ca.Options{Dir: caDir, Store: st, BaseURL: base, OCSPURL: base + "/ocsp", CRLShards: 16, Dev: true})
	if err != nil {
		return err
	}
	first, orderID, accountID, err := issueOne(ctx, st, authority)
	if err != nil {
		return err
	}
	issuer, _ := authority.IssuerCertificate(ca.IssuerOV)

	// Sign N-1 more responses in parallel, for fresh serials.
	start := time.Now()
	out := make([]seeded, n-1)
	var wg sync.WaitGroup
	errs := make(chan error, runtime.NumCPU())
	next := make(chan int)
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range next {
				serial := randomSerialHex()
				resp, err := authority.SignOCSP(ctx, ca.OCSPEntry{IssuerID: ca.IssuerOV, Serial: serial, Status: ca.OCSPGood})
				if err != nil {
					errs <- err
					return
				}
				out[i] = seeded{serial: serial, resp: resp}
			}
		})
	}
	for i := range n - 1 {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "ocspbench: signed %d responses in %v\n", n-1, time.Since(start).Round(time.Millisecond))

	if err := bulkInsert(ctx, dbPath, first, orderID, accountID, out); err != nil {
		return err
	}
	all := append([]string{first.Serial}, serialsOf(out)...)
	return writeRequests(dir, issuer, all, first.NotAfter)
}

// issueOne issues a real certificate through the store and the CA.
func issueOne(ctx context.Context, st store.Backend, a *ca.Authority) (*ca.Issued, int64, int64, error) {
	vet := vetting.New(vetting.Options{Store: st})
	org, err := vet.CreateOrganization(ctx, vetting.OrganizationInput{Name: "Bench KK", Country: "JP", Province: "Tokyo", Locality: "Chiyoda-ku"}, "bench")
	if err != nil {
		return nil, 0, 0, err
	}
	contract, err := vet.CreateContract(ctx, vetting.ContractInput{OrganizationID: org.ID}, "bench")
	if err != nil {
		return nil, 0, 0, err
	}
	cred, err := vet.CreateEAB(ctx, contract.Code, "bench")
	if err != nil {
		return nil, 0, 0, err
	}
	now := time.Now()
	acct := &acme.Account{Status: acme.StatusValid, KeyJWK: []byte(`{}`), KeyThumbprint: "bench", CreatedAt: now}
	if err := st.CreateAccount(ctx, acct, acme.EABBinding{KeyID: cred.KeyID, MaxAccounts: 1}); err != nil {
		return nil, 0, 0, err
	}
	name := "www.bench.example.jp"
	az := &acme.Authorization{AccountID: acct.ID, Identifier: acme.Identifier{Type: "dns", Value: name}, Status: acme.StatusPending,
		Expires: now.Add(time.Hour), CreatedAt: now,
		Challenges: []acme.Challenge{{Type: acme.ChallengeHTTP01, Token: "bench", Status: acme.StatusPending}}}
	o := &acme.Order{AccountID: acct.ID, Identifiers: []acme.Identifier{{Type: "dns", Value: name}}, Names: []string{name},
		Profile: ca.ProfileOV, Expires: now.Add(time.Hour), CreatedAt: now}
	steps := []func() error{
		func() error { return st.CreateOrder(ctx, o, []*acme.Authorization{az}) },
		func() error { return st.StartChallenge(ctx, az.Challenges[0].ID, now) },
		func() error {
			return st.CompleteChallenge(ctx, az.Challenges[0].ID, true, nil, now, now.Add(time.Hour))
		},
		func() error { return st.BeginFinalize(ctx, o.ID, now) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, 0, 0, err
		}
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss, err := a.Issue(ctx, ca.Request{Profile: ca.ProfileOV, PublicKey: key.Public(), Names: []string{name},
		Subject: ca.Subject{Organization: "Bench KK", Country: "JP", Province: "Tokyo", Locality: "Chiyoda-ku"}})
	if err != nil {
		return nil, 0, 0, err
	}
	err = st.CompleteOrder(ctx, o.ID, &acme.Certificate{Serial: iss.Serial, IssuerID: iss.IssuerID, DER: iss.DER, ChainPEM: iss.ChainPEM,
		NotBefore: iss.NotBefore, NotAfter: iss.NotAfter, KeyHash: iss.KeyHash, CRLShard: iss.CRLShard, OCSP: iss.OCSP})
	return iss, o.ID, acct.ID, err
}

func randomSerialHex() string {
	b := make([]byte, 20)
	rand.Read(b)
	b[0] &= 0x7f
	b[0] |= 0x01
	return hex.EncodeToString(b)
}

func serialsOf(s []seeded) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = v.serial
	}
	return out
}

const sqliteTime = "2006-01-02T15:04:05.000000Z"

// bulkInsert copies the first certificate's row under each seeded serial,
// with its response, in one transaction (the fixture's shortcut; the
// schema's constraints still hold).
func bulkInsert(ctx context.Context, dbPath string, first *ca.Issued, orderID, accountID int64, rows []seeded) error {
	db, err := sql.Open("sqlite", dbPath+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC().Format(sqliteTime)
	// Written as of a minute ago: a responder drops the cached copies of
	// responses written in the last few seconds (Responder.Run), which
	// would otherwise empty its cache during the warm-up.
	written := time.Now().Add(-time.Minute).UTC().Format(sqliteTime)
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO serials (serial, issuer_id, reserved_at) VALUES (?, 'ov', ?)`, r.serial, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO certificates (serial, issuer_id, account_id, order_id, der, chain, not_before,
			not_after, key_hash, created_at, crl_shard) VALUES (?, 'ov', ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
			r.serial, accountID, orderID, first.DER, first.ChainPEM, first.NotBefore.UTC().Format(sqliteTime),
			first.NotAfter.UTC().Format(sqliteTime), first.KeyHash, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ocsp_responses (serial, issuer_id, status, der_sha1, der_sha256, this_update,
			next_update, refresh_at, updated_at) VALUES (?, 'ov', 'good', ?, ?, ?, ?, NULL, ?)`,
			r.serial, r.resp.SHA1, r.resp.SHA256, r.resp.ThisUpdate.UTC().Format(sqliteTime),
			r.resp.NextUpdate.UTC().Format(sqliteTime), written); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// writeRequests writes the GET paths, POST bodies and openssl index.
func writeRequests(dir string, issuer *x509.Certificate, serials []string, notAfter time.Time) error {
	files := map[string]*bufio.Writer{}
	for _, name := range []string{"get.txt", "post.hex", "index.txt"} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		defer f.Close()
		w := bufio.NewWriter(f)
		defer w.Flush()
		files[name] = w
	}
	for i, s := range serials {
		n, _ := new(big.Int).SetString(s, 16)
		req, err := xocsp.CreateRequest(&x509.Certificate{SerialNumber: n}, issuer, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(files["get.txt"], "/ocsp/%s\n", url.PathEscape(base64.StdEncoding.EncodeToString(req)))
		fmt.Fprintf(files["post.hex"], "%x\n", req)
		// openssl's index wants unique subjects.
		fmt.Fprintf(files["index.txt"], "V\t%s\t\t%s\tunknown\t/CN=bench-%d\n", notAfter.UTC().Format("060102150405Z"),
			strings.ToUpper(s), i)
	}
	return nil
}
