package resolver

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
)

// fakeCC is the gRPC client conn as the resolver sees it: it keeps the last state sent.
type fakeCC struct {
	resolver.ClientConn
	states []resolver.State
	parsed *serviceconfig.ParseResult
}

func (cc *fakeCC) UpdateState(s resolver.State) error {
	cc.states = append(cc.states, s)
	return nil
}

func (cc *fakeCC) ParseServiceConfig(string) *serviceconfig.ParseResult { return cc.parsed }

func addrs(s resolver.State) [][]string {
	var out [][]string
	for _, ep := range s.Endpoints {
		var a []string
		for _, addr := range ep.Addresses {
			a = append(a, addr.Addr)
		}
		out = append(out, a)
	}
	return out
}

// gRPC gets one Endpoint per endpoint, and the round_robin service config with every update:
// round_robin balances over Endpoints, and would treat one Endpoint with three addresses as one
// server (pick_first among them).
func TestResolverGivesRoundRobinOneEndpointPerMember(t *testing.T) {
	cc := &fakeCC{parsed: &serviceconfig.ParseResult{}}
	r := New("http://127.0.0.1:2379", "127.0.0.1:22379")
	_, err := r.Build(resolver.Target{}, cc, resolver.BuildOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, cc.states, "Build sends the first state: gRPC waits for it before any call")
	first := cc.states[len(cc.states)-1]
	require.Equal(t, [][]string{{"127.0.0.1:2379"}, {"127.0.0.1:22379"}}, addrs(first),
		"one resolver.Endpoint per endpoint, each with its one address (the scheme stripped)")
	require.Same(t, cc.parsed, first.ServiceConfig, "every state carries the round_robin service config: without it gRPC picks pick_first")

	r.SetEndpoints([]string{"127.0.0.1:32379"})
	last := cc.states[len(cc.states)-1]
	require.Equal(t, [][]string{{"127.0.0.1:32379"}}, addrs(last), "SetEndpoints sends the new endpoints at once")
	require.Same(t, cc.parsed, last.ServiceConfig, "an update without the service config would switch gRPC back to pick_first")
}

func TestResolverBeforeBuildKeepsTheEndpoints(t *testing.T) {
	r := New("127.0.0.1:1")
	r.SetEndpoints([]string{"127.0.0.1:2"}) // gRPC has not built it yet: nothing to send to
	cc := &fakeCC{parsed: &serviceconfig.ParseResult{}}
	_, err := r.Build(resolver.Target{}, cc, resolver.BuildOptions{})
	require.NoError(t, err)
	require.Equal(t, [][]string{{"127.0.0.1:2"}}, addrs(cc.states[len(cc.states)-1]))
}

func TestInterpret(t *testing.T) {
	tests := []struct{ ep, addr, server string }{
		{"http://127.0.0.1:2379", "127.0.0.1:2379", "127.0.0.1"},
		{"https://etcd.example:2379", "etcd.example:2379", "etcd.example"},
		{"127.0.0.1:2379", "127.0.0.1:2379", "127.0.0.1"},
		{"localhost:2379", "localhost:2379", "localhost"},
		{"unix:///tmp/etcd.sock", "unix:/tmp/etcd.sock", ""},
	}
	for _, tt := range tests {
		addr, server := Interpret(tt.ep)
		require.Equal(t, tt.addr, addr, tt.ep)
		require.Equal(t, tt.server, server, tt.ep)
	}
}
