package testdns

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxControlBody bounds a control API request body.
const maxControlBody = 64 << 10

// txtRequest is the body of /set-txt and /clear-txt, the same shape as
// Pebble's challtestsrv uses.
type txtRequest struct {
	// Host is the owner name, e.g. "_acme-challenge.example.com.".
	Host string `json:"host"`
	// Value is the TXT value to add; ignored by /clear-txt.
	Value string `json:"value"`
}

// controlHandler serves the HTTP control API:
//
//	POST /set-txt   {"host": "_acme-challenge.example.com.", "value": "..."}
//	                adds a TXT value at host (AddTXT)
//	POST /clear-txt {"host": "_acme-challenge.example.com."}
//	                removes every TXT value at host (ClearTXT)
//
// Both answer 200 with an empty body on success, 400 for a malformed body
// and 405 for a method other than POST.
func (s *Server) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/set-txt", func(w http.ResponseWriter, r *http.Request) {
		req, ok := readTXTRequest(w, r, true)
		if ok {
			s.AddTXT(req.Host, req.Value)
		}
	})
	mux.HandleFunc("/clear-txt", func(w http.ResponseWriter, r *http.Request) {
		req, ok := readTXTRequest(w, r, false)
		if ok {
			s.ClearTXT(req.Host)
		}
	})
	return mux
}

// readTXTRequest decodes a control request, writing the error response and
// returning false if it is not acceptable.
func readTXTRequest(w http.ResponseWriter, r *http.Request, needValue bool) (txtRequest, bool) {
	var req txtRequest
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "testdns: method not allowed", http.StatusMethodNotAllowed)
		return req, false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	err := dec.Decode(&req)
	if err == nil && dec.Decode(new(json.RawMessage)) != io.EOF {
		err = errors.New("trailing data after JSON object")
	}
	if err == nil {
		err = checkTXTRequest(req, needValue)
	}
	if err != nil {
		http.Error(w, fmt.Sprintf("testdns: bad request: %v", err), http.StatusBadRequest)
		return req, false
	}
	return req, true
}

// checkTXTRequest rejects a request without a usable host or value.
func checkTXTRequest(req txtRequest, needValue bool) error {
	host := strings.TrimSuffix(strings.TrimSpace(req.Host), ".")
	switch {
	case host == "":
		return errors.New(`missing "host"`)
	case len(host) > 253 || strings.ContainsAny(host, " \t\r\n") || strings.Contains(host, ".."):
		return fmt.Errorf("invalid host %q", req.Host)
	case needValue && req.Value == "":
		return errors.New(`missing "value"`)
	case len(req.Value) > 4096:
		return errors.New(`"value" longer than 4096 bytes`)
	}
	return nil
}
