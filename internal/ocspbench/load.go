package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// warm sends every request of the file once, in order, from conns
// goroutines: a responder's cache then holds what it can of them.
func warm(url, method, file string, conns int) error {
	reqs, err := readRequests(method, file)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
	next := make(chan []byte)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for r := range next {
				if resp, err := send(client, url, method, r); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	for _, r := range reqs {
		next <- r
	}
	close(next)
	wg.Wait()
	return nil
}

func send(client *http.Client, url, method string, r []byte) (*http.Response, error) {
	if method == http.MethodPost {
		return client.Post(url, "application/ocsp-request", bytes.NewReader(r))
	}
	return client.Get(url + string(r))
}

// readRequests reads a post.hex (DER bodies in hex) or get.txt (paths) file.
func readRequests(method, file string) ([][]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var reqs [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if method != http.MethodPost {
			reqs = append(reqs, []byte(line))
			continue
		}
		b, err := hex.DecodeString(line)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, b)
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("no requests in %s", file)
	}
	return reqs, sc.Err()
}

// load drives url with POST requests (bodies from a post.hex file) or GET
// requests (paths from a get.txt file) from conns goroutines for d, and
// prints "req/s p50 p99 errors". A Go client, for servers wrk cannot
// drive (`openssl ocsp` answers one connection at a time and hangs on
// wrk's).
func load(url, method, file string, conns int, d time.Duration) error {
	reqs, err := readRequests(method, file)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				r := reqs[rand.IntN(len(reqs))]
				start := time.Now()
				resp, err := send(client, url, method, r)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("HTTP %d", resp.StatusCode)
					}
				}
				if err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(lat) == 0 {
		return fmt.Errorf("no successful request (%d errors)", errs)
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	fmt.Printf("%.2f %v %v %d\n", float64(len(lat))/d.Seconds(), pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), errs)
	return nil
}
