package storage

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/01-rpc/etcdserver/api/membership"
	"etcdwalk/chapters/02-kvserver/storage/datadir"
	"etcdwalk/chapters/03-propose-wait/etcdserver"
	"etcdwalk/chapters/03-propose-wait/pkg/clustertest"
	"etcdwalk/chapters/03-propose-wait/transport"
	"etcdwalk/chapters/06-server/storage/wal"

	"github.com/stretchr/testify/require"
	"go.etcd.io/raft/v3/raftpb"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func put(t *testing.T, s *etcdserver.EtcdServer, k, v string) {
	t.Helper()
	_, err := s.Put(ctxT(t), &pb.PutRequest{Key: []byte(k), Value: []byte(v)})
	require.NoError(t, err)
}

func get(t *testing.T, s *etcdserver.EtcdServer, k string) string {
	t.Helper()
	r, err := s.Range(ctxT(t), &pb.RangeRequest{Key: []byte(k), Serializable: true})
	require.NoError(t, err)
	if len(r.Kvs) == 0 {
		return ""
	}
	return string(r.Kvs[0].Value)
}

// A chapter 03 member whose raft log is this package's WAL restarts from its data directory
// after a stop, as from a crash: it has what it had, catches up on what it missed, and applies
// nothing twice. Chapter 03 is unchanged: the WAL comes in through its StorageOpener seam.
func TestWALRestartsAChapter03Member(t *testing.T) {
	net := transport.NewNetwork()
	members := clustertest.Members(3, 43000)
	var servers []*etcdserver.EtcdServer
	var cfgs []etcdserver.ServerConfig
	for _, m := range members {
		cfg := etcdserver.ServerConfig{Name: m.Name, DataDir: t.TempDir(), Members: members, TickMs: 10, ElectionTicks: 10, RequestTimeout: 2 * time.Second}
		s, err := etcdserver.NewServer(cfg, net, etcdserver.WithStorage(Opener(nil, "")))
		require.NoError(t, err)
		servers, cfgs = append(servers, s), append(cfgs, cfg)
	}
	clustertest.Start(t, net, servers)
	lead := clustertest.Leader(t, servers)
	i := 0
	for servers[i] == lead {
		i++
	}
	f := servers[i]
	put(t, lead, "a", "1")
	require.Eventually(t, func() bool { return get(t, f, "a") == "1" }, 5*time.Second, time.Millisecond)
	require.FileExists(t, filepath.Join(datadir.ToWALDir(cfgs[i].DataDir), "0000000000000000-0000000000000000.wal"),
		"the member's raft log is a WAL in its data directory, named as etcd names it")

	net.Leave(f.ID())
	require.NoError(t, f.Stop())
	put(t, lead, "b", "2") // while f is down

	restarted, err := etcdserver.NewServer(cfgs[i], net, etcdserver.WithStorage(Opener(nil, "")))
	require.NoError(t, err, "a member with a WAL restarts on its data dir")
	servers[i] = restarted // clustertest.Start's cleanup stops it
	restarted.Start()
	require.Eventually(t, func() bool { return get(t, restarted, "b") == "2" }, 5*time.Second, time.Millisecond,
		"the restarted member catches up on what was written while it was down")
	require.Equal(t, "1", get(t, restarted, "a"), "and still has what it wrote to its WAL before")
	require.Eventually(t, func() bool { return restarted.Rev() == lead.Rev() }, 5*time.Second, time.Millisecond)
	require.Equal(t, int64(3), restarted.Rev(), "entries replayed from the WAL that the backend had applied are skipped")
	put(t, restarted, "c", "3")
}

// A new data directory gets a WAL, and a member with a WAL restarts from it.
func TestWALOpenerNewOrRestart(t *testing.T) {
	cfg := &etcdserver.ServerConfig{Name: "m1", DataDir: t.TempDir()}
	st, saved, err := Opener(nil, "")(cfg)
	require.NoError(t, err)
	require.False(t, saved.Exists, "a new data directory: nothing saved, the member starts new")
	require.NoError(t, st.Close())
	require.DirExists(t, datadir.ToSnapDir(cfg.DataDir))

	st, saved, err = Opener(nil, "")(cfg)
	require.NoError(t, err)
	require.True(t, saved.Exists, "a WAL exists: the member restarts, even before its first entry")
	require.NoError(t, st.Close())

}

// A member whose WAL has a corrupt record in the middle refuses to start, naming the file: the
// repair a torn tail gets would drop the acknowledged records after it.
func TestWALRepairRefusedForACorruptWALAtStart(t *testing.T) {
	cfg := &etcdserver.ServerConfig{Name: "m1", DataDir: t.TempDir()}
	st, _, err := Opener(nil, "")(cfg)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	// Twenty entries, then one byte flipped in the middle of the segment: records after it are
	// intact, so this is corruption, not a torn tail, and must not be cut away.
	w, err := wal.Open(datadir.ToWALDir(cfg.DataDir), wal.Snapshot{})
	require.NoError(t, err)
	_, _, _, err = w.ReadAll()
	require.NoError(t, err)
	var ents []raftpb.Entry
	for i := uint64(1); i <= 20; i++ {
		ents = append(ents, raftpb.Entry{Index: i, Term: 1, Data: []byte("some entry data of a put request")})
	}
	require.NoError(t, w.Save(raftpb.HardState{Term: 1, Commit: 20}, ents))
	require.NoError(t, w.Close())
	path := filepath.Join(datadir.ToWALDir(cfg.DataDir), "0000000000000000-0000000000000000.wal")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	// A byte of the tenth entry's data: covered by its CRC, and ten records follow it.
	at := 0
	for range 10 {
		i := bytes.Index(b[at:], []byte("some entry data"))
		require.GreaterOrEqual(t, i, 0)
		at += i + 1
	}
	b[at] ^= 0xff
	require.NoError(t, os.WriteFile(path, b, 0o600))
	_, _, err = Opener(nil, "")(cfg)
	require.ErrorContains(t, err, "0000000000000000-0000000000000000.wal",
		"a WAL with a corrupt record in the middle must not start a member, and the error names the file")
}

// A data dir is refused by a configuration of another member or another cluster: the WAL says
// whose it is.
func TestWALOpenerRefusesAnotherMembersDataDir(t *testing.T) {
	members := clustertest.Members(3, 43000)
	other := clustertest.Members(3, 44000)
	otherCluster := append([]membership.Member{members[0]}, other[1:]...)
	dir := t.TempDir()
	created := &etcdserver.ServerConfig{Name: members[0].Name, DataDir: dir, Members: members}
	st, _, err := Opener(nil, "")(created)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	tests := []struct {
		name    string
		cfg     *etcdserver.ServerConfig
		wantErr string
	}{
		{"the same member", created, ""},
		{"another member's name", &etcdserver.ServerConfig{Name: members[1].Name, DataDir: dir, Members: members},
			"belongs to member"},
		{"the same name in another cluster", &etcdserver.ServerConfig{Name: members[0].Name, DataDir: dir, Members: otherCluster},
			"belongs to cluster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, _, err := Opener(nil, "")(tt.cfg)
			if tt.wantErr == "" {
				require.NoError(t, err, "the member that created the WAL restarts from it")
				require.NoError(t, st.Close())
				return
			}
			require.ErrorContains(t, err, tt.wantErr, "a data dir of another member or cluster must not start this one")
		})
	}
}
