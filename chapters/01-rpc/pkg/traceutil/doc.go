// Package traceutil records the steps a request takes through the layers, with how long each took,
// and logs them when the request is done.
//
// Layer: cross-cutting; every chapter's --trace flag turns it on. Corresponds to etcd v3.6
// pkg/traceutil/trace.go: a Trace travels in the request's context, each layer calls Step, and the
// trace is logged at the end. etcd logs a trace only when the request was slower than a threshold
// (LogIfLong, 100ms by default); here, with --trace, every request is logged, because watching a
// fast request walk through the layers is the point.
//
// Left out: sub-traces, StepWithFunction and the threshold.
package traceutil
