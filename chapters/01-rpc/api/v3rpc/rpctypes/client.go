package rpctypes

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// EtcdError is an etcd error as a client sees it: the gRPC code and the message of one of the
// ErrGRPC* errors above, without the gRPC status around it (etcd's rpctypes.EtcdError).
type EtcdError struct {
	code codes.Code
	desc string
}

// Code is the gRPC code the server sent.
func (e EtcdError) Code() codes.Code { return e.code }

func (e EtcdError) Error() string { return e.desc }

// The errors a client compares what it got against, one per ErrGRPC* error.
var (
	ErrEmptyKey          = Error(ErrGRPCEmptyKey)
	ErrKeyNotFound       = Error(ErrGRPCKeyNotFound)
	ErrValueProvided     = Error(ErrGRPCValueProvided)
	ErrLeaseProvided     = Error(ErrGRPCLeaseProvided)
	ErrTooManyOps        = Error(ErrGRPCTooManyOps)
	ErrDuplicateKey      = Error(ErrGRPCDuplicateKey)
	ErrInvalidSortOption = Error(ErrGRPCInvalidSortOption)
	ErrRequestTooLarge   = Error(ErrGRPCRequestTooLarge)

	ErrCompacted = Error(ErrGRPCCompacted)
	ErrFutureRev = Error(ErrGRPCFutureRev)
	ErrNoSpace   = Error(ErrGRPCNoSpace)

	ErrLeaseNotFound = Error(ErrGRPCLeaseNotFound)

	ErrTooManyRequests            = Error(ErrGRPCRequestTooManyRequests)
	ErrNoLeader                   = Error(ErrGRPCNoLeader)
	ErrNotLeader                  = Error(ErrGRPCNotLeader)
	ErrLeaderChanged              = Error(ErrGRPCLeaderChanged)
	ErrStopped                    = Error(ErrGRPCStopped)
	ErrTimeout                    = Error(ErrGRPCTimeout)
	ErrTimeoutDueToLeaderFail     = Error(ErrGRPCTimeoutDueToLeaderFail)
	ErrTimeoutDueToConnectionLost = Error(ErrGRPCTimeoutDueToConnectionLost)
	ErrTimeoutWaitAppliedIndex    = Error(ErrGRPCTimeoutWaitAppliedIndex)
	ErrCorrupt                    = Error(ErrGRPCCorrupt)
	ErrCanceled                   = Error(ErrGRPCCanceled)
	ErrDeadlineExceeded           = Error(ErrGRPCDeadlineExceeded)
)

// byMessage finds the server error a message stands for. A client has only the message to go
// by: the code alone is shared by many errors (Unavailable: no leader, leader changed, timeout...).
var byMessage = func() map[string]error {
	m := map[string]error{}
	for _, err := range []error{
		ErrGRPCEmptyKey, ErrGRPCKeyNotFound, ErrGRPCValueProvided, ErrGRPCLeaseProvided,
		ErrGRPCTooManyOps, ErrGRPCDuplicateKey, ErrGRPCInvalidSortOption, ErrGRPCRequestTooLarge,
		ErrGRPCCompacted, ErrGRPCFutureRev, ErrGRPCNoSpace, ErrGRPCLeaseNotFound,
		ErrGRPCRequestTooManyRequests, ErrGRPCNoLeader, ErrGRPCNotLeader, ErrGRPCLeaderChanged,
		ErrGRPCStopped, ErrGRPCTimeout, ErrGRPCTimeoutDueToLeaderFail,
		ErrGRPCTimeoutDueToConnectionLost, ErrGRPCTimeoutWaitAppliedIndex, ErrGRPCCorrupt,
		ErrGRPCCanceled, ErrGRPCDeadlineExceeded,
	} {
		m[ErrorDesc(err)] = err
	}
	return m
}()

// Error turns a gRPC error whose message is one of etcd's into that EtcdError; any other error
// (a transport error, a context error) comes back unchanged (etcd's rpctypes.Error).
func Error(err error) error {
	if err == nil {
		return nil
	}
	known, ok := byMessage[ErrorDesc(err)]
	if !ok {
		return err
	}
	s := status.Convert(known)
	return EtcdError{code: s.Code(), desc: s.Message()}
}

// ErrorDesc is an error's message: the status message of a gRPC error, else its text.
func ErrorDesc(err error) string {
	if s, ok := status.FromError(err); ok {
		return s.Message()
	}
	return err.Error()
}
