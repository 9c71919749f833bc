package traceutil

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// Field is a key/value attached to a trace, such as the key a Put wrote.
type Field struct {
	Key   string
	Value any
}

type step struct {
	at  time.Time
	msg string
}

// Trace is the record of one request. The zero of *Trace (nil) is a valid, silent trace, so code
// can always call Step without checking whether tracing is on.
type Trace struct {
	operation string
	start     time.Time

	mu     sync.Mutex // steps may be recorded from another goroutine (the apply loop, later on)
	fields []Field
	steps  []step
}

type traceKey struct{}

// New starts a trace for operation (the gRPC method, usually).
func New(operation string, fields ...Field) *Trace {
	return &Trace{operation: operation, start: time.Now(), fields: fields}
}

// WithTrace returns ctx carrying t.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// Get returns the trace carried by ctx, or nil (a silent trace) if there is none.
func Get(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

// IsEmpty reports whether t records nothing.
func (t *Trace) IsEmpty() bool { return t == nil }

// Step records that the request has just finished msg.
func (t *Trace) Step(msg string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.steps = append(t.steps, step{at: time.Now(), msg: msg})
	t.mu.Unlock()
}

// StepAt records that the request finished msg at time at, for steps another goroutine timed (the
// apply loop, from chapter 03 on). Steps are kept in time order.
func (t *Trace) StepAt(at time.Time, msg string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	i := len(t.steps)
	for i > 0 && t.steps[i-1].at.After(at) {
		i--
	}
	t.steps = append(t.steps, step{})
	copy(t.steps[i+1:], t.steps[i:])
	t.steps[i] = step{at: at, msg: msg}
}

// AddField attaches fields to the trace.
func (t *Trace) AddField(fields ...Field) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.fields = append(t.fields, fields...)
	t.mu.Unlock()
}

// String renders the trace: the operation, its fields and total duration, then one line per step
// with the time since the previous step.
func (t *Trace) String() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	total := time.Since(t.start)
	fmt.Fprintf(&b, "trace[%s]", t.operation)
	for _, f := range t.fields {
		fmt.Fprintf(&b, " %s:%v", f.Key, f.Value)
	}
	fmt.Fprintf(&b, " duration:%v steps:%d", total, len(t.steps))
	prev := t.start
	for i, s := range t.steps {
		fmt.Fprintf(&b, "\n  step %d  +%-12v %s", i+1, s.at.Sub(prev), s.msg)
		prev = s.at
	}
	return b.String()
}

// Log writes the trace to lg at info level.
func (t *Trace) Log(lg *slog.Logger) {
	if t == nil || lg == nil {
		return
	}
	lg.Info(t.String())
}

// UnaryServerInterceptor starts a trace for every unary RPC, puts it in the handler's context and
// logs it when the handler returns. Install it only when --trace is on.
func UnaryServerInterceptor(lg *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		t := New(info.FullMethod)
		resp, err := handler(WithTrace(ctx, t), req)
		if err != nil {
			t.AddField(Field{Key: "error", Value: err})
		}
		t.Log(lg)
		return resp, err
	}
}
