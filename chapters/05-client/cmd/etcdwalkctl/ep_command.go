package main

import (
	"errors"
	"fmt"
	"sync"
	"time"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/spf13/cobra"
)

// newEndpointCommand is etcdctl's endpoint (etcd's ctlv3/command/ep_command.go): health and
// status of each endpoint, or, with --cluster, of every member's client URLs. hashkv is listed
// but refused: the servers' Maintenance service has no HashKV.
func newEndpointCommand() *cobra.Command {
	// Read by the subcommands only once the environment is applied: ETCDCTL_CLUSTER sets it.
	var cluster bool
	ec := &cobra.Command{
		Use:   "endpoint <subcommand>",
		Short: "Endpoint related commands",
	}
	ec.PersistentFlags().BoolVar(&cluster, "cluster", false, "use all endpoints from the cluster member list")
	ec.AddCommand(
		&cobra.Command{
			Use:   "health",
			Short: "Checks the healthiness of endpoints specified in `--endpoints` flag",
			Run:   func(cmd *cobra.Command, args []string) { epHealthCommandFunc(cmd, &cluster) },
		},
		&cobra.Command{
			Use:   "status",
			Short: "Prints out the status of endpoints specified in `--endpoints` flag",
			Long: `When --write-out is set to simple, this command prints out comma-separated status lists for each endpoint.
The items in the lists are endpoint, ID, version, db size, is leader, is learner, raft term, raft index, raft applied index, errors.
`,
			Run: func(cmd *cobra.Command, args []string) { epStatusCommandFunc(cmd, &cluster) },
		},
		unsupportedCommand("hashkv", "Prints the KV history hash for each endpoint in --endpoints", "endpoint hashkv",
			"the servers' Maintenance service has no HashKV"),
	)
	return ec
}

// epHealth is one endpoint's health, with the JSON names etcdctl prints.
type epHealth struct {
	Ep     string `json:"endpoint"`
	Health bool   `json:"health"`
	Took   string `json:"took"`
	Error  string `json:"error,omitempty"`
}

// epHealthCommandFunc checks every endpoint at once, each with a client of its own: an endpoint
// is healthy if a linearizable Get of "health" succeeds (the request went through a ReadIndex
// round, or raft on chapters without one) and no alarm is raised. The results are printed in the
// order they arrive.
func epHealthCommandFunc(cmd *cobra.Command, cluster *bool) {
	spec, display, err := clientConfigFromCmd(cmd)
	if err != nil {
		exitWithError(ExitError, err)
	}
	eps := endpointsFromCluster(cmd, *cluster)

	var wg sync.WaitGroup
	hch := make(chan epHealth, len(eps))
	for _, ep := range eps {
		one := *spec
		one.endpoints = []string{ep}
		wg.Add(1)
		go func() {
			defer wg.Done()
			hch <- checkHealth(cmd, &one, ep)
		}()
	}
	wg.Wait()
	close(hch)

	unhealthy := false
	var healthList []epHealth
	for h := range hch {
		healthList = append(healthList, h)
		if h.Error != "" {
			unhealthy = true
		}
	}
	display.EndpointHealth(healthList)
	if unhealthy {
		exitWithError(ExitError, errors.New("unhealthy cluster"))
	}
}

func checkHealth(cmd *cobra.Command, spec *clientSpec, ep string) epHealth {
	cli, err := newClient(spec)
	if err != nil {
		return epHealth{Ep: ep, Error: err.Error()}
	}
	defer cli.Close()
	st := time.Now()
	ctx, cancel := commandCtx(cmd)
	defer cancel()
	_, err = cli.Get(ctx, "health")
	h := epHealth{Ep: ep, Took: time.Since(st).String()}
	// etcdctl also counts "permission denied" as healthy (the request went through raft to be
	// refused); without authentication these servers never answer it.
	if err != nil {
		h.Error = err.Error()
		return h
	}
	h.Health = true
	resp, err := cli.AlarmList(ctx)
	switch {
	case err != nil:
		h.Health, h.Error = false, "Unable to fetch the alarm list"
	case len(resp.Alarms) > 0:
		h.Health, h.Error = false, "Active Alarm(s): "
		for _, a := range resp.Alarms {
			switch a.Alarm {
			case pb.AlarmType_NOSPACE:
				h.Error += "NOSPACE "
			case pb.AlarmType_CORRUPT:
				h.Error += "CORRUPT "
			default:
				h.Error += "UNKNOWN "
			}
		}
	}
	return h
}

// epStatus is one endpoint's status, with the JSON names etcdctl prints.
type epStatus struct {
	Ep   string
	Resp *clientv3.StatusResponse
}

// epStatusCommandFunc asks each endpoint in turn for its status. An endpoint that does not
// answer is reported on stderr, the others are printed, and the status is then 1.
func epStatusCommandFunc(cmd *cobra.Command, cluster *bool) {
	spec, display, err := clientConfigFromCmd(cmd)
	if err != nil {
		exitWithError(ExitError, err)
	}
	var statusList []epStatus
	failed := false
	for _, ep := range endpointsFromCluster(cmd, *cluster) {
		spec.endpoints = []string{ep}
		cli := mustClient(spec)
		ctx, cancel := commandCtx(cmd)
		resp, err := cli.Status(ctx, ep)
		cancel()
		cli.Close()
		if err != nil {
			failed = true
			fmt.Fprintf(stderr, "Failed to get the status of endpoint %s (%v)\n", ep, err)
			continue
		}
		statusList = append(statusList, epStatus{Ep: ep, Resp: resp})
	}
	display.EndpointStatus(statusList)
	if failed {
		exit(ExitError)
	}
}

// endpointsFromCluster is --endpoints as given, or with --cluster the client URLs of every
// member, from a MemberList through --endpoints.
func endpointsFromCluster(cmd *cobra.Command, cluster bool) []string {
	if !cluster {
		eps, _ := cmd.Flags().GetStringSlice("endpoints")
		return eps
	}
	spec := &clientSpec{endpoints: endpointsFromCmd(cmd)}
	spec.dialTimeout, _ = cmd.Flags().GetDuration("dial-timeout")
	spec.keepAliveTime, _ = cmd.Flags().GetDuration("keepalive-time")
	spec.keepAliveTimeout, _ = cmd.Flags().GetDuration("keepalive-timeout")
	cli, err := newClient(spec)
	if err != nil {
		exitWithError(ExitError, err)
	}
	ctx, cancel := commandCtx(cmd)
	defer func() {
		cli.Close()
		cancel()
	}()
	members, err := cli.MemberList(ctx)
	if err != nil {
		exitWithError(ExitError, fmt.Errorf("failed to fetch endpoints from etcd cluster member list: %w", err))
	}
	var eps []string
	for _, m := range members.Members {
		eps = append(eps, m.ClientURLs...)
	}
	return eps
}
