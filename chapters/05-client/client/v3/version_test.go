package clientv3_test

import (
	"context"
	"net"
	"testing"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
)

// oldMember answers Status as a member of the given version would, and nothing else.
type oldMember struct {
	pb.UnimplementedMaintenanceServer
	version string
}

func (m oldMember) Status(context.Context, *pb.StatusRequest) (*pb.StatusResponse, error) {
	return &pb.StatusResponse{Header: &pb.ResponseHeader{}, Version: m.version}, nil
}

func serveVersion(t *testing.T, version string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gs := grpc.NewServer()
	pb.RegisterMaintenanceServer(gs, oldMember{version: version})
	go gs.Serve(ln)
	t.Cleanup(gs.Stop)
	return "http://" + ln.Addr().String()
}

// RejectOldCluster refuses a cluster with a member older than 3.5, and New leaves nothing running
// when it does.
func TestRejectOldClusterRefusesAnOldMember(t *testing.T) {
	tests := []struct {
		version string
		want    error
	}{
		{"3.4.27", clientv3.ErrOldCluster},
		{"2.3.8", clientv3.ErrOldCluster},
		{"3.5.0", nil},
		{"3.6.16", nil},
		{"4.0.0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			ep := serveVersion(t, tt.version)
			done := make(chan error, 1)
			go func() {
				cli, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, RejectOldCluster: true,
					DialTimeout: 5 * time.Second, Logger: discard()})
				if err == nil {
					err = cli.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if tt.want == nil {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("New with RejectOldCluster should return, and close what it opened, when it refuses")
			}
		})
	}
}
