package acme

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
)

// ordersJSON is an orders list page (RFC 8555 §7.1.2.1).
type ordersJSON struct {
	Orders []string `json:"orders"`
}

// ordersList implements RFC 8555 §7.1.2.1: POST-as-GET of the account's
// orders, oldest first, s.ordersPageSize per page, with a Link rel="next"
// carrying ?cursor=<last id of the page> while more remain.
func (s *Server) ordersList(w http.ResponseWriter, r *http.Request) error {
	sr, err := s.verifyPOST(w, r, kidOnly)
	if err != nil {
		return err
	}
	if chi.URLParam(r, "id") != strconv.FormatInt(sr.account.ID, 10) {
		return notYours("orders list")
	}
	if !sr.postAsGet() {
		return malformed("the orders list is fetched with POST-as-GET (empty payload)")
	}
	var after int64
	if c := r.URL.Query().Get("cursor"); c != "" {
		var ok bool
		if after, ok = parseID(c); !ok {
			return malformed("invalid cursor %q", truncate(c, 32))
		}
	}
	ids, err := s.store.ListOrderIDs(r.Context(), sr.account.ID, after, s.ordersPageSize+1)
	if err != nil {
		return internal(err)
	}
	if len(ids) > s.ordersPageSize {
		ids = ids[:s.ordersPageSize]
		next := s.ordersURL(sr.account.ID) + "?cursor=" + strconv.FormatInt(ids[len(ids)-1], 10)
		w.Header().Add("Link", link(next, "next"))
	}
	out := ordersJSON{Orders: make([]string, len(ids))}
	for i, id := range ids {
		out.Orders[i] = s.orderURL(id)
	}
	return writeJSON(w, http.StatusOK, out)
}
