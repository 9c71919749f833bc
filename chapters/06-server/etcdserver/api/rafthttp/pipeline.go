package rafthttp

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

const (
	// connPerPipeline goroutines post to one peer at a time (etcd's 4).
	connPerPipeline = 4
	// pipelineBufSize messages wait for them (etcd's 64): the pipeline is for snapshots and the
	// time the stream is down, not for load.
	pipelineBufSize = 64
)

// pipeline posts one message per HTTP request to the peer's /raft (etcd's pipeline.go).
type pipeline struct {
	lg     *slog.Logger
	peerID uint64
	tr     *Transport
	picker *urlPicker
	status *peerStatus
	r      Reporter

	msgc chan raftpb.Message
	ctx  context.Context // cancelled by stop: in-flight posts end
	stop context.CancelFunc
	wg   sync.WaitGroup
}

func startPipeline(lg *slog.Logger, tr *Transport, peerID uint64, picker *urlPicker, status *peerStatus, r Reporter) *pipeline {
	p := &pipeline{lg: lg, peerID: peerID, tr: tr, picker: picker, status: status, r: r,
		msgc: make(chan raftpb.Message, pipelineBufSize)}
	p.ctx, p.stop = context.WithCancel(context.Background())
	p.wg.Add(connPerPipeline)
	for range connPerPipeline {
		go p.handle()
	}
	return p
}

func (p *pipeline) stopAndWait() {
	p.stop()
	p.wg.Wait()
}

func (p *pipeline) handle() {
	defer p.wg.Done()
	for {
		select {
		case m := <-p.msgc:
			b, err := m.Marshal()
			if err == nil {
				err = p.post(b)
			}
			if err != nil {
				if p.ctx.Err() != nil {
					return
				}
				p.status.deactivate(pipelineMsg, "write", err)
				p.r.ReportUnreachable(m.To)
				if isMsgSnap(m) {
					p.r.ReportSnapshot(m.To, raft.SnapshotFailure)
				}
				continue
			}
			p.status.activate()
			if isMsgSnap(m) {
				p.r.ReportSnapshot(m.To, raft.SnapshotFinish)
			}
		case <-p.ctx.Done():
			return
		}
	}
}

func (p *pipeline) post(data []byte) error {
	u := p.picker.pick()
	req, err := createPostRequest(p.ctx, u, RaftPrefix, bytes.NewReader(data), "application/protobuf", p.tr)
	if err != nil {
		return err
	}
	resp, err := p.tr.pipelineRt.RoundTrip(req)
	if err != nil {
		p.picker.unreachable(u)
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.picker.unreachable(u)
		return err
	}
	if err := checkPostResponse(resp, b, req); err != nil {
		p.picker.unreachable(u)
		return err
	}
	return nil
}
