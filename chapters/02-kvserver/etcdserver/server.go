package etcdserver

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/pkg/traceutil"
	"etcdwalk/chapters/02-kvserver/etcdserver/errors"
	"etcdwalk/chapters/02-kvserver/etcdserver/txn"
	"etcdwalk/chapters/02-kvserver/storage/backend"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Defaults of etcd's flags (embed.DefaultMaxTxnOps, embed.DefaultMaxRequestBytes,
// storage.DefaultQuotaBytes).
const (
	DefaultMaxTxnOps       = 128
	DefaultMaxRequestBytes = 1536 * 1024
	DefaultQuotaBytes      = 2 << 30
)

// RaftKV is what kvServer needs from the server below it (etcd's v3_server.go RaftKV). Chapter 02
// implements it by applying at once; chapter 03 by proposing through raft.
type RaftKV interface {
	Range(ctx context.Context, r *pb.RangeRequest) (*pb.RangeResponse, error)
	Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error)
	DeleteRange(ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error)
	Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error)
	Compact(ctx context.Context, r *pb.CompactionRequest) (*pb.CompactionResponse, error)
}

// ServerConfig is the part of etcd's config.ServerConfig this chapter uses.
type ServerConfig struct {
	Name            string
	DataDir         string
	ClientURLs      []string
	MaxTxnOps       uint
	MaxRequestBytes uint
	// QuotaBackendBytes: 0 means DefaultQuotaBytes, negative means no quota (as etcd).
	QuotaBackendBytes int64
}

// BackendPath is where etcd keeps its bbolt file inside the data directory.
func (c *ServerConfig) BackendPath() string { return filepath.Join(c.DataDir, "member", "snap", "db") }

// EtcdServer serves KV requests for one member.
type EtcdServer struct {
	Cfg ServerConfig

	be        *backend.Backend
	kv        *mvcc.Store
	memberID  uint64
	clusterID uint64

	stopOnce sync.Once
}

// NewServer opens (or creates) the data directory and the store in it. Whatever was acknowledged
// before a crash is there again: the index is rebuilt from bbolt.
func NewServer(cfg ServerConfig) (*EtcdServer, error) {
	if cfg.MaxTxnOps == 0 {
		cfg.MaxTxnOps = DefaultMaxTxnOps
	}
	if cfg.MaxRequestBytes == 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.QuotaBackendBytes == 0 {
		cfg.QuotaBackendBytes = DefaultQuotaBytes
	}
	if err := os.MkdirAll(filepath.Dir(cfg.BackendPath()), 0o700); err != nil {
		return nil, fmt.Errorf("etcdserver: create data dir: %w", err)
	}
	be, err := backend.Open(cfg.BackendPath())
	if err != nil {
		return nil, err
	}
	kv, err := mvcc.New(be)
	if err != nil {
		be.Close()
		return nil, err
	}
	mid := memberID(cfg.ClientURLs, "etcd-cluster")
	return &EtcdServer{Cfg: cfg, be: be, kv: kv, memberID: mid, clusterID: clusterID(mid)}, nil
}

// memberID and clusterID derive IDs as etcd's membership package does (SHA-1 of the member's URLs
// and cluster token; SHA-1 of the sorted member IDs). With no peers yet, the client URLs stand in
// for the peer URLs.
func memberID(urls []string, token string) uint64 {
	sum := sha1.Sum([]byte(strings.Join(urls, "") + token))
	return binary.BigEndian.Uint64(sum[:8])
}

func clusterID(ids ...uint64) uint64 {
	b := make([]byte, 8*len(ids))
	for i, id := range ids {
		binary.BigEndian.PutUint64(b[8*i:], id)
	}
	sum := sha1.Sum(b)
	return binary.BigEndian.Uint64(sum[:8])
}

func (s *EtcdServer) MemberID() uint64  { return s.memberID }
func (s *EtcdServer) ClusterID() uint64 { return s.clusterID }
func (s *EtcdServer) KV() *mvcc.Store   { return s.kv }

// BackendSizer is the backend as the quota and Status see it.
type BackendSizer interface {
	Size() int64
	SizeInUse() int64
}

// Backend is the bbolt backend, as the gRPC layer sees it.
func (s *EtcdServer) Backend() BackendSizer { return s.be }

// Term is the raft term; there is no raft yet.
func (s *EtcdServer) Term() uint64 { return 0 }

// Rev is the store revision reads see, for response headers.
func (s *EtcdServer) Rev() int64 { return s.kv.Rev() }

// Limits returns --max-txn-ops, --max-request-bytes and --quota-backend-bytes.
func (s *EtcdServer) Limits() (uint, uint, int64) {
	return s.Cfg.MaxTxnOps, s.Cfg.MaxRequestBytes, s.Cfg.QuotaBackendBytes
}

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

func (s *EtcdServer) Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	if err := s.checkRequestSize(r); err != nil {
		return nil, err
	}
	return txn.Put(ctx, s.kv, r)
}

func (s *EtcdServer) DeleteRange(ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	if err := s.checkRequestSize(r); err != nil {
		return nil, err
	}
	return txn.DeleteRange(ctx, s.kv, r)
}

func (s *EtcdServer) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	// A txn that only reads does not go through raft in etcd either, so it has no size check.
	if !txn.IsTxnReadonly(r) {
		if err := s.checkRequestSize(r); err != nil {
			return nil, err
		}
	}
	return txn.Txn(ctx, s.kv, r)
}

// Compact compacts the store. With physical set it returns only once the compacted revisions are
// gone from bbolt too.
func (s *EtcdServer) Compact(ctx context.Context, r *pb.CompactionRequest) (*pb.CompactionResponse, error) {
	if err := s.checkRequestSize(r); err != nil {
		return nil, err
	}
	physc, err := s.kv.Compact(ctx, r.Revision)
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
