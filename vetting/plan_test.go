package vetting

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPlan(t *testing.T) {
	monthly := &Contract{Code: "1234567897", Plan: PlanMonthly, Slots: 2}
	license := &Contract{Code: "1234567897", Plan: PlanPerCertificate, Slots: 1}
	a, b, c := []string{"a.example.jp", "www.a.example.jp"}, []string{"b.example.jp"}, []string{"c.example.jp"}
	tests := []struct {
		name     string
		contract *Contract
		names    []string
		held     [][]string
		want     string // "" allowed, else a part of the refusal
	}{
		{"first set", monthly, a, nil, ""},
		{"second set", monthly, b, [][]string{a}, ""},
		{"third set", monthly, c, [][]string{a, b}, "2 of 2 certificates are in use, by [a.example.jp, www.a.example.jp], [b.example.jp]"},
		{"renewal of a held set", monthly, a, [][]string{a, b}, ""},
		{"a subset is a new set", monthly, []string{"a.example.jp"}, [][]string{a, b}, "monthly plan is full"},
		{"license", license, a, nil, ""},
		{"second license", license, b, [][]string{a}, "used all 1 of its licenses, for [a.example.jp, www.a.example.jp]"},
		{"zero slots means one", &Contract{Plan: PlanMonthly}, b, [][]string{a}, "1 of 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPlan(tt.contract, tt.names, tt.held)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want allowed", err)
				}
				return
			}
			var pe *PlanError
			if !errors.As(err, &pe) || !errors.Is(err, ErrInactive) || !strings.Contains(pe.ClientDetail(), tt.want) {
				t.Fatalf("got %v, want a *PlanError containing %q", err, tt.want)
			}
		})
	}
	if PlanCountsAll(monthly) || !PlanCountsAll(license) {
		t.Error("PlanCountsAll: a monthly plan counts sets in use, a license plan every set issued")
	}
}
