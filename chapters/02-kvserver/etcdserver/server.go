package etcdserver

import (
	"context"
	stderrors "errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/config"
	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
	"etcdwalk/chapters/02-kvserver/etcdserver/api/v3alarm"
	"etcdwalk/chapters/02-kvserver/etcdserver/apply"
	"etcdwalk/chapters/02-kvserver/etcdserver/errors"
	"etcdwalk/chapters/02-kvserver/etcdserver/txn"
	"etcdwalk/chapters/02-kvserver/storage"
	"etcdwalk/chapters/02-kvserver/storage/backend"
	"etcdwalk/chapters/02-kvserver/storage/datadir"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// ServerConfig is the part of etcd's config.ServerConfig this chapter uses.
type ServerConfig struct {
	Name       string
	DataDir    string
	ClientURLs []string
	config.Limits
}

// EtcdServer serves KV requests for one member.
type EtcdServer struct {
	Cfg ServerConfig

	be        *backend.Backend
	kv        *mvcc.Store
	alarms    *v3alarm.AlarmStore
	applier   *apply.UberApplier
	memberID  uint64
	clusterID uint64

	stopOnce sync.Once
}

// NewServer opens (or creates) the data directory and the store in it. Whatever was acknowledged
// before a crash is there again: the index is rebuilt from bbolt.
func NewServer(cfg ServerConfig) (*EtcdServer, error) {
	cfg.Limits = cfg.Limits.WithDefaults()
	path := datadir.ToBackendFileName(cfg.DataDir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("etcdserver: create data dir: %w", err)
	}
	be, err := backend.Open(path)
	if err != nil {
		return nil, err
	}
	kv, err := mvcc.New(be)
	if err != nil {
		be.Close()
		return nil, err
	}
	alarms, err := v3alarm.NewAlarmStore(be)
	if err != nil {
		kv.Close()
		be.Close()
		return nil, err
	}
	// With no peers yet, the client URLs stand in for the peer URLs.
	mid := membership.ComputeMemberID(cfg.ClientURLs, "etcd-cluster")
	return &EtcdServer{
		Cfg: cfg, be: be, kv: kv, alarms: alarms,
		applier:  apply.NewUberApplier(kv, alarms, storage.NewBackendQuota(cfg.QuotaBackendBytes, be)),
		memberID: mid, clusterID: membership.ComputeClusterID([]uint64{mid}),
	}, nil
}

func (s *EtcdServer) MemberID() uint64  { return s.memberID }
func (s *EtcdServer) ClusterID() uint64 { return s.clusterID }
func (s *EtcdServer) KV() *mvcc.Store   { return s.kv }

// Backend is the bbolt backend, whose size the quota and Status report.
func (s *EtcdServer) Backend() *backend.Backend { return s.be }

// Term is the raft term; there is no raft yet.
func (s *EtcdServer) Term() uint64 { return 0 }

// Rev is the store revision reads see, for response headers.
func (s *EtcdServer) Rev() int64 { return s.kv.Rev() }

// Limits returns --max-txn-ops, --max-request-bytes and --quota-backend-bytes.
func (s *EtcdServer) Limits() config.Limits { return s.Cfg.Limits }

// Members lists the one member there is.
func (s *EtcdServer) Members() []*pb.Member {
	return []*pb.Member{{ID: s.memberID, Name: s.Cfg.Name, ClientURLs: s.Cfg.ClientURLs}}
}

// Status says what a Status response tells about this member: it leads itself, and there is no
// raft index.
func (s *EtcdServer) Status() *pb.StatusResponse {
	return &pb.StatusResponse{Leader: s.memberID}
}

// Stop stops compactions and closes the backend, committing what is pending.
func (s *EtcdServer) Stop() error {
	var err error
	s.stopOnce.Do(func() {
		s.kv.Close()
		err = s.be.Close()
	})
	return err
}

func (s *EtcdServer) Range(ctx context.Context, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	traceutil.Get(ctx).AddField(traceutil.Field{Key: "range_begin", Value: string(r.Key)}, traceutil.Field{Key: "range_end", Value: string(r.RangeEnd)})
	return txn.Range(ctx, s.kv, r)
}

// Put applies r through the applier chain: with NOSPACE raised it is refused.
func (s *EtcdServer) Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	if err := s.checkRequestSize(r); err != nil {
		return nil, err
	}
	resp, err := s.applier.Put(ctx, r)
	if err != nil {
		s.raiseNoSpace(ctx, err)
		return nil, err
	}
	return resp, nil
}

func (s *EtcdServer) DeleteRange(ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	if err := s.checkRequestSize(r); err != nil {
		return nil, err
	}
	return s.applier.DeleteRange(ctx, r)
}

func (s *EtcdServer) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	// A txn that only reads does not go through raft in etcd either, so it has no size check
	// and no applier: it is read like a Range, alarms or not.
	if txn.IsTxnReadonly(r) {
		return txn.Txn(ctx, s.kv, r)
	}
	if err := s.checkRequestSize(r); err != nil {
		return nil, err
	}
	resp, err := s.applier.Txn(ctx, r)
	if err != nil {
		s.raiseNoSpace(ctx, err)
		return nil, err
	}
	return resp, nil
}

// Compact compacts the store. With physical set it returns only once the compacted revisions are
// gone from bbolt too.
func (s *EtcdServer) Compact(ctx context.Context, r *pb.CompactionRequest) (*pb.CompactionResponse, error) {
	if err := s.checkRequestSize(r); err != nil {
		return nil, err
	}
	_, physc, err := s.applier.Compaction(ctx, r)
	if err != nil {
		return nil, err
	}
	if r.Physical {
		select {
		case <-physc:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return &pb.CompactionResponse{Header: &pb.ResponseHeader{Revision: s.kv.Rev()}}, nil
}

// raiseNoSpace raises this member's NOSPACE alarm when the applier answered ErrNoSpace and no
// NOSPACE alarm is raised yet, as etcd's applyEntryNormal does for an applied entry (etcd proposes
// the alarm through raft; here it is applied at once). The request itself is answered ErrNoSpace
// either way.
func (s *EtcdServer) raiseNoSpace(ctx context.Context, err error) {
	if !stderrors.Is(err, errors.ErrNoSpace) || len(s.alarms.Get(pb.AlarmType_NOSPACE)) > 0 {
		return
	}
	_, _ = s.Alarm(ctx, &pb.AlarmRequest{Action: pb.AlarmRequest_ACTIVATE, MemberID: s.memberID, Alarm: pb.AlarmType_NOSPACE})
}

// Alarm lists, raises or clears alarms (etcd's EtcdServer.Alarm, which goes through raft; here it
// is applied at once). A change is durable before Alarm returns: an alarm raised, or disarmed,
// is still so after a crash.
func (s *EtcdServer) Alarm(ctx context.Context, r *pb.AlarmRequest) (*pb.AlarmResponse, error) {
	resp, err := s.applier.Alarm(r)
	if err != nil {
		return nil, err
	}
	if r.Action != pb.AlarmRequest_GET {
		if err := s.be.WaitCommit(ctx); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// Alarms are the raised alarms, for Status (etcd's EtcdServer.Alarms).
func (s *EtcdServer) Alarms() []*pb.AlarmMember { return s.alarms.Get(pb.AlarmType_NONE) }

// Defragment gives the backend's free pages back to the file system (etcd's
// EtcdServer.Defragment). Writes and reads wait while it runs.
func (s *EtcdServer) Defragment() error { return s.be.Defrag() }

// checkRequestSize refuses writes larger than --max-request-bytes, as etcd's
// processInternalRaftRequestOnce does before proposing. etcd measures the raft entry: an
// InternalRaftRequest holding the request and a RequestHeader with the request ID. There is no
// raft entry here, so its size is computed: the request as a field of InternalRaftRequest plus the
// header with a full-size ID (etcd's IDs start with the member ID's low 16 bits, so theirs is
// usually as long; the limit then falls on the same byte).
func (s *EtcdServer) checkRequestSize(r proto.Message) error {
	if RaftEntrySize(r) > int(s.Cfg.MaxRequestBytes) {
		return errors.ErrRequestTooLarge
	}
	return nil
}

// RaftEntrySize is the size of the InternalRaftRequest etcd would propose for r.
func RaftEntrySize(r proto.Message) int {
	n := proto.Size(r)
	const header = 2 + 1 + 1 + 10 // field 100's tag, length, ID's tag, a 10-byte ID varint
	return 1 + protowire.SizeVarint(uint64(n)) + n + header
}
