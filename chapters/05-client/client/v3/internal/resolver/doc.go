// Package resolver tells gRPC where a client's endpoints are, and to balance over them with
// round_robin.
//
// Layer: the client's connection (chapter 05). Corresponds to etcd v3.6
// client/v3/internal/resolver/resolver.go and client/v3/internal/endpoint/endpoint.go.
//
// The client dials one gRPC target ("etcd-endpoints://<client>/<first endpoint>") with this
// resolver. gRPC's round_robin balancer then keeps a sub-connection to every endpoint, sends each
// call to the next ready one, and stops using a member whose connection fails until it
// reconnects: that is all the failover there is, together with the retry interceptor that sends a
// failed call again.
//
// Left out: TLS endpoints (https, unixs: the server name is computed but no credentials are set
// up), and DNS discovery (etcd's --discovery-srv).
package resolver
