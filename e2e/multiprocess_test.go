package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/crypto/acme"

	"github.com/kakuin/kakuin/internal/pgtest"
	"github.com/kakuin/kakuin/internal/testdns"
)

// procOptions describe one `kakuin serve --dev` process of a group sharing
// a database and a data directory.
type procOptions struct {
	dataDir    string
	dbFlags    []string
	configFile string
	listen     string
	httpListen string
	http01Port int
	dns        *testdns.Server
	// noDev starts the process without --dev (and without
	// --http01-port): a production configuration.
	noDev bool
	// trustPEM is what clients trust to reach the process; default the
	// dev TLS CA in the data directory.
	trustPEM string
}

// startProc starts `kakuin serve` with opts and waits until its directory
// answers on its own listener. Unlike startKakuin it shares the data
// directory, database and DNS server it is given.
func startProc(t *testing.T, opts procOptions) *kakuin {
	t.Helper()
	k, exited := launchProc(t, opts)
	k.waitReady(exited)
	return k
}

// launchProc starts `kakuin serve` with opts (--dev unless opts.noDev) and
// returns at once; the process is stopped when the test ends. Call
// waitReady next, from the test's goroutine.
func launchProc(t *testing.T, opts procOptions) (*kakuin, *procExit) {
	t.Helper()
	k := &kakuin{
		t:            t,
		dataDir:      opts.dataDir,
		dbFlags:      opts.dbFlags,
		listen:       opts.listen,
		http01Port:   opts.http01Port,
		dns:          opts.dns,
		log:          &bytes.Buffer{},
		directoryURL: "https://" + opts.listen + "/acme/directory",
		trustPEM:     filepath.Join(opts.dataDir, "tls", "tls-ca.pem"),
		rootPEM:      filepath.Join(opts.dataDir, "ca", "root.pem"),
	}
	if opts.trustPEM != "" {
		k.trustPEM = opts.trustPEM
	}
	args := []string{"serve", "--config", opts.configFile,
		"--data", opts.dataDir,
		"--listen", opts.listen,
		"--http-listen", opts.httpListen,
		"--dns-resolver", opts.dns.Addr(),
	}
	if !opts.noDev {
		args = append(args, "--dev", "--http01-port", strconv.Itoa(opts.http01Port))
	}
	exited := k.start(append(args, opts.dbFlags...))
	return k, exited
}

// balancer is what a load balancer in front of several kakuin processes
// does, under the test's control: every request, whatever its URL, goes to
// the process the test picked last. Keep-alives are off so that each
// request dials anew.
type balancer struct {
	target atomic.Value // string: host:port of the process to reach
	client *http.Client
}

func newBalancer(t *testing.T, trustPEM string) *balancer {
	t.Helper()
	pemBytes, err := os.ReadFile(trustPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("no certificate in %s", trustPEM)
	}
	b := &balancer{}
	var d net.Dialer
	b.client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, b.target.Load().(string))
		},
	}}
	return b
}

// to sends the following requests to the process k.
func (b *balancer) to(k *kakuin) { b.target.Store(k.listen) }

// nonce takes a fresh nonce from the current process (RFC 8555 §7.2).
func (b *balancer) nonce(t *testing.T, baseURL string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodHead, baseURL+"/acme/new-nonce", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatalf("new-nonce: %v", err)
	}
	res.Body.Close()
	n := res.Header.Get("Replay-Nonce")
	if res.StatusCode != http.StatusOK || n == "" {
		t.Fatalf("new-nonce: got status %d nonce %q, want 200 and a nonce", res.StatusCode, n)
	}
	return n
}

// signedPOST sends a JWS (RFC 8555 §6.2) signed with key, with kid (or,
// if empty, the public key as "jwk") and nonce as given, to url on the current process, and returns the status
// and body. A nil payload is POST-as-GET.
func (b *balancer) signedPOST(t *testing.T, key *ecdsa.PrivateKey, kid, nonce, url string, payload []byte) (int, []byte) {
	t.Helper()
	opts := &jose.SignerOptions{ExtraHeaders: map[jose.HeaderKey]any{"nonce": nonce, "url": url}}
	if kid == "" {
		opts.EmbedJWK = true
	} else {
		opts.ExtraHeaders["kid"] = kid
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	// The flattened serialization (RFC 8555 §6.2) with "payload" always
	// present, "" for POST-as-GET.
	compact, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(compact, ".")
	body, err := json.Marshal(map[string]string{"protected": parts[0], "payload": parts[1], "signature": parts[2]})
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.client.Post(url, "application/jose+json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	resBody, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, resBody
}

// problemOf returns the type and detail of a problem document (RFC 7807).
func problemOf(body []byte) (typ, detail string) {
	var p struct{ Type, Detail string }
	_ = json.Unmarshal(body, &p)
	return p.Type, p.Detail
}

// http01Responder answers http-01 challenges (RFC 8555 §8.3) for any host.
type http01Responder struct {
	port int
	mu   sync.Mutex
	keys map[string]string // token → key authorization
}

func startHTTP01(t *testing.T) *http01Responder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &http01Responder{port: ln.Addr().(*net.TCPAddr).Port, keys: map[string]string{}}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		token, ok := strings.CutPrefix(req.URL.Path, "/.well-known/acme-challenge/")
		r.mu.Lock()
		ka, found := r.keys[token]
		r.mu.Unlock()
		if !ok || !found {
			http.NotFound(w, req)
			return
		}
		io.WriteString(w, ka)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r
}

func (r *http01Responder) set(token, keyAuth string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys[token] = keyAuth
}

// snapshot reads every file under dir.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		files[path] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestMultiProcess runs two `kakuin serve --dev` processes, A and B, on one
// PostgreSQL database and one data directory (CA and dev TLS files), behind
// a test-controlled load balancer: both publish the same base URL, and the
// test picks the process each request reaches. Nonces from one process are
// accepted once by either (RFC 8555 §6.5) and expire; an account created on
// A is found by B; an order created on A is finalized on B; the certificate
// is the same fetched from either, chains to the one CA root, and B neither
// re-created the CA nor the TLS files.
func TestMultiProcess(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	dbFlags := []string{"--db-driver", "postgres", "--db-dsn", pgtest.NewDatabase(t)}
	dns := testdns.StartT(t)
	dns.SetDefaultA("127.0.0.1")
	responder := startHTTP01(t)

	listenA := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	listenB := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	httpListenA := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	httpListenB := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	// The public URLs are the balancer's; here A's addresses stand in.
	baseURL := "https://" + listenA
	configFile := filepath.Join(t.TempDir(), "kakuin.json")
	const nonceLifetime = 10 * time.Second
	config := fmt.Sprintf(`{"base_url": %q, "http_base_url": %q, "acme": {"nonce_lifetime": %q}}`,
		baseURL, "http://"+httpListenA, nonceLifetime.String())
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := procOptions{dataDir: dataDir, dbFlags: dbFlags, configFile: configFile, http01Port: responder.port, dns: dns}

	optsA := opts
	optsA.listen, optsA.httpListen = listenA, httpListenA
	a := startProc(t, optsA)
	before := snapshot(t, dataDir)
	if len(before) == 0 {
		t.Fatal("data directory empty after the first start")
	}
	optsB := opts
	optsB.listen, optsB.httpListen = listenB, httpListenB
	b := startProc(t, optsB)

	t.Run("second process reuses CA and TLS files", func(t *testing.T) {
		after := snapshot(t, dataDir)
		for path, data := range before {
			if !bytes.Equal(after[path], data) {
				t.Errorf("%s changed when the second process started", path)
			}
		}
		for path := range after {
			if _, ok := before[path]; !ok {
				t.Errorf("%s appeared when the second process started", path)
			}
		}
		if strings.Contains(b.output(), "dev CA hierarchy created") {
			t.Errorf("the second process logged \"dev CA hierarchy created\"")
		}
	})

	lb := newBalancer(t, a.trustPEM)
	e := a.newEAB()
	hmacKey, err := base64.RawURLEncoding.DecodeString(e.HMAC)
	if err != nil {
		t.Fatalf("EAB HMAC %q: %v", e.HMAC, err)
	}
	accountKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	client := &acme.Client{Key: accountKey, DirectoryURL: baseURL + "/acme/directory", HTTPClient: lb.client, UserAgent: "kakuin-e2e"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	lb.to(a)
	acct, err := client.Register(ctx, &acme.Account{ExternalAccountBinding: &acme.ExternalAccountBinding{KID: e.KID, Key: hmacKey}}, acme.AcceptTOS)
	if err != nil {
		t.Fatalf("register on A: %v", err)
	}
	kid := acct.URI

	t.Run("account created on A is visible on B", func(t *testing.T) {
		lb.to(b)
		got, err := client.GetReg(ctx, kid)
		if err != nil {
			t.Fatalf("GetReg on B: %v", err)
		}
		if got.URI != kid || got.Status != acme.StatusValid {
			t.Errorf("account on B: got %s %s, want %s %s", got.URI, got.Status, kid, acme.StatusValid)
		}
	})

	t.Run("nonces", func(t *testing.T) {
		post := func(k *kakuin, nonce string) (int, []byte) {
			lb.to(k)
			return lb.signedPOST(t, accountKey, kid, nonce, kid, nil)
		}
		wantAccepted := func(step string, status int, body []byte) {
			t.Helper()
			if status != http.StatusOK {
				t.Fatalf("%s: got status %d %s, want 200", step, status, body)
			}
			var got struct{ Status string }
			if err := json.Unmarshal(body, &got); err != nil || got.Status != "valid" {
				t.Errorf("%s: got account %s, want status valid", step, body)
			}
		}
		wantBadNonce := func(step string, status int, body []byte, detail string) {
			t.Helper()
			typ, d := problemOf(body)
			if status != http.StatusBadRequest || typ != "urn:ietf:params:acme:error:badNonce" {
				t.Errorf("%s: got status %d %s, want 400 badNonce", step, status, body)
			}
			if !strings.Contains(d, detail) {
				t.Errorf("%s: detail got %q, want it to contain %q", step, d, detail)
			}
		}

		lb.to(a)
		fromA := lb.nonce(t, baseURL)
		status, body := post(b, fromA)
		wantAccepted("nonce from A used on B", status, body)
		status, body = post(a, fromA)
		wantBadNonce("nonce from A reused on A", status, body, "already used")
		status, body = post(b, fromA)
		wantBadNonce("nonce from A reused on B", status, body, "already used")

		lb.to(b)
		fromB := lb.nonce(t, baseURL)
		status, body = post(a, fromB)
		wantAccepted("nonce from B used on A", status, body)
		status, body = post(b, fromB)
		wantBadNonce("nonce from B reused on B", status, body, "already used")

		// A nonce the balancer never saw issued: the right length, a
		// MAC that does not verify.
		lb.to(a)
		raw, _ := base64.RawURLEncoding.DecodeString(lb.nonce(t, baseURL))
		raw[len(raw)-1] ^= 1
		status, body = post(b, base64.RawURLEncoding.EncodeToString(raw))
		wantBadNonce("altered nonce on B", status, body, "not issued by this server")

		// A nonce expires after acme.nonce_lifetime, on every process.
		lb.to(a)
		old := lb.nonce(t, baseURL)
		time.Sleep(nonceLifetime + 1500*time.Millisecond)
		status, body = post(b, old)
		wantBadNonce("expired nonce from A on B", status, body, "expired")
	})

	t.Run("order on A, finalized on B", func(t *testing.T) {
		names := []string{"multi.example.jp", "www.multi.example.jp"}
		lb.to(a)
		order, err := client.AuthorizeOrder(ctx, acme.DomainIDs(names...))
		if err != nil {
			t.Fatalf("new order on A: %v", err)
		}
		for i, authzURL := range order.AuthzURLs {
			// Alternate the processes for every step.
			first, second := a, b
			if i%2 == 1 {
				first, second = b, a
			}
			lb.to(first)
			authz, err := client.GetAuthorization(ctx, authzURL)
			if err != nil {
				t.Fatalf("authorization: %v", err)
			}
			var chal *acme.Challenge
			for _, c := range authz.Challenges {
				if c.Type == "http-01" {
					chal = c
				}
			}
			if chal == nil {
				t.Fatalf("authorization %s has no http-01 challenge", authzURL)
			}
			ka, err := client.HTTP01ChallengeResponse(chal.Token)
			if err != nil {
				t.Fatal(err)
			}
			responder.set(chal.Token, ka)
			if _, err := client.Accept(ctx, chal); err != nil {
				t.Fatalf("accept challenge: %v", err)
			}
			lb.to(second)
			if _, err := client.WaitAuthorization(ctx, authzURL); err != nil {
				t.Fatalf("wait for authorization: %v", err)
			}
		}
		lb.to(a)
		if order, err = client.WaitOrder(ctx, order.URI); err != nil {
			t.Fatalf("wait for order on A: %v", err)
		}
		if order.Status != acme.StatusReady {
			t.Fatalf("order: got status %s, want ready", order.Status)
		}

		leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
			Subject: pkix.Name{CommonName: names[0]}, DNSNames: names}, leafKey)
		if err != nil {
			t.Fatal(err)
		}
		lb.to(b)
		derB, certURL, err := client.CreateOrderCert(ctx, order.FinalizeURL, csr, true)
		if err != nil {
			t.Fatalf("finalize on B: %v", err)
		}
		if !strings.Contains(b.output(), "/finalize") {
			t.Errorf("B's log shows no finalize request: the balancer did not reach B")
		}
		if strings.Contains(a.output(), "/finalize") {
			t.Errorf("A's log shows a finalize request, want it on B only")
		}

		lb.to(a)
		derA, err := client.FetchCert(ctx, certURL, true)
		if err != nil {
			t.Fatalf("fetch certificate on A: %v", err)
		}
		if len(derA) != len(derB) || !bytes.Equal(derA[0], derB[0]) {
			t.Errorf("certificate fetched on A differs from the one B returned")
		}
		chain := filepath.Join(t.TempDir(), "chain.pem")
		var pemChain bytes.Buffer
		for _, der := range derB {
			pem.Encode(&pemChain, &pem.Block{Type: "CERTIFICATE", Bytes: der})
		}
		if err := os.WriteFile(chain, pemChain.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		leaf := a.checkLeaf(t, chain, names, "ec256")
		if !leaf.PublicKey.(*ecdsa.PublicKey).Equal(leafKey.Public()) {
			t.Errorf("leaf key differs from the CSR's")
		}
		if len(leaf.IssuingCertificateURL) == 1 && !strings.HasPrefix(leaf.IssuingCertificateURL[0], "http://"+httpListenA+"/") {
			t.Errorf("AIA caIssuers: got %s, want it under the shared http_base_url http://%s", leaf.IssuingCertificateURL[0], httpListenA)
		}
	})
}

// TestMultiProcessConcurrentStart starts two production-mode `kakuin serve`
// processes (no --dev; database.migrate_on_start set, TLS files and the CA
// from `kakuin init` given) at the same moment on one fresh PostgreSQL
// database: both apply the migrations on start, so they race, and both must
// come up and agree on the schema and the nonce key.
func TestMultiProcessConcurrentStart(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	if out, err := exec.Command(kakuinBin, "init", "--data", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("kakuin init: %v\n%s", err, out)
	}
	for _, name := range []string{"root.pem", "ov.pem", "ev.pem"} {
		readPEMCerts(t, filepath.Join(dataDir, "ca", name)) // lints the CA certificates
	}
	certFile, keyFile := selfSignedTLS(t)
	listenA := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	listenB := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	baseURL := "https://" + listenA
	configFile := filepath.Join(t.TempDir(), "kakuin.json")
	config := fmt.Sprintf(`{"base_url": %q, "http_base_url": "http://ca.example.jp", "database": {"migrate_on_start": true},
		"tls": {"cert_file": %q, "key_file": %q}}`, baseURL, certFile, keyFile)
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := procOptions{dataDir: dataDir, configFile: configFile, dns: testdns.StartT(t), noDev: true, trustPEM: certFile,
		dbFlags: []string{"--db-driver", "postgres", "--db-dsn", pgtest.NewDatabase(t)}}
	optsA, optsB := opts, opts
	optsA.listen, optsA.httpListen = listenA, fmt.Sprintf("127.0.0.1:%d", freePort(t))
	optsB.listen, optsB.httpListen = listenB, fmt.Sprintf("127.0.0.1:%d", freePort(t))
	a, exitedA := launchProc(t, optsA)
	b, exitedB := launchProc(t, optsB)
	a.waitReady(exitedA)
	b.waitReady(exitedB)

	applied := 0
	for _, k := range []*kakuin{a, b} {
		if strings.Contains(k.output(), "migrations applied") {
			applied++
		}
	}
	if applied != 1 {
		t.Errorf("processes that logged \"migrations applied\": got %d, want 1", applied)
	}

	// One nonce key: a nonce of each is accepted by the other, once.
	lb := newBalancer(t, certFile)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct{ from, to *kakuin }{{a, b}, {b, a}} {
		lb.to(step.from)
		nonce := lb.nonce(t, baseURL)
		for i, want := range []string{"accountDoesNotExist", "badNonce"} {
			lb.to(step.to)
			status, body := lb.signedPOST(t, key, "", nonce, baseURL+"/acme/new-account", []byte(`{"onlyReturnExisting": true}`))
			if typ, _ := problemOf(body); typ != "urn:ietf:params:acme:error:"+want {
				t.Errorf("nonce of %s used on %s, use %d: got %d %s, want %s", step.from.listen, step.to.listen, i+1, status, body, want)
			}
		}
	}
}

// selfSignedTLS writes a self-signed server certificate for 127.0.0.1 and
// its key, as an operator's own TLS files.
func selfSignedTLS(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
