module etcdwalk/chapters/02-kvserver

go 1.26.0

require etcdwalk/chapters/01-rpc v0.0.0

require (
	github.com/google/btree v1.1.3 // indirect
	go.etcd.io/bbolt v1.4.3 // indirect
	golang.org/x/sys v0.47.0 // indirect
)

replace etcdwalk/chapters/01-rpc => ../01-rpc
