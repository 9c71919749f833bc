module etcdwalk/chapters/06-server

go 1.26.0

require (
	github.com/stretchr/testify v1.11.1
	go.etcd.io/raft/v3 v3.6.0
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/gogo/protobuf v1.3.2 // indirect
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

replace (
	etcdwalk/chapters/01-rpc => ../01-rpc
	etcdwalk/chapters/02-kvserver => ../02-kvserver
	etcdwalk/chapters/03-propose-wait => ../03-propose-wait
	etcdwalk/chapters/04-linearizable-read => ../04-linearizable-read
	etcdwalk/chapters/05-client => ../05-client
)
