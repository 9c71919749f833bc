// Package serve runs a gRPC server on etcd-style client URLs until SIGINT or SIGTERM: the process
// plumbing every chapter's cmd/server shares.
//
// Layer: the process around the server (all chapters). Corresponds to the listener set-up and
// serving in etcd v3.6 server/embed/etcd.go (configureClientListeners, serveClients) and the
// signal handling of server/etcdmain. Left out: TLS, unix sockets, and serving HTTP (the
// grpc-gateway, /health, /metrics) next to gRPC on the same port, which etcd does with cmux.
package serve
