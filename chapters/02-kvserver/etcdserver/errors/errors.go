package errors

import "errors"

var (
	ErrStopped                    = errors.New("etcdserver: server stopped")
	ErrTimeout                    = errors.New("etcdserver: request timed out")
	ErrTimeoutDueToLeaderFail     = errors.New("etcdserver: request timed out, possibly due to previous leader failure")
	ErrTimeoutDueToConnectionLost = errors.New("etcdserver: request timed out, possibly due to connection lost")
	ErrTimeoutWaitAppliedIndex    = errors.New("etcdserver: request timed out, waiting for the applied index took too long")
	ErrNotLeader                  = errors.New("etcdserver: not leader")
	ErrNoLeader                   = errors.New("etcdserver: no leader")
	ErrLeaderChanged              = errors.New("etcdserver: leader changed")
	ErrRequestTooLarge            = errors.New("etcdserver: request is too large")
	ErrNoSpace                    = errors.New("etcdserver: no space")
	ErrTooManyRequests            = errors.New("etcdserver: too many requests")
	ErrKeyNotFound                = errors.New("etcdserver: key not found")
	ErrCorrupt                    = errors.New("etcdserver: corrupt cluster")

	// ErrLeaseNotFound is the lessor's answer for an unknown lease ID.
	ErrLeaseNotFound = errors.New("lease not found")
)
