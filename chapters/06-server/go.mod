module etcdwalk/chapters/06-server

go 1.26.0

require (
	etcdwalk/chapters/01-rpc v0.0.0
	etcdwalk/chapters/02-kvserver v0.0.0
	etcdwalk/chapters/03-propose-wait v0.0.0
	etcdwalk/chapters/04-linearizable-read v0.0.0-00010101000000-000000000000
	etcdwalk/chapters/05-client v0.0.0-00010101000000-000000000000
	github.com/stretchr/testify v1.11.1
	go.etcd.io/raft/v3 v3.6.0
	go.uber.org/goleak v1.3.0
	google.golang.org/grpc v1.83.2
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/gogo/protobuf v1.3.2 // indirect
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/google/btree v1.1.3 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	go.etcd.io/bbolt v1.4.3 // indirect
	golang.org/x/net v0.58.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.41.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20260803160001-6ac0973c030d // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260729162451-8efbd57d26e0 // indirect
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
