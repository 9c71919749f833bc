// Package serve runs gRPC servers on etcd-style client URLs until SIGINT or SIGTERM: the process
// plumbing every chapter's cmd/server shares.
//
// Layer: the process around the server (all chapters). Serve, UntilSignal and Run split a
// server's life so that a process with one gRPC server (chapters 01, 02: Run) and one with several
// (chapter 03, a member each) stop the same way. ClientURLFlags and Parse are the flags the
// chapters share; servetest holds what their tests share.
//
// Corresponds to the listener set-up and serving in etcd v3.6 server/embed/etcd.go
// (configureClientListeners, serveClients, and stopServers in Close: GracefulStop, then Stop after
// a timeout), the signal handling of server/etcdmain, and the --listen-client-urls and
// --advertise-client-urls flags of server/embed/config.go. Left out: TLS, unix sockets, and
// serving HTTP (the grpc-gateway, /health, /metrics) next to gRPC on the same port, which etcd
// does with cmux.
package serve
