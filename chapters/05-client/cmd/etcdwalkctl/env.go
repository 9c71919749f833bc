package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// setPflagsFromEnv gives each flag of fs that the command line did not set the value of its
// environment variable (prefix_NAME, "-" as "_"), as etcd's pkg/flags.SetPflagsFromEnv does for
// etcdctl's global flags: ETCDCTL_ENDPOINTS, ETCDCTL_WRITE_OUT, ETCDCTL_DIAL_TIMEOUT, ... An
// empty variable counts as unset, and a value the flag refuses is ignored, as in etcdctl. Then
// every other prefix_ variable is warned about, and a variable that names a flag also given on
// the command line ends the program: etcdctl does not choose between the two.
func setPflagsFromEnv(lg *slog.Logger, prefix string, fs *pflag.FlagSet) {
	alreadySet := make(map[string]bool)
	used := make(map[string]bool)
	fs.VisitAll(func(f *pflag.Flag) {
		key := flagToEnv(prefix, f.Name)
		if f.Changed {
			alreadySet[key] = true
			return
		}
		if val := os.Getenv(key); val != "" {
			used[key] = true
			_ = fs.Set(f.Name, val)
		}
	})
	for _, env := range os.Environ() {
		key, _, _ := strings.Cut(env, "=")
		if used[key] {
			continue
		}
		if alreadySet[key] {
			lg.Log(context.Background(), levelFatal,
				"conflicting environment variable is shadowed by corresponding command-line flag (either unset environment variable or disable flag))",
				"environment-variable", key)
			exit(ExitError)
			return
		}
		if strings.HasPrefix(env, prefix+"_") {
			lg.Warn("unrecognized environment variable", "environment-variable", env)
		}
	}
}

// flagToEnv is the variable of a flag: ETCDCTL_DIAL_TIMEOUT for --dial-timeout.
func flagToEnv(prefix, name string) string {
	return prefix + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// levelFatal is zap's fatal level: the message is logged, then the program ends.
const levelFatal = slog.LevelError + 4

// newLogger is the logger of the program and of its client: one JSON object a line on w, info
// and above, with "level" first and zap's level names, as etcdctl's zap logger writes them, so
// that whoever filters etcdctl's log lines out of its stderr (lines that start with {"level":)
// filters these out too.
func newLogger(w io.Writer) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: slog.LevelInfo,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.Attr{} // written as "ts" after the message instead
			case slog.LevelKey:
				return slog.String(slog.LevelKey, zapLevel(a.Value.Any().(slog.Level)))
			}
			return a
		},
	})
	return slog.New(zapOrder{h})
}

func zapLevel(l slog.Level) string {
	switch {
	case l >= levelFatal:
		return "fatal"
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warn"
	case l >= slog.LevelInfo:
		return "info"
	}
	return "debug"
}

// zapOrder moves a record's time after its message, as "ts": slog's JSON handler would write it
// before the level.
type zapOrder struct{ slog.Handler }

func (h zapOrder) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(slog.String("ts", r.Time.Format(time.RFC3339Nano)))
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(a)
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h zapOrder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return zapOrder{h.Handler.WithAttrs(attrs)}
}

func (h zapOrder) WithGroup(name string) slog.Handler { return zapOrder{h.Handler.WithGroup(name)} }
