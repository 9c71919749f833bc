package clientv3

import (
	"context"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"

	"google.golang.org/grpc"
)

type (
	AlarmMember        pb.AlarmMember
	AlarmResponse      pb.AlarmResponse
	StatusResponse     pb.StatusResponse
	DefragmentResponse pb.DefragmentResponse
)

// Maintenance is the maintenance API (etcd's clientv3.Maintenance, the calls the servers of
// these chapters serve). Status and Defragment go to the one endpoint named, not through the
// balancer.
type Maintenance interface {
	// AlarmList lists the raised alarms of every member.
	AlarmList(ctx context.Context) (*AlarmResponse, error)

	// AlarmDisarm clears one alarm; with a zero AlarmMember, every raised alarm.
	AlarmDisarm(ctx context.Context, m *AlarmMember) (*AlarmResponse, error)

	// Defragment defragments the backend of the member at endpoint.
	Defragment(ctx context.Context, endpoint string) (*DefragmentResponse, error)

	// Status is the status of the member at endpoint.
	Status(ctx context.Context, endpoint string) (*StatusResponse, error)
}

type maintenance struct {
	remote   pb.MaintenanceClient
	dial     func(endpoint string) (pb.MaintenanceClient, func(), error)
	callOpts []grpc.CallOption
}

// NewMaintenance is the Maintenance of a client.
func NewMaintenance(c *Client) Maintenance {
	return &maintenance{
		remote:   RetryMaintenanceClient(c.conn),
		callOpts: c.callOpts,
		dial: func(endpoint string) (pb.MaintenanceClient, func(), error) {
			conn, err := c.Dial(endpoint)
			if err != nil {
				return nil, nil, err
			}
			return RetryMaintenanceClient(conn), func() { conn.Close() }, nil
		},
	}
}

func (m *maintenance) AlarmList(ctx context.Context) (*AlarmResponse, error) {
	req := &pb.AlarmRequest{Action: pb.AlarmRequest_GET, MemberID: 0, Alarm: pb.AlarmType_NONE}
	resp, err := m.remote.Alarm(ctx, req, m.callOpts...)
	if err != nil {
		return nil, ContextError(ctx, err)
	}
	return (*AlarmResponse)(resp), nil
}

func (m *maintenance) AlarmDisarm(ctx context.Context, am *AlarmMember) (*AlarmResponse, error) {
	if am.MemberID == 0 && am.Alarm == pb.AlarmType_NONE {
		list, err := m.AlarmList(ctx)
		if err != nil {
			return nil, err
		}
		ret := &AlarmResponse{}
		for _, a := range list.Alarms {
			resp, err := m.AlarmDisarm(ctx, (*AlarmMember)(a))
			if err != nil {
				return nil, err
			}
			ret.Alarms = append(ret.Alarms, resp.Alarms...)
		}
		return ret, nil
	}
	req := &pb.AlarmRequest{Action: pb.AlarmRequest_DEACTIVATE, MemberID: am.MemberID, Alarm: am.Alarm}
	resp, err := m.remote.Alarm(ctx, req, m.callOpts...)
	if err != nil {
		return nil, ContextError(ctx, err)
	}
	return (*AlarmResponse)(resp), nil
}

func (m *maintenance) Defragment(ctx context.Context, endpoint string) (*DefragmentResponse, error) {
	remote, done, err := m.dial(endpoint)
	if err != nil {
		return nil, ContextError(ctx, err)
	}
	defer done()
	resp, err := remote.Defragment(ctx, &pb.DefragmentRequest{}, m.callOpts...)
	if err != nil {
		return nil, ContextError(ctx, err)
	}
	return (*DefragmentResponse)(resp), nil
}

func (m *maintenance) Status(ctx context.Context, endpoint string) (*StatusResponse, error) {
	remote, done, err := m.dial(endpoint)
	if err != nil {
		return nil, ContextError(ctx, err)
	}
	defer done()
	resp, err := remote.Status(ctx, &pb.StatusRequest{}, m.callOpts...)
	if err != nil {
		return nil, ContextError(ctx, err)
	}
	return (*StatusResponse)(resp), nil
}
