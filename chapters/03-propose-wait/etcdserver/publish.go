package etcdserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	etcderr "etcdwalk/chapters/02-kvserver/etcdserver/errors"
	"etcdwalk/chapters/02-kvserver/storage/backend"
	irpb "etcdwalk/chapters/03-propose-wait/api/etcdserverpb"
)

// memberAttrs are the attributes members have published through raft (etcd's
// membership.Attributes, kept by RaftCluster): what Members reports over the initial cluster's
// peer URLs. Every member applies every publish, and keeps it in the backend's members bucket,
// so that a restart, or a snapshot received from the leader, brings them back.
type memberAttrs struct {
	mu    sync.RWMutex
	attrs map[uint64]attributes
}

// attributes is how a publish is kept in the members bucket (etcd keeps the whole member as
// JSON there; only the published half is needed here).
type attributes struct {
	Name       string   `json:"name"`
	ClientURLs []string `json:"clientURLs"`
}

// load reads the published attributes from be, replacing what was known.
func (ma *memberAttrs) load(be *backend.Backend) error {
	attrs := map[uint64]attributes{}
	err := be.View(func(tx *backend.ReadTx) error {
		var err error
		tx.ForEach(backend.Members, nil, nil, func(k, v []byte) bool {
			var id uint64
			var a attributes
			if id, err = strconv.ParseUint(string(k), 16, 64); err == nil {
				err = json.Unmarshal(v, &a)
			}
			if err != nil {
				err = fmt.Errorf("etcdserver: members bucket, key %q: %w", k, err)
				return false
			}
			attrs[id] = a
			return true
		})
		return err
	})
	if err != nil {
		return err
	}
	ma.mu.Lock()
	ma.attrs = attrs
	ma.mu.Unlock()
	return nil
}

func (ma *memberAttrs) get(id uint64) (attributes, bool) {
	ma.mu.RLock()
	defer ma.mu.RUnlock()
	a, ok := ma.attrs[id]
	return a, ok
}

// applyMemberAttrSet applies a publish (etcd's applierMembership.ClusterMemberAttrSet): a member
// that is not in the cluster is ignored, as etcd ignores a removed one.
func (s *EtcdServer) applyMemberAttrSet(r *irpb.ClusterMemberAttrSetRequest) error {
	known := false
	for _, m := range s.Cfg.Members {
		known = known || m.ID == r.Member_ID
	}
	if !known || r.MemberAttributes == nil {
		return nil
	}
	a := attributes{Name: r.MemberAttributes.Name, ClientURLs: r.MemberAttributes.ClientUrls}
	v, err := json.Marshal(a)
	if err != nil {
		return err
	}
	s.be.Lock()
	s.be.UnsafePut(backend.Members, []byte(strconv.FormatUint(r.Member_ID, 16)), v)
	s.be.Unlock()
	s.batch.bucketsChanged = true
	s.attrs.mu.Lock()
	if s.attrs.attrs == nil {
		s.attrs.attrs = map[uint64]attributes{}
	}
	s.attrs.attrs[r.Member_ID] = a
	s.attrs.mu.Unlock()
	return nil
}

// Publish proposes this member's name and clientURLs to the cluster, and retries until they are
// applied or ctx ends (etcd's EtcdServer.publishV3, which the server starts in the background
// and which closes ReadyNotify once it succeeds). Chapter 06 calls it at every start: its members
// know each other's peer URLs from --initial-cluster, and learn the client URLs this way.
func (s *EtcdServer) Publish(ctx context.Context, clientURLs []string) error {
	req := &irpb.InternalRaftRequest{ClusterMemberAttrSet: &irpb.ClusterMemberAttrSetRequest{
		Member_ID:        s.id,
		MemberAttributes: &irpb.Attributes{Name: s.Cfg.Name, ClientUrls: clientURLs},
	}}
	for {
		cctx, cancel := context.WithTimeout(ctx, s.Cfg.ReqTimeout())
		_, err := s.raftRequest(cctx, req)
		cancel()
		switch {
		case err == nil:
			s.lg.Info("published local member to cluster through raft", "member", s.Cfg.Name,
				"client-urls", clientURLs)
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, etcderr.ErrStopped):
			return err
		}
		s.lg.Warn("failed to publish local member to cluster through raft; retrying", "member", s.Cfg.Name, "error", err)
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return etcderr.ErrStopped
		}
	}
}
