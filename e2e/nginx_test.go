package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nginx is an nginx server run by the test with OCSP stapling on.
type nginx struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// startNginx serves cert (full chain) and key on a free port with
// ssl_stapling and ssl_stapling_verify, trusting caFile for the OCSP
// responses, and stops it when the test ends. A stapleFile makes nginx
// staple that DER response (ssl_stapling_file) instead of fetching one.
func startNginx(t *testing.T, fullchain, key, caFile, name, stapleFile string) *nginx {
	t.Helper()
	n := &nginx{dir: t.TempDir(), port: freePort(t)}
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events {}
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen 127.0.0.1:%[2]d ssl;
    server_name %[3]s;
    ssl_certificate %[4]s;
    ssl_certificate_key %[5]s;
    ssl_stapling on;
    ssl_stapling_verify on;
    ssl_trusted_certificate %[6]s;
    %[7]s
    location / { return 200 "ok\n"; }
  }
}
`, n.dir, n.port, name, fullchain, key, caFile, stapleDirective(stapleFile))
	path := filepath.Join(n.dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(nginxPath(), "-p", n.dir, "-c", path)
	out := &syncWriter{buf: &bytes.Buffer{}}
	n.cmd.Stdout, n.cmd.Stderr = out, out
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	n.done = make(chan struct{})
	go func() { n.cmd.Wait(); close(n.done) }()
	t.Cleanup(n.stop)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.port), time.Second); err == nil {
			c.Close()
			break
		}
		select {
		case <-n.done:
			t.Fatalf("nginx exited: %s\n%s", out, n.errorLog())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen on %d: %s", n.port, n.errorLog())
		}
	}
	return n
}

// nginxPath finds nginx, which Debian installs in /usr/sbin (not on every
// user's PATH).
func nginxPath() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	return "/usr/sbin/nginx"
}

func stapleDirective(file string) string {
	if file == "" {
		return ""
	}
	return "ssl_stapling_file " + file + ";"
}

func (n *nginx) stop() {
	select {
	case <-n.done:
		return
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

func (n *nginx) errorLog() string {
	data, _ := os.ReadFile(filepath.Join(n.dir, "error.log"))
	return string(data)
}

// stapled connects with `openssl s_client -status` until nginx staples a
// response (it fetches one on the first handshake) or the deadline passes,
// and returns the last output.
func (n *nginx) stapled(t *testing.T, name, rootPEM string, want func(string) bool) string {
	t.Helper()
	var out string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", n.port),
			"-servername", name, "-status", "-CAfile", rootPEM)
		cmd.Stdin = strings.NewReader("")
		b, _ := cmd.CombinedOutput()
		cancel()
		if out = string(b); want(out) {
			return out
		}
	}
	return out
}

// TestNginxStapling checks that nginx (Debian package), configured with
// ssl_stapling on and a certificate obtained with certbot, fetches and
// staples kakuin's OCSP response while the certificate is good. After
// `certbot revoke`, nginx fetches kakuin's revoked response and, as nginx
// does, refuses to staple it (its log names the revoked status); a
// response saved with `openssl ocsp -respout` and given to nginx as
// ssl_stapling_file is stapled and shows revoked.
func TestNginxStapling(t *testing.T) {
	if _, err := os.Stat(nginxPath()); err != nil {
		t.Fatalf("nginx is not installed (scripts/test installs nginx-light with apt-get): %v", err)
	}
	for _, tool := range []string{"certbot", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (scripts/test installs it with apt-get): %v", tool, err)
		}
	}
	k := startKakuin(t, "sqlite")
	c := &certbot{k: k, dir: t.TempDir(), eab: k.newEAB()}
	name := "staple.example.jp"
	c.certonly(t, "staple", []string{name}, append(c.standalone(), "--key-type", "ecdsa", "--elliptic-curve", "secp256r1")...)
	k.checkLeaf(t, c.live("staple", "fullchain.pem"), []string{name}, "ec256")
	fullchain, key, chainPEM := c.live("staple", "fullchain.pem"), c.live("staple", "privkey.pem"), c.live("staple", "chain.pem")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	chain, _ := os.ReadFile(chainPEM)
	root, _ := os.ReadFile(k.rootPEM)
	if err := os.WriteFile(caFile, append(chain, root...), 0o644); err != nil {
		t.Fatal(err)
	}

	n := startNginx(t, fullchain, key, caFile, name, "")
	good := func(s string) bool { return strings.Contains(s, "Cert Status: good") }
	if out := n.stapled(t, name, k.rootPEM, good); !good(out) || !strings.Contains(out, "OCSP Response Status: successful") {
		t.Fatalf("openssl s_client -status: want a stapled good response, got\n%s\n--- nginx error.log ---\n%s", out, n.errorLog())
	}
	n.stop()

	c.mustRun(t, "revoke", "--server", k.directoryURL, "--cert-name", "staple", "--reason", "superseded", "--no-delete-after-revoke")
	n = startNginx(t, fullchain, key, caFile, name, "")
	refused := func(string) bool {
		return strings.Contains(n.errorLog(), `certificate status "revoked" in the OCSP response`)
	}
	if out := n.stapled(t, name, k.rootPEM, refused); !refused(out) || !strings.Contains(out, "OCSP response: no response sent") {
		t.Errorf("nginx after revoke: want it to fetch the revoked status and staple nothing, got\n%s\n--- nginx error.log ---\n%s", out, n.errorLog())
	}
	n.stop()

	respFile := filepath.Join(t.TempDir(), "staple.der")
	out, err := runCmd(t, "openssl", "ocsp", "-issuer", chainPEM, "-cert", c.live("staple", "cert.pem"),
		"-url", "http://"+k.httpListen+"/ocsp", "-CAfile", k.rootPEM, "-verify_other", chainPEM, "-no_nonce", "-respout", respFile)
	if err != nil {
		t.Fatalf("openssl ocsp -respout: %v\n%s", err, out)
	}
	n = startNginx(t, fullchain, key, caFile, name, respFile)
	revoked := func(s string) bool { return strings.Contains(s, "Cert Status: revoked") }
	if out := n.stapled(t, name, k.rootPEM, revoked); !revoked(out) || !strings.Contains(out, "Revocation Reason: superseded") {
		t.Errorf("openssl s_client -status with ssl_stapling_file: want kakuin's revoked response, got\n%s\n--- nginx error.log ---\n%s", out, n.errorLog())
	}
}
