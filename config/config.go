// Package config holds Twinfed's typed configuration: one struct per process
// kind (Registry, Node), each with Default, a TOML loader, TWINFED_*
// environment overrides and Validate, whose messages say which key is wrong
// and what it accepts. There are no globals: cmd/twinfed loads a value and
// passes it down.
//
// Precedence, lowest first: defaults, the TOML file, TWINFED_* environment
// variables, command-line flags (applied by cmd/twinfed after Load).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Validator is a configuration that can check itself.
type Validator interface {
	Validate() error
}

// Load fills dst (a pointer to a struct already holding its defaults) from
// the TOML file at path (skipped when path is ""), then from the environment
// variables named by envPrefix and each key's path (TWINFED_HTTP_ADDR for
// [http] addr), and validates it. Unknown keys in the file are an error, so
// that a typo does not silently keep a default.
func Load(path string, dst Validator) error {
	return LoadEnv(path, dst, os.Environ())
}

// LoadEnv is Load with an explicit environment (KEY=VALUE strings), for tests.
func LoadEnv(path string, dst Validator, environ []string) error {
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("config: read %s: %w", path, err)
		}
		md, err := toml.NewDecoder(bytes.NewReader(raw)).Decode(dst)
		if err != nil {
			var perr toml.ParseError
			if errors.As(err, &perr) {
				return fmt.Errorf("config: %s: %s", path, perr.ErrorWithPosition())
			}
			return fmt.Errorf("config: %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return fmt.Errorf("config: %s: unknown key(s) %s; check the spelling against the example configs in deploy/", path, strings.Join(keys, ", "))
		}
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "TWINFED_") {
			env[k] = v
		}
	}
	if err := applyEnv(reflect.ValueOf(dst).Elem(), "TWINFED", env); err != nil {
		return err
	}
	if err := dst.Validate(); err != nil {
		if path != "" {
			return fmt.Errorf("config %s: %w", path, err)
		}
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

var durationType = reflect.TypeOf(time.Duration(0))

// applyEnv walks the struct v and sets each field whose variable is in env.
func applyEnv(v reflect.Value, prefix string, env map[string]string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Tag.Get("toml")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		name, _, _ = strings.Cut(name, ",")
		key := prefix + "_" + strings.ToUpper(name)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != durationType {
			if err := applyEnv(fv, key, env); err != nil {
				return err
			}
			continue
		}
		s, ok := env[key]
		if !ok {
			continue
		}
		if err := setFromString(fv, s); err != nil {
			return fmt.Errorf("config: environment %s=%q: %w", key, s, err)
		}
	}
	return nil
}

func setFromString(fv reflect.Value, s string) error {
	if fv.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration such as 30s or 5m")
		}
		fv.SetInt(int64(d))
		return nil
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		fv.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number")
		}
		fv.SetInt(n)
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number ≥ 0")
		}
		fv.SetUint(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number")
		}
		fv.SetFloat(n)
	case reflect.Slice:
		if fv.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("this key cannot be set from the environment; use the config file")
		}
		// The elements may be a named string type (twinfed.Institution).
		parts := reflect.MakeSlice(fv.Type(), 0, 4)
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = reflect.Append(parts, reflect.ValueOf(p).Convert(fv.Type().Elem()))
			}
		}
		fv.Set(parts)
	default:
		return fmt.Errorf("this key cannot be set from the environment; use the config file")
	}
	return nil
}

// Problems collects validation messages, one per wrong key, and turns them
// into one error that lists them all, so that an operator fixes a file in one
// pass.
type Problems struct {
	list []string
}

// Addf records a problem: key is the TOML key path, the message says what is
// wrong and what is accepted.
func (p *Problems) Addf(key, format string, args ...any) {
	p.list = append(p.list, key+": "+fmt.Sprintf(format, args...))
}

// Err returns nil when there is no problem.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	sort.Strings(p.list)
	return errors.New("invalid configuration:\n  " + strings.Join(p.list, "\n  "))
}
