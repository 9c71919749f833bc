package serve

import (
	"errors"
	"flag"

	"etcdwalk/chapters/01-rpc/config"
)

// Limits are etcd's --quota-backend-bytes, --max-txn-ops and --max-request-bytes, with etcd's
// defaults; Parse checks them.
type Limits struct{ config.Limits }

// LimitFlags defines the limit flags on fs. Pass the result to Parse, then use its Limits.
func LimitFlags(fs *flag.FlagSet) *Limits {
	l := &Limits{}
	fs.Int64Var(&l.QuotaBackendBytes, "quota-backend-bytes", 0, "refuse writes once the backend would grow past this many bytes (0: 2 GiB, negative: no quota)")
	fs.UintVar(&l.MaxTxnOps, "max-txn-ops", config.DefaultMaxTxnOps, "maximum number of operations permitted in a transaction")
	fs.UintVar(&l.MaxRequestBytes, "max-request-bytes", config.DefaultMaxRequestBytes, "maximum client request size in bytes the server will accept")
	return l
}

// Check refuses limits that would refuse every request.
func (l *Limits) Check() error {
	if l.MaxTxnOps == 0 {
		return errors.New("--max-txn-ops must be at least 1")
	}
	if l.MaxRequestBytes == 0 {
		return errors.New("--max-request-bytes must be at least 1")
	}
	return nil
}
