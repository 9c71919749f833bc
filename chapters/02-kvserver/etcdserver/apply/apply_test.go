package apply

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	"etcdwalk/chapters/02-kvserver/etcdserver/api/v3alarm"
	"etcdwalk/chapters/02-kvserver/etcdserver/errors"
	"etcdwalk/chapters/02-kvserver/storage"
	"etcdwalk/chapters/02-kvserver/storage/backend"
	"etcdwalk/chapters/02-kvserver/storage/mvcc"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sizer is a backend size the test sets, for the quota applier.
type sizer struct{ n int64 }

func (s *sizer) Size() int64 { return s.n }

type fixture struct {
	kv     *mvcc.Store
	be     *backend.Backend
	alarms *v3alarm.AlarmStore
	a      *UberApplier
	size   *sizer
	path   string
}

// open opens (or reopens) the store, its alarms and an applier with a quota of 10000 bytes.
func open(t *testing.T, path string) *fixture {
	t.Helper()
	be, err := backend.Open(path)
	require.NoError(t, err)
	kv, err := mvcc.New(be)
	require.NoError(t, err)
	alarms, err := v3alarm.NewAlarmStore(be)
	require.NoError(t, err)
	size := &sizer{}
	f := &fixture{kv: kv, be: be, alarms: alarms, size: size, path: path,
		a: NewUberApplier(kv, alarms, storage.NewBackendQuota(10000, size))}
	t.Cleanup(f.close)
	return f
}

func (f *fixture) close() {
	if f.kv != nil {
		f.kv.Close()
		_ = f.be.Close()
		f.kv = nil
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func alarm(action pb.AlarmRequest_AlarmAction, at pb.AlarmType) *pb.AlarmRequest {
	return &pb.AlarmRequest{Action: action, MemberID: 1, Alarm: at}
}

func op(r any) *pb.RequestOp {
	switch r := r.(type) {
	case *pb.PutRequest:
		return &pb.RequestOp{Request: &pb.RequestOp_RequestPut{RequestPut: r}}
	case *pb.DeleteRangeRequest:
		return &pb.RequestOp{Request: &pb.RequestOp_RequestDeleteRange{RequestDeleteRange: r}}
	case *pb.RangeRequest:
		return &pb.RequestOp{Request: &pb.RequestOp_RequestRange{RequestRange: r}}
	default:
		return &pb.RequestOp{Request: &pb.RequestOp_RequestTxn{RequestTxn: r.(*pb.TxnRequest)}}
	}
}

// TestAppliersUnderAlarms applies every kind of write with no alarm, with NOSPACE and with
// CORRUPT raised: what etcd's applier chain lets through in each state.
func TestAppliersUnderAlarms(t *testing.T) {
	put := &pb.PutRequest{Key: []byte("k"), Value: []byte("v")}
	requests := []struct {
		name  string
		apply func(*testing.T, *UberApplier) error
		// the answer with no alarm, with NOSPACE raised, with CORRUPT raised
		none, nospace, corrupt error
	}{
		{"put", func(t *testing.T, a *UberApplier) error { _, err := a.Put(ctx(t), put); return err },
			nil, errors.ErrNoSpace, errors.ErrCorrupt},
		{"delete", func(t *testing.T, a *UberApplier) error {
			_, err := a.DeleteRange(ctx(t), &pb.DeleteRangeRequest{Key: []byte("k")})
			return err
		}, nil, nil, errors.ErrCorrupt},
		{"txn that puts", func(t *testing.T, a *UberApplier) error {
			_, err := a.Txn(ctx(t), &pb.TxnRequest{Success: []*pb.RequestOp{op(put)}})
			return err
		}, nil, errors.ErrNoSpace, errors.ErrCorrupt},
		{"txn that puts only in its failure branch", func(t *testing.T, a *UberApplier) error {
			_, err := a.Txn(ctx(t), &pb.TxnRequest{Failure: []*pb.RequestOp{op(put)}})
			return err
		}, nil, errors.ErrNoSpace, errors.ErrCorrupt},
		{"txn with a put in a nested txn", func(t *testing.T, a *UberApplier) error {
			_, err := a.Txn(ctx(t), &pb.TxnRequest{Success: []*pb.RequestOp{op(&pb.TxnRequest{Success: []*pb.RequestOp{op(put)}})}})
			return err
		}, nil, errors.ErrNoSpace, errors.ErrCorrupt},
		{"txn that deletes and reads", func(t *testing.T, a *UberApplier) error {
			_, err := a.Txn(ctx(t), &pb.TxnRequest{Success: []*pb.RequestOp{op(&pb.DeleteRangeRequest{Key: []byte("k")}), op(&pb.RangeRequest{Key: []byte("k")})}})
			return err
		}, nil, nil, errors.ErrCorrupt},
		{"compaction", func(t *testing.T, a *UberApplier) error {
			_, _, err := a.Compaction(ctx(t), &pb.CompactionRequest{Revision: 1})
			return err
		}, nil, nil, errors.ErrCorrupt},
		{"alarm list", func(t *testing.T, a *UberApplier) error {
			_, err := a.Alarm(alarm(pb.AlarmRequest_GET, pb.AlarmType_NONE))
			return err
		}, nil, nil, nil},
	}
	states := []struct {
		name  string
		raise pb.AlarmType
		want  func(i int) error
	}{
		{"no alarm", pb.AlarmType_NONE, func(i int) error { return requests[i].none }},
		{"NOSPACE", pb.AlarmType_NOSPACE, func(i int) error { return requests[i].nospace }},
		{"CORRUPT", pb.AlarmType_CORRUPT, func(i int) error { return requests[i].corrupt }},
	}
	for _, st := range states {
		for i, rq := range requests {
			t.Run(st.name+"/"+rq.name, func(t *testing.T) {
				f := open(t, filepath.Join(t.TempDir(), "db"))
				_, err := f.a.Put(ctx(t), put) // revision 2, so that compacting at 1 is possible
				require.NoError(t, err)
				if st.raise != pb.AlarmType_NONE {
					_, err := f.a.Alarm(alarm(pb.AlarmRequest_ACTIVATE, st.raise))
					require.NoError(t, err)
				}
				require.ErrorIs(t, rq.apply(t, f.a), st.want(i), "%s with %s raised: etcd's answer", rq.name, st.name)
			})
		}
	}
}

// TestCappedUntilDisarmedEvenAcrossRestarts: NOSPACE caps the applier from the moment it is
// applied, the cap holds after a restart (the chain is rebuilt from the alarm bucket), and
// disarming lifts it.
func TestCappedUntilDisarmedEvenAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	f := open(t, path)
	put := &pb.PutRequest{Key: []byte("k"), Value: []byte("v")}
	resp, err := f.a.Alarm(alarm(pb.AlarmRequest_ACTIVATE, pb.AlarmType_NOSPACE))
	require.NoError(t, err)
	require.Len(t, resp.Alarms, 1, "ACTIVATE answers with the alarm it raised")
	_, err = f.a.Put(ctx(t), put)
	require.ErrorIs(t, err, errors.ErrNoSpace, "NOSPACE refuses a put that fits the quota: the store is capped")

	require.NoError(t, f.be.WaitCommit(ctx(t)))
	f.close()
	f = open(t, path)
	_, err = f.a.Put(ctx(t), put)
	require.ErrorIs(t, err, errors.ErrNoSpace, "after a restart the alarm is still raised and the applier still capped")

	resp, err = f.a.Alarm(alarm(pb.AlarmRequest_DEACTIVATE, pb.AlarmType_NOSPACE))
	require.NoError(t, err)
	require.Len(t, resp.Alarms, 1, "DEACTIVATE answers with the alarm it cleared")
	_, err = f.a.Put(ctx(t), put)
	require.NoError(t, err, "disarmed: puts are applied again")

	resp, err = f.a.Alarm(alarm(pb.AlarmRequest_DEACTIVATE, pb.AlarmType_NOSPACE))
	require.NoError(t, err)
	require.Empty(t, resp.Alarms, "disarming again clears nothing and answers with no alarm")
	resp, err = f.a.Alarm(alarm(pb.AlarmRequest_ACTIVATE, pb.AlarmType_NONE))
	require.NoError(t, err)
	require.Empty(t, resp.Alarms, "ACTIVATE of NONE raises nothing (etcd-io/etcd#13084)")
	resp, err = f.a.Alarm(&pb.AlarmRequest{Action: 3})
	require.NoError(t, err)
	require.Empty(t, resp.Alarms, "an action the applier does not know changes nothing")
}

// TestQuotaAppliesThenRefuses: a put that no longer fits when it is applied is applied anyway and
// answered ErrNoSpace, as etcd's quotaApplierV3 does; the server raises the alarm on that answer.
func TestQuotaAppliesThenRefuses(t *testing.T) {
	f := open(t, filepath.Join(t.TempDir(), "db"))
	f.size.n = 10000 - 256 - 2 // "k"+"v" and the overhead no longer fit under 10000
	_, err := f.a.Put(ctx(t), &pb.PutRequest{Key: []byte("k"), Value: []byte("v")})
	require.ErrorIs(t, err, errors.ErrNoSpace)
	_, err = f.a.Txn(ctx(t), &pb.TxnRequest{Success: []*pb.RequestOp{op(&pb.PutRequest{Key: []byte("t"), Value: []byte("v")})}})
	require.ErrorIs(t, err, errors.ErrNoSpace)
	_, err = f.a.DeleteRange(ctx(t), &pb.DeleteRangeRequest{Key: []byte("nothing")})
	require.NoError(t, err, "a delete costs nothing")

	tr, err := f.kv.Read()
	require.NoError(t, err)
	defer tr.End()
	rr, err := tr.Range(ctx(t), []byte("k"), []byte("u"), mvcc.RangeOptions{})
	require.NoError(t, err)
	require.Len(t, rr.KVs, 2, "both writes were applied all the same, as in etcd")
	require.Empty(t, f.alarms.Get(pb.AlarmType_NONE), "the applier itself raises no alarm: its caller does")
}
