package traceutil

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
)

func TestTraceRecordsStepsInOrder(t *testing.T) {
	tr := New("put", Field{Key: "key", Value: "foo"})
	tr.Step("check put request")
	tr.Step("write to the store")
	tr.AddField(Field{Key: "response_revision", Value: 2})

	out := tr.String()
	lines := strings.Split(out, "\n")
	require.Len(t, lines, 3, "one header line and one line per step:\n%s", out)
	require.Contains(t, lines[0], "trace[put] key:foo response_revision:2")
	require.Contains(t, lines[0], "steps:2")
	require.Contains(t, lines[1], "step 1")
	require.Contains(t, lines[1], "check put request")
	require.Contains(t, lines[2], "write to the store")
}

func TestStepAtKeepsTimeOrder(t *testing.T) {
	tr := New("put")
	t0 := time.Now()
	tr.Step("proposed")
	tr.StepAt(t0, "checked")
	out := tr.String()
	require.Less(t, strings.Index(out, "checked"), strings.Index(out, "proposed"), "a step timed earlier is listed earlier:\n%s", out)
}

func TestNilTraceIsSilent(t *testing.T) {
	tr := Get(context.Background())
	require.True(t, tr.IsEmpty(), "a context without a trace yields the empty trace")
	require.NotPanics(t, func() {
		tr.Step("nothing")
		tr.AddField(Field{Key: "k", Value: 1})
		tr.Log(slog.Default())
	}, "code must be able to trace without checking whether tracing is on")
	require.Empty(t, tr.String())
}

func TestUnaryServerInterceptorLogsEveryRequest(t *testing.T) {
	var buf bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&buf, nil))
	icpt := UnaryServerInterceptor(lg)
	info := &grpc.UnaryServerInfo{FullMethod: "/etcdserverpb.KV/Put"}

	_, err := icpt(context.Background(), nil, info, func(ctx context.Context, _ any) (any, error) {
		Get(ctx).Step("inside the handler")
		return "ok", nil
	})
	require.NoError(t, err)
	require.Contains(t, buf.String(), "trace[/etcdserverpb.KV/Put]")
	require.Contains(t, buf.String(), "inside the handler", "the handler's steps reach the log")

	buf.Reset()
	_, err = icpt(context.Background(), nil, info, func(context.Context, any) (any, error) {
		return nil, errors.New("boom")
	})
	require.EqualError(t, err, "boom", "the interceptor passes errors through unchanged")
	require.Contains(t, buf.String(), "error:boom", "a failed request is logged with its error")
}

// TestMain fails the package if a test leaves a goroutine behind, e.g. an interceptor that kept one.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
