package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kakuin/kakuin/internal/pgtest"
	"github.com/kakuin/kakuin/internal/testdns"
)

// kakuinBin is the kakuin binary built once by TestMain.
var kakuinBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kakuin-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	kakuinBin = filepath.Join(dir, "kakuin")
	build := exec.Command("go", "build", "-race", "-o", kakuinBin, "github.com/kakuin/kakuin/cmd/kakuin")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building kakuin:", err)
		os.Exit(1)
	}
	code := m.Run()
	pgtest.Shutdown()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testEVPolicy is the CA's own EV policy OID in the suite's configuration
// (ca.ev_policy_oid), which EV leaves carry after 2.23.140.1.1.
const testEVPolicy = "1.3.6.1.4.1.99999.1.1"

// backends are the storage backends every acceptance test runs against.
var backends = []string{"sqlite", "postgres"}

// kakuin is one running `kakuin serve --dev` process and what a test needs
// to reach it.
type kakuin struct {
	t            *testing.T
	dataDir      string
	dbFlags      []string
	listen       string
	httpListen   string // the plain-HTTP listener: AIA, OCSP, CRLs
	adminListen  string // the officers' admin API (HTTPS, client certificates)
	http01Port   int
	tlsALPNPort  int
	dns          *testdns.Server
	directoryURL string
	trustPEM     string
	roots        *x509.CertPool // kakuin's CA root (for verifying issued chains)
	rootPEM      string         // path of the CA root PEM
	cmd          *exec.Cmd
	log          *bytes.Buffer
}

// freePort returns a TCP port on 127.0.0.1 that is free now and that no
// other caller in this test binary got. It is drawn below the kernel's
// ephemeral range (ip_local_port_range): a port from that range (what
// listening on :0 gives) can be taken as the local port of any outgoing
// connection — to PostgreSQL, the DNS server, kakuin — between the moment
// it is found free and the moment certbot, lego or kakuin binds it.
func freePort(t *testing.T) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	low := ephemeralLow()
	for range 1000 {
		p := 10000 + mathrand.IntN(low-10000)
		if portsTaken[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		portsTaken[p] = true
		return p
	}
	t.Fatalf("no free port found below %d", low)
	return 0
}

var (
	portsMu    sync.Mutex
	portsTaken = map[int]bool{}
)

// ephemeralLow returns the first port of the kernel's ephemeral range
// (32768 when it cannot be read).
func ephemeralLow() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return 32768
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil || low <= 11000 {
		return 32768
	}
	return low
}

// startKakuin starts `kakuin serve --dev` on the backend with its own data
// directory, ports and DNS server, and waits until its directory answers.
func startKakuin(t *testing.T, backend string) *kakuin {
	t.Helper()
	k := &kakuin{
		t:           t,
		dataDir:     t.TempDir(),
		listen:      fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		httpListen:  fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		adminListen: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		http01Port:  freePort(t),
		tlsALPNPort: freePort(t),
		dns:         testdns.StartT(t),
		log:         &bytes.Buffer{},
	}
	k.dns.SetDefaultA("127.0.0.1")
	switch backend {
	case "sqlite":
	case "postgres":
		k.dbFlags = []string{"--db-driver", "postgres", "--db-dsn", pgtest.NewDatabase(t)}
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	// Held authorizations are re-checked and polled every second, so that
	// clients give up on a hold within a test's patience (certbot after
	// about 30 polls, lego after about 100 s).
	cfg := filepath.Join(k.dataDir, "kakuin.json")
	if err := os.WriteFile(cfg, []byte(`{"ca": {"ev_policy_oid": "`+testEVPolicy+`"}, "vetting": {"hold_retry_after": "1s", "hold_recheck": "1s", "contact": "vetting@kakuin.example.jp"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve", "--dev", "--config", cfg,
		"--data", k.dataDir,
		"--listen", k.listen,
		"--http-listen", k.httpListen,
		"--admin-listen", k.adminListen,
		"--http01-port", strconv.Itoa(k.http01Port),
		"--tlsalpn01-port", strconv.Itoa(k.tlsALPNPort),
		"--dns-resolver", k.dns.Addr(),
	}, k.dbFlags...)
	k.directoryURL = "https://" + k.listen + "/acme/directory"
	k.trustPEM = filepath.Join(k.dataDir, "tls", "tls-ca.pem")
	k.rootPEM = filepath.Join(k.dataDir, "ca", "root.pem")
	k.waitReady(k.start(args))
	return k
}

// start runs kakuin with args, its output collected in k.log, and stops it
// (SIGTERM, then SIGKILL after 20 s) when the test ends.
func (k *kakuin) start(args []string) *procExit {
	t := k.t
	t.Helper()
	k.cmd = exec.Command(kakuinBin, args...)
	k.cmd.Stdout = &syncWriter{buf: k.log}
	k.cmd.Stderr = k.cmd.Stdout
	if err := k.cmd.Start(); err != nil {
		t.Fatalf("start kakuin: %v", err)
	}
	exited := &procExit{done: make(chan struct{})}
	go func() {
		exited.err = k.cmd.Wait()
		close(exited.done)
	}()
	t.Cleanup(func() {
		_ = k.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited.done:
		case <-time.After(20 * time.Second):
			_ = k.cmd.Process.Kill()
			<-exited.done
			t.Errorf("kakuin on %s did not stop within 20s of SIGTERM", k.listen)
		}
		if t.Failed() {
			t.Logf("kakuin on %s output:\n%s", k.listen, k.output())
		}
	})
	return exited
}

// procExit reports the end of a kakuin process: done is closed once it
// exited, and err is then its exit status. Any number of waiters see it,
// so an early exit seen by waitReady does not hang the cleanup.
type procExit struct {
	done chan struct{}
	err  error
}

// waitReady waits until k's directory answers, failing the test if the
// process exits first, and loads its CA root.
func (k *kakuin) waitReady(exited *procExit) {
	t := k.t
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !k.directoryAnswers() {
		select {
		case <-exited.done:
			t.Fatalf("kakuin on %s exited early: %v\n%s", k.listen, exited.err, k.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kakuin directory %s did not answer within 60s\n%s", k.directoryURL, k.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	pemBytes, err := os.ReadFile(k.rootPEM)
	if err != nil {
		t.Fatalf("read CA root: %v", err)
	}
	k.roots = x509.NewCertPool()
	if !k.roots.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("no certificate in %s", k.rootPEM)
	}
}

func (k *kakuin) output() string {
	return k.cmd.Stdout.(*syncWriter).String()
}

// directoryAnswers reports whether the ACME directory answers 200 over TLS
// verified with the trust PEM kakuin printed.
func (k *kakuin) directoryAnswers() bool {
	pemBytes, err := os.ReadFile(k.trustPEM)
	if err != nil {
		return false
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return false
	}
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	resp, err := client.Get(k.directoryURL)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// cli runs a kakuin subcommand against this server's data directory and
// database with --json, and decodes the one JSON object it prints.
func (k *kakuin) cli(args ...string) map[string]any {
	k.t.Helper()
	out, err := k.cliRaw(append(args, "--json")...)
	if err != nil {
		k.t.Fatalf("kakuin %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var obj map[string]any
	if err := json.Unmarshal(out, &obj); err != nil {
		k.t.Fatalf("kakuin %s: output is not one JSON object: %v\n%s", strings.Join(args, " "), err, out)
	}
	return obj
}

// cliRaw runs a kakuin subcommand and returns its combined output.
func (k *kakuin) cliRaw(args ...string) ([]byte, error) {
	full := append(append([]string{}, args...), "--data", k.dataDir)
	full = append(full, k.dbFlags...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kakuinBin, full...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

// eab is an External Account Binding credential created with the CLI.
type eab struct {
	KID, HMAC, Contract string
	OrgID               int64
}

// org is the organization record every test certificate's subject must show.
var org = struct{ Name, Country, Province, Locality string }{
	"Kakuin Example KK", "JP", "Tokyo", "Chiyoda-ku",
}

// newEAB creates an organization, vets its identity (OV) and its use of
// example.jp, and creates a contract and an EAB credential, with the
// operator CLI, exactly as the README tells an operator and officers to.
func (k *kakuin) newEAB() eab {
	k.t.Helper()
	return k.newEABVetted(true)
}

// newEABVetted is newEAB, leaving the organization unvetted unless vet.
func (k *kakuin) newEABVetted(vet bool) eab {
	k.t.Helper()
	o := k.cli("org", "create", "--name", org.Name, "--country", org.Country,
		"--province", org.Province, "--locality", org.Locality)
	id, ok := o["id"].(float64)
	if !ok {
		k.t.Fatalf("org create: no numeric id in %v", o)
	}
	if vet {
		k.vetOrg(int64(id), "ov", testDomain)
	}
	c := k.cli("contract", "create", "--org", strconv.FormatInt(int64(id), 10), "--plan", "per-certificate", "--slots", "100")
	code, _ := c["code"].(string)
	if len(code) != 10 {
		k.t.Fatalf("contract create: code %q is not 10 digits", code)
	}
	e := k.cli("eab", "create", "--contract", code)
	kid, _ := e["kid"].(string)
	hmac, _ := e["hmac"].(string)
	if kid == "" || hmac == "" {
		k.t.Fatalf("eab create: missing kid or hmac in %v", e)
	}
	return eab{KID: kid, HMAC: hmac, Contract: code, OrgID: int64(id)}
}
