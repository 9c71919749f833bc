// Package servetest holds what the tests of every chapter's server share: a table of command lines
// a server must refuse (FlagCase, RefusesBadFlags), and a gRPC server on an in-memory connection
// (Dial).
//
// Layer: test support for the process around the server (all chapters). It is an ordinary
// package, not a _test.go file, so that every chapter's tests can import it. etcd has no
// counterpart of its own: its tests build servers with tests/framework/integration, and its
// flags are checked in server/etcdmain's tests.
package servetest
