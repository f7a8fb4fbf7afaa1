package config

import (
	"errors"
	"flag"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Setting is one configurable field: where it comes from and what it means.
type Setting struct {
	Env     string // full variable name, NEWSFLOW_…
	Flag    string // flag name without dashes
	Default string
	Help    string
	Secret  bool
	Unit    string // "bytes" allows KiB/MiB/GiB suffixes
	Group   string // the Config field it belongs to, e.g. "Kafka"

	value reflect.Value
}

// Value returns the setting's current value as text, in the form Load
// accepts; secrets are shown as "<redacted>" when set.
func (s Setting) Value() string {
	v := format(s.value)
	if s.Secret && v != "" {
		return "<redacted>"
	}
	return v
}

// Type names the kind of value the setting takes.
func (s Setting) Type() string {
	switch s.value.Interface().(type) {
	case time.Duration:
		return "duration"
	case []string:
		return "list"
	case int64:
		if s.Unit == "bytes" {
			return "bytes"
		}
	}
	return s.value.Kind().String()
}

// Settings lists every setting of c in declaration order, bound to c's
// fields.
func Settings(c *Config) []Setting {
	var out []Setting
	v := reflect.ValueOf(c).Elem()
	for i := 0; i < v.NumField(); i++ {
		group := v.Type().Field(i)
		gv := v.Field(i)
		for j := 0; j < gv.NumField(); j++ {
			f := gv.Type().Field(j)
			env, ok := f.Tag.Lookup("env")
			if !ok {
				continue
			}
			out = append(out, Setting{
				Env:     EnvPrefix + env,
				Flag:    f.Tag.Get("flag"),
				Default: f.Tag.Get("default"),
				Help:    f.Tag.Get("help"),
				Secret:  f.Tag.Get("secret") == "true",
				Unit:    f.Tag.Get("unit"),
				Group:   group.Name,
				value:   gv.Field(j),
			})
		}
	}
	return out
}

// Name returns "NEWSFLOW_X (--x)" for the setting whose field field points
// to, for error messages.
func Name(c *Config, field any) string {
	p := reflect.ValueOf(field).Pointer()
	for _, s := range Settings(c) {
		if s.value.Addr().Pointer() == p {
			return fmt.Sprintf("%s (--%s)", s.Env, s.Flag)
		}
	}
	return "unknown setting"
}

// Default returns the configuration with every default applied.
func Default() *Config {
	c := &Config{}
	for _, s := range Settings(c) {
		if err := parse(s.value, s.Default, s.Unit); err != nil {
			// The defaults are constants of this file; a bad one is a bug
			// that the package tests catch.
			panic(fmt.Sprintf("config: default of %s: %v", s.Env, err))
		}
	}
	return c
}

// Load returns the configuration from defaults, then the environment
// (lookup is os.LookupEnv outside tests), then the flags in args. It
// registers every setting as a flag on fs, so a command adds its own flags
// to fs before calling Load. Errors name the variable or flag.
func Load(fs *flag.FlagSet, args []string, lookup func(string) (string, bool)) (*Config, error) {
	c := Default()
	var errs []error
	for _, s := range Settings(c) {
		if raw, ok := lookup(s.Env); ok {
			if err := parse(s.value, raw, s.Unit); err != nil {
				errs = append(errs, fmt.Errorf("%s: %v", s.Env, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, s := range Settings(c) {
		help := s.Help + " (env " + s.Env + ")"
		fs.Var(flagValue{s}, s.Flag, help)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return c, nil
}

// flagValue adapts a Setting to flag.Value.
type flagValue struct{ s Setting }

func (f flagValue) String() string {
	if !f.s.value.IsValid() {
		return ""
	}
	return f.s.Value()
}

func (f flagValue) Set(raw string) error { return parse(f.s.value, raw, f.s.Unit) }

func parse(v reflect.Value, raw string, unit string) error {
	raw = strings.TrimSpace(raw)
	switch v.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 30s or 5m", raw)
		}
		v.SetInt(int64(d))
		return nil
	case []string:
		var list []string
		for _, item := range strings.Split(raw, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		v.Set(reflect.ValueOf(list))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("%q is not true or false", raw)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		if unit == "bytes" {
			n, err := ParseBytes(raw)
			if err != nil {
				return err
			}
			v.SetInt(n)
			return nil
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", raw)
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", raw)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("unsupported setting type %s", v.Type())
	}
	return nil
}

func format(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case time.Duration:
		return x.String()
	case []string:
		return strings.Join(x, ",")
	}
	return fmt.Sprint(v.Interface())
}

// ParseBytes reads a size such as 10MiB, 512KiB, 1GiB or a plain number of
// bytes.
func ParseBytes(raw string) (int64, error) {
	s := strings.TrimSpace(raw)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size such as 10MiB or 1048576", raw)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is too large", raw)
	}
	return n * mult, nil
}
