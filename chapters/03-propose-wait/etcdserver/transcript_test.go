package etcdserver

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	irpb "etcdwalk/chapters/03-propose-wait/api/etcdserverpb"
	"etcdwalk/chapters/03-propose-wait/transport"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// TestTranscript tells chapter 03's story in testdata/*.txt, one step at a time: the network
// holds every raft message until the transcript says "deliver", and nothing ticks, so every run
// prints the same messages in the same order. Rewrite the expected output after a change with
//
//	go test -run TestTranscript ./etcdserver/ -rewrite
func TestTranscript(t *testing.T) {
	paths, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			st := &story{t: t}
			defer st.stop()
			datadriven.RunTest(t, path, st.run)
		})
	}
}

// story is a three-member cluster, members 1, 2 and 3, on a network that holds messages.
type story struct {
	t       *testing.T
	net     *transport.Network
	members []*EtcdServer
	pending map[int]chan string // the answer of a request in flight, per member
	seen    []memberView
}

type memberView struct {
	lead, term, applied uint64
}

func (st *story) stop() {
	for _, s := range st.members {
		_ = s.Stop()
	}
	for _, c := range st.pending {
		<-c // every request ends: it was answered, or timed out, or its member stopped
	}
}

func (st *story) member(d *datadriven.TestData) (int, *EtcdServer) {
	var id int
	d.ScanArgs(st.t, "member", &id)
	require.True(st.t, id >= 1 && id <= len(st.members), "%s: no member %d", d.Pos, id)
	return id, st.members[id-1]
}

func (st *story) run(t *testing.T, d *datadriven.TestData) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out strings.Builder
	switch d.Cmd {
	case "start":
		st.start()
	case "campaign":
		_, s := st.member(d)
		require.NoError(t, s.r.Campaign(ctx))
	case "forget-leader":
		_, s := st.member(d)
		require.NoError(t, s.r.ForgetLeader(ctx))
	case "propose":
		id, s := st.member(d)
		var key, value string
		d.ScanArgs(t, "key", &key)
		d.ScanArgs(t, "value", &value)
		timeout := 30 * time.Second
		if d.HasArg("timeout") {
			var ts string
			d.ScanArgs(t, "timeout", &ts)
			var err error
			timeout, err = time.ParseDuration(ts)
			require.NoError(t, err)
		}
		st.propose(id, s, key, value, timeout)
	case "deliver":
		delivered, dropped := st.net.Deliver(ctx)
		for _, m := range delivered {
			fmt.Fprintf(&out, "delivered %s\n", describe(m))
		}
		for _, m := range dropped {
			fmt.Fprintf(&out, "dropped   %s\n", describe(m))
		}
	case "stabilize":
		for {
			st.settle()
			if held, _ := st.net.Held(); len(held) == 0 {
				break
			}
			st.net.Deliver(ctx)
		}
	case "tick":
		_, s := st.member(d)
		s.r.Tick()
	case "isolate":
		id, _ := st.member(d)
		st.net.Isolate(uint64(id))
	case "heal":
		st.net.Heal()
	case "wait":
		id, _ := st.member(d)
		c, ok := st.pending[id]
		require.True(t, ok, "%s: member %d has no request in flight", d.Pos, id)
		select {
		case answer := <-c:
			delete(st.pending, id)
			fmt.Fprintf(&out, "%d: %s\n", id, answer)
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: member %d's request never ended", d.Pos, id)
		}
	case "get":
		id, s := st.member(d)
		var key string
		d.ScanArgs(t, "key", &key)
		resp, err := s.Range(ctx, &pb.RangeRequest{Key: []byte(key), Serializable: true})
		require.NoError(t, err)
		val := "(none)"
		if len(resp.Kvs) > 0 {
			val = string(resp.Kvs[0].Value)
		}
		fmt.Fprintf(&out, "%d: %s=%s at revision %d\n", id, key, val, resp.Header.Revision)
	case "status":
		for i, s := range st.members {
			fmt.Fprintf(&out, "%d: term %d, leader %d, committed %d, applied %d, revision %d\n",
				i+1, s.Term(), s.Lead(), s.CommittedIndex(), s.AppliedIndex(), s.Rev())
		}
		return out.String()
	default:
		t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
	}
	st.settle()
	st.report(&out)
	return out.String()
}

func (st *story) start() {
	var members []membership.Member
	for id := uint64(1); id <= 3; id++ {
		members = append(members, membership.Member{ID: id, Name: fmt.Sprintf("m%d", id)})
	}
	st.net = transport.NewNetwork()
	st.net.Hold()
	st.pending = map[int]chan string{}
	for _, m := range members {
		// No tick happens in a transcript (a tick every 1000 s): elections and timeouts come only
		// from its commands, so every run is the same.
		cfg := ServerConfig{Name: m.Name, DataDir: st.t.TempDir(), Members: members, TickMs: 1_000_000, ElectionTicks: 10,
			RequestTimeout: time.Minute}
		s, err := NewServer(cfg, st.net)
		require.NoError(st.t, err)
		st.members = append(st.members, s)
	}
	st.seen = make([]memberView, len(st.members))
	for _, s := range st.members {
		s.Start()
	}
}

func (st *story) propose(id int, s *EtcdServer, key, value string, timeout time.Duration) {
	c := make(chan string, 1)
	st.pending[id] = c
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		resp, err := s.Put(ctx, &pb.PutRequest{Key: []byte(key), Value: []byte(value)})
		if err != nil {
			c <- "put answered with an error: " + err.Error()
			return
		}
		c <- fmt.Sprintf("put answered: revision %d", resp.Header.Revision)
	}()
}

// settle waits until the members have done everything the last step caused: no member has an
// entry committed but not applied, and for 200 ms no message was sent and no state changed.
func (st *story) settle() {
	deadline := time.Now().Add(10 * time.Second)
	last, since := "", time.Now()
	for time.Now().Before(deadline) {
		held, sends := st.net.Held()
		snap := fmt.Sprint(len(held), sends)
		busy := false
		for _, s := range st.members {
			snap += fmt.Sprint(" ", s.Lead(), s.Term(), s.CommittedIndex(), s.AppliedIndex())
			busy = busy || s.CommittedIndex() != s.AppliedIndex()
		}
		if snap != last || busy {
			last, since = snap, time.Now()
		} else if time.Since(since) >= 200*time.Millisecond {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	st.t.Fatal("the cluster did not settle within 10 s")
}

// report says what changed since the last step, and which messages are now in flight.
func (st *story) report(out *strings.Builder) {
	for i, s := range st.members {
		now := memberView{lead: s.Lead(), term: s.Term(), applied: s.AppliedIndex()}
		was := st.seen[i]
		if now.lead != was.lead || now.term != was.term {
			switch now.lead {
			case raft.None:
				fmt.Fprintf(out, "%d: term %d, no leader\n", i+1, now.term)
			case s.ID():
				fmt.Fprintf(out, "%d: term %d, leads\n", i+1, now.term)
			default:
				fmt.Fprintf(out, "%d: term %d, follows %d\n", i+1, now.term, now.lead)
			}
		}
		if now.applied != was.applied {
			fmt.Fprintf(out, "%d: applied up to index %d, revision %d\n", i+1, now.applied, s.Rev())
		}
		st.seen[i] = now
	}
	for id, c := range st.pending {
		select {
		case answer := <-c:
			delete(st.pending, id)
			fmt.Fprintf(out, "%d: %s\n", id, answer)
		default:
		}
	}
	held, _ := st.net.Held()
	for _, m := range held {
		fmt.Fprintf(out, "in flight %s\n", describe(m))
	}
}

func describe(m raftpb.Message) string { return raft.DescribeMessage(m, describeData) }

// describeData shows an entry's request without its request ID, which changes from run to run.
func describeData(data []byte) string {
	if len(data) == 0 {
		return "(empty: a new leader's first entry)"
	}
	var r irpb.InternalRaftRequest
	if err := proto.Unmarshal(data, &r); err != nil {
		return fmt.Sprintf("%q", data)
	}
	switch {
	case r.Put != nil:
		return fmt.Sprintf("put %s=%s", r.Put.Key, r.Put.Value)
	case r.DeleteRange != nil:
		return fmt.Sprintf("delete %s", r.DeleteRange.Key)
	case r.Txn != nil:
		return "txn"
	case r.Compaction != nil:
		return fmt.Sprintf("compact %d", r.Compaction.Revision)
	default:
		return "request"
	}
}
