package resolver

import (
	"net/url"
	"strings"
	"sync"

	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/serviceconfig"
)

// Schema is the URL scheme of the client's dial target ("etcd-endpoints://0xc000.../host:port").
const Schema = "etcd-endpoints"

// roundRobin is the service config every client conn gets (etcd's resolver.go sets the same).
const roundRobin = `{"loadBalancingPolicy": "round_robin"}`

// EtcdManualResolver is the resolver of one client: gRPC asks it where the endpoints are, and
// SetEndpoints changes them while the connection is open (etcd's EtcdManualResolver, on gRPC's
// manual resolver).
type EtcdManualResolver struct {
	*manual.Resolver

	mu            sync.Mutex
	cc            resolver.ClientConn
	endpoints     []string
	serviceConfig *serviceconfig.ParseResult
}

// New makes a resolver for the endpoints; the client dials through it with grpc.WithResolvers.
func New(endpoints ...string) *EtcdManualResolver {
	return &EtcdManualResolver{Resolver: manual.NewBuilderWithScheme(Schema), endpoints: endpoints}
}

// Build is called by gRPC when the client conn starts: it sends the first state.
func (r *EtcdManualResolver) Build(target resolver.Target, cc resolver.ClientConn, opts resolver.BuildOptions) (resolver.Resolver, error) {
	sc := cc.ParseServiceConfig(roundRobin)
	if sc.Err != nil {
		return nil, sc.Err
	}
	res, err := r.Resolver.Build(target, cc, opts)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cc, r.serviceConfig = cc, sc
	r.updateState()
	return res, nil
}

// SetEndpoints replaces the endpoints; gRPC connects to the new ones and drops the others.
func (r *EtcdManualResolver) SetEndpoints(endpoints []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.endpoints = endpoints
	r.updateState()
}

// Interpret turns an endpoint as users write it ("http://127.0.0.1:2379", "127.0.0.1:2379",
// "unix:///tmp/s") into the address gRPC dials and the server name it checks (etcd's
// internal/endpoint.Interpret, without TLS).
func Interpret(ep string) (address, serverName string) {
	if !strings.Contains(ep, "://") {
		return ep, hostOf(ep)
	}
	u, err := url.Parse(ep)
	if err != nil {
		return ep, hostOf(ep)
	}
	if u.Scheme == "unix" || u.Scheme == "unixs" {
		return "unix:" + u.Host + u.Path, u.Host
	}
	return u.Host, u.Hostname()
}

func hostOf(hostport string) string {
	if i := strings.LastIndex(hostport, ":"); i >= 0 {
		return hostport[:i]
	}
	return hostport
}
