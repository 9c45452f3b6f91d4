package main

import (
	"io"
	"slices"
	"testing"
)

// TestFlagsFirst: the flags of the command a line runs (with their
// values) move before its arguments, as urfave/cli v2 wants them; the rest
// stays as written.
func TestFlagsFirst(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"flags after the argument", []string{"twinfed", "country", "set-node", "IT", "--url", "https://it.example", "--agency", "Indire"},
			[]string{"twinfed", "country", "set-node", "--url", "https://it.example", "--agency", "Indire", "IT"}},
		{"already in order", []string{"twinfed", "country", "show", "-m", "http://r1", "IT"},
			[]string{"twinfed", "country", "show", "-m", "http://r1", "IT"}},
		{"a short alias and = values", []string{"twinfed", "country", "show", "IT", "-m", "http://r1", "--token=t"},
			[]string{"twinfed", "country", "show", "-m", "http://r1", "--token=t", "IT"}},
		{"a bool flag takes no value", []string{"twinfed", "registry", "serve", "x", "--bootstrap", "--data", "/d"},
			[]string{"twinfed", "registry", "serve", "--bootstrap", "--data", "/d", "x"}},
		{"everything after -- is an argument", []string{"twinfed", "labels", "show", "P", "--", "--member"},
			[]string{"twinfed", "labels", "show", "P", "--", "--member"}},
		{"an unknown command is left alone", []string{"twinfed", "nope", "IT", "--url", "x"},
			[]string{"twinfed", "nope", "IT", "--url", "x"}},
		{"help is left alone", []string{"twinfed", "help", "country"}, []string{"twinfed", "help", "country"}},
		{"a group without its subcommand", []string{"twinfed", "country"}, []string{"twinfed", "country"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := flagsFirst(app, tt.in); !slices.Equal(got, tt.want) {
				t.Fatalf("flagsFirst(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
