package v3alarm

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/02-kvserver/storage/backend"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func member(id uint64, at pb.AlarmType) *pb.AlarmMember {
	return &pb.AlarmMember{MemberID: id, Alarm: at}
}

// requireAlarms compares alarm lists by value.
func requireAlarms(t *testing.T, want, got []*pb.AlarmMember, msg string) {
	t.Helper()
	require.Len(t, got, len(want), msg)
	for i := range want {
		require.True(t, proto.Equal(want[i], got[i]), "%s: alarm %d is %v, want %v", msg, i, got[i], want[i])
	}
}

func TestAlarmStore(t *testing.T) {
	type step struct {
		do   func(a *AlarmStore) *pb.AlarmMember
		want *pb.AlarmMember // what the call returns
	}
	activate := func(id uint64, at pb.AlarmType) func(*AlarmStore) *pb.AlarmMember {
		return func(a *AlarmStore) *pb.AlarmMember { return a.Activate(id, at) }
	}
	deactivate := func(id uint64, at pb.AlarmType) func(*AlarmStore) *pb.AlarmMember {
		return func(a *AlarmStore) *pb.AlarmMember { return a.Deactivate(id, at) }
	}
	tests := []struct {
		name  string
		steps []step
		all   []*pb.AlarmMember // Get(NONE) afterwards, and again after a restart
		noSp  []*pb.AlarmMember // Get(NOSPACE)
	}{
		{"nothing raised", nil, nil, nil},
		{"one NOSPACE", []step{{activate(5, pb.AlarmType_NOSPACE), member(5, pb.AlarmType_NOSPACE)}},
			[]*pb.AlarmMember{member(5, pb.AlarmType_NOSPACE)}, []*pb.AlarmMember{member(5, pb.AlarmType_NOSPACE)}},
		{"raising twice keeps one", []step{
			{activate(5, pb.AlarmType_NOSPACE), member(5, pb.AlarmType_NOSPACE)},
			{activate(5, pb.AlarmType_NOSPACE), member(5, pb.AlarmType_NOSPACE)},
		}, []*pb.AlarmMember{member(5, pb.AlarmType_NOSPACE)}, []*pb.AlarmMember{member(5, pb.AlarmType_NOSPACE)}},
		{"NONE is no alarm", []step{{activate(5, pb.AlarmType_NONE), nil}, {activate(0, pb.AlarmType_NONE), nil}}, nil, nil},
		{"member 0 may raise one", []step{{activate(0, pb.AlarmType_NOSPACE), member(0, pb.AlarmType_NOSPACE)}},
			[]*pb.AlarmMember{member(0, pb.AlarmType_NOSPACE)}, []*pb.AlarmMember{member(0, pb.AlarmType_NOSPACE)}},
		{"sorted by type, then member", []step{
			{activate(9, pb.AlarmType_CORRUPT), member(9, pb.AlarmType_CORRUPT)},
			{activate(7, pb.AlarmType_NOSPACE), member(7, pb.AlarmType_NOSPACE)},
			{activate(3, pb.AlarmType_NOSPACE), member(3, pb.AlarmType_NOSPACE)},
			{activate(3, 7), member(3, 7)}, // a type this version does not know is kept, as etcd keeps it
		}, []*pb.AlarmMember{member(3, pb.AlarmType_NOSPACE), member(7, pb.AlarmType_NOSPACE), member(9, pb.AlarmType_CORRUPT), member(3, 7)},
			[]*pb.AlarmMember{member(3, pb.AlarmType_NOSPACE), member(7, pb.AlarmType_NOSPACE)}},
		{"disarm one of two", []step{
			{activate(3, pb.AlarmType_NOSPACE), member(3, pb.AlarmType_NOSPACE)},
			{activate(7, pb.AlarmType_NOSPACE), member(7, pb.AlarmType_NOSPACE)},
			{deactivate(3, pb.AlarmType_NOSPACE), member(3, pb.AlarmType_NOSPACE)},
		}, []*pb.AlarmMember{member(7, pb.AlarmType_NOSPACE)}, []*pb.AlarmMember{member(7, pb.AlarmType_NOSPACE)}},
		{"disarming what is not raised", []step{
			{activate(3, pb.AlarmType_NOSPACE), member(3, pb.AlarmType_NOSPACE)},
			{deactivate(4, pb.AlarmType_NOSPACE), nil},
			{deactivate(3, pb.AlarmType_CORRUPT), nil},
			{deactivate(3, pb.AlarmType_NONE), nil},
		}, []*pb.AlarmMember{member(3, pb.AlarmType_NOSPACE)}, []*pb.AlarmMember{member(3, pb.AlarmType_NOSPACE)}},
		{"raise, disarm, raise", []step{
			{activate(3, pb.AlarmType_NOSPACE), member(3, pb.AlarmType_NOSPACE)},
			{deactivate(3, pb.AlarmType_NOSPACE), member(3, pb.AlarmType_NOSPACE)},
			{activate(3, pb.AlarmType_NOSPACE), member(3, pb.AlarmType_NOSPACE)},
		}, []*pb.AlarmMember{member(3, pb.AlarmType_NOSPACE)}, []*pb.AlarmMember{member(3, pb.AlarmType_NOSPACE)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "db")
			be, err := backend.Open(path)
			require.NoError(t, err)
			a, err := NewAlarmStore(be)
			require.NoError(t, err)
			for i, st := range tt.steps {
				got := st.do(a)
				if st.want == nil {
					require.Nil(t, got, "step %d changes nothing and returns no alarm", i)
				} else {
					require.True(t, proto.Equal(st.want, got), "step %d returns %v, want %v", i, got, st.want)
				}
			}
			requireAlarms(t, tt.all, a.Get(pb.AlarmType_NONE), "Get(NONE) lists every alarm")
			requireAlarms(t, tt.noSp, a.Get(pb.AlarmType_NOSPACE), "Get(NOSPACE) lists only NOSPACE")

			// The store writes into the batch; once the caller has it committed, a restart
			// finds the same alarms (etcd's AlarmStore.restore).
			require.NoError(t, be.WaitCommit(context.Background()))
			require.NoError(t, be.Close())
			be, err = backend.Open(path)
			require.NoError(t, err)
			defer be.Close()
			a, err = NewAlarmStore(be)
			require.NoError(t, err)
			requireAlarms(t, tt.all, a.Get(pb.AlarmType_NONE), "after a restart the same alarms are raised")
		})
	}
}

func TestAlarmStoreGetReturnsCopies(t *testing.T) {
	be, err := backend.Open(filepath.Join(t.TempDir(), "db"))
	require.NoError(t, err)
	defer be.Close()
	a, err := NewAlarmStore(be)
	require.NoError(t, err)
	a.Activate(1, pb.AlarmType_NOSPACE).MemberID = 99
	a.Get(pb.AlarmType_NONE)[0].MemberID = 98
	requireAlarms(t, []*pb.AlarmMember{member(1, pb.AlarmType_NOSPACE)}, a.Get(pb.AlarmType_NONE),
		"a caller changing what it got (a response being filled in) does not change the store")
}

func TestAlarmStoreRefusesACorruptBucket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	be, err := backend.Open(path)
	require.NoError(t, err)
	be.Lock()
	be.UnsafePut(backend.Alarm, []byte{0xff}, nil) // not a marshaled AlarmMember
	be.Unlock()
	require.NoError(t, be.WaitCommit(context.Background()))
	defer be.Close()
	_, err = NewAlarmStore(be)
	require.ErrorContains(t, err, "v3alarm: restore alarm ff", "a key that is not an alarm is an error at start, not a panic")
}

// TestAlarmStoreRestoreTakesTheNewBackendsAlarms: a follower whose backend is replaced by a
// leader's snapshot has the leader's alarms, not its own.
func TestAlarmStoreRestoreTakesTheNewBackendsAlarms(t *testing.T) {
	dir := t.TempDir()
	leaderBE, err := backend.Open(filepath.Join(t.TempDir(), "db"))
	require.NoError(t, err)
	defer leaderBE.Close()
	leader, err := NewAlarmStore(leaderBE)
	require.NoError(t, err)
	leader.Activate(2, pb.AlarmType_NOSPACE)
	require.NoError(t, leaderBE.WaitCommit(context.Background()))

	be, err := backend.Open(filepath.Join(dir, "db"))
	require.NoError(t, err)
	defer be.Close()
	a, err := NewAlarmStore(be)
	require.NoError(t, err)
	a.Activate(1, pb.AlarmType_CORRUPT)
	require.NoError(t, be.WaitCommit(context.Background()))

	snap, err := leaderBE.Snapshot()
	require.NoError(t, err)
	path := filepath.Join(dir, "snap.db")
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = snap.WriteTo(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, snap.Close())
	require.NoError(t, be.ReplaceWith(path))

	require.NoError(t, a.Restore())
	requireAlarms(t, []*pb.AlarmMember{member(2, pb.AlarmType_NOSPACE)}, a.Get(pb.AlarmType_NONE),
		"after Restore the alarms are the new backend's only")
}
