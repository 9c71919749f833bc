//go:build !(workshop_05 || workshop_roundrobin)

package resolver

import (
	"google.golang.org/grpc/resolver"
)

// updateState hands gRPC the endpoints as it should balance over them: each endpoint a
// resolver.Endpoint of its own, so that round_robin keeps one connection per member and moves on
// to the next member on every call, and the service config that picks round_robin (gRPC's
// default, pick_first, would send everything to one member). Workshop exercise "RoundRobin".
func (r *EtcdManualResolver) updateState() {
	if r.cc == nil {
		return // not built yet: Build sends the state
	}
	eps := make([]resolver.Endpoint, len(r.endpoints))
	for i, ep := range r.endpoints {
		addr, serverName := Interpret(ep)
		eps[i] = resolver.Endpoint{Addresses: []resolver.Address{{Addr: addr, ServerName: serverName}}}
	}
	r.UpdateState(resolver.State{Endpoints: eps, ServiceConfig: r.serviceConfig})
}
