//go:build workshop_02 || workshop_duplicatekeys

//etcdwalk:exercise name=DuplicateKeys tag=workshop_duplicatekeys tests=^TestCheckIntervals

package v3rpc

import (
	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
)

// checkIntervals enforces etcd's rule that one branch of a txn writes each key at most once.
// Workshop exercise "DuplicateKeys": make `go test -tags workshop_duplicatekeys -run
// TestCheckIntervals ./etcdserver/api/v3rpc/` pass. The reference answer is intervals.go; etcd's
// is checkIntervals in server/etcdserver/api/v3rpc/key.go.
//
// It returns the keys the branch puts and the intervals it deletes, so that the enclosing txn can
// check its own operations against them; on a conflict, rpctypes.ErrGRPCDuplicateKey.
//
// TODO:
//  1. dels: one interval per DeleteRange of reqs: interval{key, ""} (to +infinity) when range_end
//     is "\x00", interval{key, range_end} when range_end is set, point(key) otherwise
//     (interval.go has the helpers).
//  2. For each nested txn: check its Success and Failure recursively (return their errors). Each
//     key put by either branch conflicts with a key already in puts, or with dels. Exception: a
//     key put by BOTH nested branches is fine (only one branch runs), so check putsElse against
//     puts only when the key is not in putsThen. Add the keys to puts. Then add the nested
//     deletes that overlap interval{"\x00", ""} to dels.
//  3. For each Put of reqs: its key conflicts with puts or dels; otherwise add it to puts.
func checkIntervals(reqs []*pb.RequestOp) (map[string]struct{}, intervals, error) {
	return nil, nil, nil
}
