package bench

import (
	"strings"
	"testing"
	"time"
)

func TestOptionsWithDefaults(t *testing.T) {
	valid := Options{DirectoryURL: "https://127.0.0.1:14000/dir", Concurrency: 4, Duration: time.Second}
	tests := []struct {
		name    string
		edit    func(*Options)
		wantErr string // "" for success
	}{
		{name: "valid", edit: func(*Options) {}},
		{name: "valid with EAB", edit: func(o *Options) { o.EABKeyID, o.EABHMACKey = "kid", "a2V5" }},
		{name: "no directory", edit: func(o *Options) { o.DirectoryURL = "" }, wantErr: "directory URL is required"},
		{name: "zero concurrency", edit: func(o *Options) { o.Concurrency = 0 }, wantErr: "concurrency"},
		{name: "huge concurrency", edit: func(o *Options) { o.Concurrency = maxConcurrency + 1 }, wantErr: "concurrency"},
		{name: "zero duration", edit: func(o *Options) { o.Duration = 0 }, wantErr: "duration"},
		{name: "negative warmup", edit: func(o *Options) { o.Warmup = -time.Second }, wantErr: "warmup"},
		{name: "negative names", edit: func(o *Options) { o.NamesPerOrder = -1 }, wantErr: "names per order"},
		{name: "too many names", edit: func(o *Options) { o.NamesPerOrder = maxNamesPerOrder + 1 }, wantErr: "names per order"},
		{name: "EAB key ID alone", edit: func(o *Options) { o.EABKeyID = "kid" }, wantErr: "EAB"},
		{name: "EAB key alone", edit: func(o *Options) { o.EABHMACKey = "a2V5" }, wantErr: "EAB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := valid
			tt.edit(&opts)
			got, err := opts.withDefaults()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "bench: ") {
					t.Fatalf("error: got %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.NamesPerOrder != 1 || got.Domain != defaultDomain || got.HTTPClient == nil {
				t.Errorf("defaults: got names %d domain %q client %v, want 1 %q non-nil", got.NamesPerOrder, got.Domain, got.HTTPClient, defaultDomain)
			}
		})
	}
}
