//go:build !(workshop_02 || workshop_duplicatekeys)

package v3rpc

import (
	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/api/v3rpc/rpctypes"
)

// checkIntervals enforces etcd's rule that a txn branch writes each key at most once: no key put
// twice, and no key both put and inside a deleted range, counting nested txns. The two branches of
// a nested txn may write the same key (only one of them runs). It returns the branch's puts and
// deletes for the enclosing txn's check (etcd's key.go checkIntervals; etcd keeps the deletes in an
// interval tree, a list does for a txn of at most a few hundred operations). Workshop exercise
// "DuplicateKeys".
func checkIntervals(reqs []*pb.RequestOp) (map[string]struct{}, intervals, error) {
	var dels intervals
	for _, req := range reqs {
		d := req.GetRequestDeleteRange()
		if d == nil {
			continue
		}
		switch {
		case len(d.RangeEnd) == 1 && d.RangeEnd[0] == 0:
			// A from-key delete reaches every key >= key. etcd v3.6.16 takes "\x00" literally
			// here, so its interval is empty and a put after it passes, which crashes etcd or
			// loses the put at compaction (etcd-io/etcd#22376, #22445); the fix etcd-io/etcd#22395
			// refuses it, and so do we.
			dels = append(dels, interval{string(d.Key), ""})
		case len(d.RangeEnd) != 0:
			dels = append(dels, interval{string(d.Key), string(d.RangeEnd)})
		default:
			dels = append(dels, point(string(d.Key)))
		}
	}

	puts := make(map[string]struct{})
	for _, req := range reqs {
		t := req.GetRequestTxn()
		if t == nil {
			continue
		}
		putsThen, delsThen, err := checkIntervals(t.Success)
		if err != nil {
			return nil, dels, err
		}
		putsElse, delsElse, err := checkIntervals(t.Failure)
		if err != nil {
			return nil, dels, err
		}
		for k := range putsThen {
			if _, ok := puts[k]; ok || dels.intersects(point(k)) {
				return nil, dels, rpctypes.ErrGRPCDuplicateKey
			}
			puts[k] = struct{}{}
		}
		for k := range putsElse {
			if _, ok := puts[k]; ok {
				if _, sameNested := putsThen[k]; !sameNested {
					return nil, dels, rpctypes.ErrGRPCDuplicateKey
				}
			}
			if dels.intersects(point(k)) {
				return nil, dels, rpctypes.ErrGRPCDuplicateKey
			}
			puts[k] = struct{}{}
		}
		// etcd merges the nested deletes that fall within ["\x00", +inf): all but inverted ones.
		for _, iv := range append(delsThen, delsElse...) {
			if iv.overlaps(interval{"\x00", ""}) {
				dels = append(dels, iv)
			}
		}
	}

	for _, req := range reqs {
		p := req.GetRequestPut()
		if p == nil {
			continue
		}
		k := string(p.Key)
		if _, ok := puts[k]; ok || dels.intersects(point(k)) {
			return nil, dels, rpctypes.ErrGRPCDuplicateKey
		}
		puts[k] = struct{}{}
	}
	return puts, dels, nil
}
