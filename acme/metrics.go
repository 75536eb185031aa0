package acme

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus collectors. They always exist;
// they are registered only when Options.Registerer is set.
type metrics struct {
	requests    *prometheus.CounterVec
	issuanceDur *prometheus.HistogramVec
	validations *prometheus.CounterVec
}

// newMetrics creates the collectors and registers them with reg (if not
// nil).
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kakuin", Subsystem: "acme", Name: "requests_total",
			Help: "ACME requests by route pattern and HTTP status code.",
		}, []string{"route", "code"}),
		issuanceDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "kakuin", Subsystem: "acme", Name: "issuance_duration_seconds",
			Help:    "Time to sign and store a certificate at finalize, by profile and result.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}, []string{"profile", "result"}),
		validations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kakuin", Subsystem: "acme", Name: "validations_total",
			Help: "Challenge validations by challenge type and result (valid or the RFC 8555 error type).",
		}, []string{"type", "result"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.issuanceDur, m.validations} {
		if err := reg.Register(c); err != nil {
			return nil, errors.Join(errors.New("acme: register metrics"), err)
		}
	}
	return m, nil
}

// request counts one request by route pattern and status code.
func (m *metrics) request(route string, code int) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
}

// issuance observes the time to sign and store one certificate.
func (m *metrics) issuance(profile string, ok bool, d time.Duration) {
	result := "ok"
	if !ok {
		result = "error"
	}
	m.issuanceDur.WithLabelValues(profile, result).Observe(d.Seconds())
}

// validation counts one challenge validation result.
func (m *metrics) validation(typ, result string) {
	m.validations.WithLabelValues(typ, result).Inc()
}
