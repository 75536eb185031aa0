package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDurationString(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{90 * time.Second, "1m30s"},
		{15 * time.Minute, "15m"},
		{168 * time.Hour, "168h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + time.Second, "1h0m1s"},
		{500 * time.Millisecond, "500ms"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := (Duration{tt.d}).String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			back, err := time.ParseDuration(tt.want)
			if err != nil || back != tt.d {
				t.Errorf("ParseDuration(%q) = %v, %v, want %v", tt.want, back, err, tt.d)
			}
		})
	}
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr string
	}{
		{"seconds", `"90s"`, 90 * time.Second, ""},
		{"compound", `"1h30m"`, 90 * time.Minute, ""},
		{"milliseconds", `"250ms"`, 250 * time.Millisecond, ""},
		{"number", `90`, 0, "want a duration string"},
		{"float", `1.5`, 0, "want a duration string"},
		{"no unit", `"90"`, 0, "is not a duration"},
		{"words", `"10 minutes"`, 0, "is not a duration"},
		{"empty", `""`, 0, "is not a duration"},
		{"bool", `true`, 0, "want a duration string"},
		{"null", `null`, 0, ""}, // encoding/json leaves the value alone
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Duration
			err := json.Unmarshal([]byte(tt.in), &d)
			if tt.wantErr == "" {
				if err != nil || d.Duration != tt.want {
					t.Errorf("got %v, %v, want %v", d, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDurationMarshal(t *testing.T) {
	b, err := json.Marshal(struct {
		D Duration `json:"d"`
	}{Duration{10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"d":"10s"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
