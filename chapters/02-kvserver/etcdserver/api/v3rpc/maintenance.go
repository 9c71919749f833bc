package v3rpc

import (
	"context"
	"fmt"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errGRPCUnknownAlarmAction refuses an AlarmRequest whose action is none of GET, ACTIVATE and
// DEACTIVATE. etcd v3.6.16 has no answer for one: its applier returns no response, and its gRPC
// handler then dereferences it and the server crashes. There is no upstream fix to follow, so
// the request is refused here, before it reaches raft, as any other malformed request is.
var errGRPCUnknownAlarmAction = status.Error(codes.InvalidArgument, "etcdserver: unknown alarm action")

// maintenanceServer is etcd's Maintenance service, the methods this chapter serves
// (maintenance.go): Alarm, Status and Defragment.
type maintenanceServer struct {
	pb.UnimplementedMaintenanceServer
	hdr header
	s   ServerView
}

// Alarm lists, raises or clears alarms (etcdctl alarm list, alarm disarm; the quota raises
// NOSPACE through the same call).
func (ms *maintenanceServer) Alarm(ctx context.Context, r *pb.AlarmRequest) (*pb.AlarmResponse, error) {
	if _, ok := pb.AlarmRequest_AlarmAction_name[int32(r.Action)]; !ok {
		return nil, errGRPCUnknownAlarmAction
	}
	resp, err := ms.s.Alarm(ctx, r)
	if err != nil {
		return nil, togRPCError(err)
	}
	if resp.Header == nil {
		resp.Header = &pb.ResponseHeader{}
	}
	ms.hdr.fill(resp.Header)
	return resp, nil
}

func (ms *maintenanceServer) Status(context.Context, *pb.StatusRequest) (*pb.StatusResponse, error) {
	resp := ms.s.Status()
	resp.Header = &pb.ResponseHeader{}
	resp.Version = Version
	resp.DbSize, resp.DbSizeInUse = ms.s.Backend().Size(), ms.s.Backend().SizeInUse()
	resp.DbSizeQuota = max(ms.s.Limits().QuotaBackendBytes, 0)
	// etcd v3.6 always sends the cluster's downgrade state; nothing here downgrades, so it is
	// the empty one etcd sends when no downgrade is in progress.
	resp.DowngradeInfo = &pb.DowngradeInfo{}
	for _, a := range ms.s.Alarms() {
		resp.Errors = append(resp.Errors, alarmText(a))
	}
	ms.hdr.fill(resp.Header)
	return resp, nil
}

// alarmText is how etcd's Status lists a raised alarm among its errors: the AlarmMember's String,
// which in etcd's gogoproto code is the compact text format, "memberID:<decimal> alarm:NOSPACE "
// with a space after each field. (protobuf-go's String is not stable, so it is written out.)
func alarmText(a *pb.AlarmMember) string {
	var s string
	if a.MemberID != 0 {
		s += fmt.Sprintf("memberID:%d ", a.MemberID)
	}
	if a.Alarm != pb.AlarmType_NONE {
		s += fmt.Sprintf("alarm:%s ", a.Alarm)
	}
	return s
}

// Defragment defragments this member's backend and answers with an empty response, without a
// header, as etcd's does.
func (ms *maintenanceServer) Defragment(context.Context, *pb.DefragmentRequest) (*pb.DefragmentResponse, error) {
	if err := ms.s.Defragment(); err != nil {
		return nil, togRPCError(err)
	}
	return &pb.DefragmentResponse{}, nil
}
