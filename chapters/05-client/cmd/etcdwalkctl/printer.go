package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/dustin/go-humanize"
)

// printer prints the responses of the commands (etcd's ctlv3/command/printer.go, for the
// responses of the commands here).
type printer interface {
	Del(*clientv3.DeleteResponse)
	Get(*clientv3.GetResponse)
	Put(*clientv3.PutResponse)
	Txn(*clientv3.TxnResponse)
	MemberList(*clientv3.MemberListResponse)
	EndpointHealth([]epHealth)
	EndpointStatus([]epStatus)
}

// newPrinter is the printer of --write-out, or nil for a format etcdctl does not know. fields,
// json and protobuf print each response; table prints member list and the endpoint commands
// only, and refuses the rest, as etcdctl's does.
func newPrinter(format string, isHex bool, out, errOut io.Writer) printer {
	switch format {
	case "simple":
		return &simplePrinter{isHex: isHex, out: out, errOut: errOut}
	case "fields":
		return &fieldsPrinter{isHex: isHex, out: out}
	case "json":
		return &jsonPrinter{isHex: isHex, out: out, errOut: errOut}
	case "protobuf":
		return &pbPrinter{unsupported: unsupported("protobuf"), out: out, errOut: errOut}
	case "table":
		return &tablePrinter{unsupported: unsupported("table"), out: out}
	}
	return nil
}

// unsupported is a printer for none of the responses: each ends the program with "<format> not
// supported as output format". The table and protobuf printers embed it for the responses they
// do not print.
type unsupported string

func (u unsupported) fail() {
	exitWithError(ExitBadFeature, errors.New(string(u)+" not supported as output format"))
}

func (u unsupported) Del(*clientv3.DeleteResponse)            { u.fail() }
func (u unsupported) Get(*clientv3.GetResponse)               { u.fail() }
func (u unsupported) Put(*clientv3.PutResponse)               { u.fail() }
func (u unsupported) Txn(*clientv3.TxnResponse)               { u.fail() }
func (u unsupported) MemberList(*clientv3.MemberListResponse) { u.fail() }
func (u unsupported) EndpointHealth([]epHealth)               { u.fail() }
func (u unsupported) EndpointStatus([]epStatus)               { u.fail() }

// The rows of member list and endpoint status, for the simple and table formats.

func memberListTable(r *clientv3.MemberListResponse) (hdr []string, rows [][]string) {
	hdr = []string{"ID", "Status", "Name", "Peer Addrs", "Client Addrs", "Is Learner"}
	for _, m := range r.Members {
		status := "started"
		if m.Name == "" {
			status = "unstarted"
		}
		rows = append(rows, []string{
			fmt.Sprintf("%x", m.ID),
			status,
			m.Name,
			strings.Join(m.PeerURLs, ","),
			strings.Join(m.ClientURLs, ","),
			strconv.FormatBool(m.IsLearner),
		})
	}
	return hdr, rows
}

func endpointHealthTable(hs []epHealth) (hdr []string, rows [][]string) {
	hdr = []string{"endpoint", "health", "took", "error"}
	for _, h := range hs {
		rows = append(rows, []string{h.Ep, strconv.FormatBool(h.Health), h.Took, h.Error})
	}
	return hdr, rows
}

func endpointStatusTable(statusList []epStatus) (hdr []string, rows [][]string) {
	hdr = []string{
		"endpoint", "ID", "version", "storage version", "db size", "in use", "percentage not in use", "quota", "is leader", "is learner", "raft term",
		"raft index", "raft applied index", "errors", "downgrade target version", "downgrade enabled",
	}
	for _, st := range statusList {
		r := (*pb.StatusResponse)(st.Resp)
		rows = append(rows, []string{
			st.Ep,
			fmt.Sprintf("%x", r.GetHeader().GetMemberId()),
			r.Version,
			r.StorageVersion,
			humanize.Bytes(uint64(r.DbSize)),
			humanize.Bytes(uint64(r.DbSizeInUse)),
			notInUse(r.DbSize, r.DbSizeInUse),
			humanize.Bytes(uint64(r.DbSizeQuota)),
			strconv.FormatBool(r.Leader == r.GetHeader().GetMemberId()),
			strconv.FormatBool(r.IsLearner),
			strconv.FormatUint(r.RaftTerm, 10),
			strconv.FormatUint(r.RaftIndex, 10),
			strconv.FormatUint(r.RaftAppliedIndex, 10),
			strings.Join(r.Errors, ", "),
			r.GetDowngradeInfo().GetTargetVersion(),
			strconv.FormatBool(r.GetDowngradeInfo().GetEnabled()),
		})
	}
	return hdr, rows
}

// notInUse is the share of the database file not in use, in whole percent, as etcdctl computes
// it. etcdctl divides by the size unchecked; a member that reports a size of 0 gets "0%" here
// rather than a crash.
func notInUse(size, inUse int64) string {
	if size == 0 {
		return "0%"
	}
	return fmt.Sprintf("%d%%", 100-inUse*100/size)
}
