package config

import (
	"strings"
	"testing"
	"time"
)

func TestFederation_Validate(t *testing.T) {
	cases := []struct {
		name   string
		change func(f *Federation)
		want   string // substring of the error; "" for valid
	}{
		{name: "defaults", change: func(*Federation) {}},
		{name: "key algorithm", change: func(f *Federation) { f.KeyAlgorithm = "dsa" }, want: "fed.key_algorithm"},
		{name: "retry window", change: func(f *Federation) { f.RetryWindow = time.Second }, want: "fed.retry_window"},
		{name: "workers", change: func(f *Federation) { f.Workers = 0 }, want: "fed.workers"},
		{name: "inbox workers", change: func(f *Federation) { f.InboxWorkers = 0 }, want: "fed.inbox_workers"},
		{name: "retry base", change: func(f *Federation) { f.RetryBase = time.Millisecond }, want: "fed.retry_base"},
		{name: "retry max below base", change: func(f *Federation) { f.RetryMax = time.Second }, want: "fed.retry_max"},
		{name: "breaker threshold", change: func(f *Federation) { f.BreakerThreshold = 0 }, want: "fed.breaker_threshold"},
		{name: "breaker cooldown", change: func(f *Federation) { f.BreakerCooldown = 0 }, want: "fed.breaker_cooldown"},
		{name: "delivery timeout", change: func(f *Federation) { f.DeliveryTimeout = 0 }, want: "fed.delivery_timeout"},
		{name: "inbox body", change: func(f *Federation) { f.MaxInboxBody = 10 }, want: "fed.max_inbox_body"},
		{name: "rescan", change: func(f *Federation) { f.Rescan = 0 }, want: "fed.rescan"},
		{name: "blocked domains", change: func(f *Federation) { f.BlockedDomains = []string{"spam.example", "bad.social"} }},
		{name: "blocked URL", change: func(f *Federation) { f.BlockedDomains = []string{"https://spam.example/"} }, want: "fed.blocked_domains"},
		{name: "blocked upper case", change: func(f *Federation) { f.BlockedDomains = []string{"Spam.Example"} }, want: "fed.blocked_domains"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := DefaultFederation()
			tc.change(&f)
			err := f.Validate("fed")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error about %s, got %v", tc.want, err)
			}
		})
	}
}
