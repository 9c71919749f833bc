package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc/grpclog"
)

// globalFlags are the flags of every command (etcd's ctlv3/ctl.go and command/global.go), with
// etcdctl's names, defaults and descriptions: a command's help lists them all, as etcdctl's does.
// The TLS, authentication and DNS discovery flags are accepted and refused when set, since the
// client of this chapter speaks plain gRPC only.
type globalFlags struct {
	endpoints          []string
	debug              bool
	outputFormat       string
	isHex              bool
	dialTimeout        time.Duration
	commandTimeOut     time.Duration
	keepAliveTime      time.Duration
	keepAliveTimeout   time.Duration
	maxCallSendMsgSize int
	maxCallRecvMsgSize int

	insecure           bool
	insecureDiscovery  bool
	insecureSkipVerify bool
	certFile           string
	keyFile            string
	trustedCAFile      string
	user               string
	password           string
	discoverySrv       string
	discoverySrvName   string
}

func (g *globalFlags) register(root *cobra.Command) {
	fs := root.PersistentFlags()
	fs.StringSliceVar(&g.endpoints, "endpoints", []string{"127.0.0.1:2379"}, "gRPC endpoints")
	fs.BoolVar(&g.debug, "debug", false, "enable client-side debug logging")

	fs.StringVarP(&g.outputFormat, "write-out", "w", "simple", "set the output format (fields, json, protobuf, simple, table)")
	fs.BoolVar(&g.isHex, "hex", false, "print byte strings as hex encoded strings")
	root.RegisterFlagCompletionFunc("write-out", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"fields", "json", "protobuf", "simple", "table"}, cobra.ShellCompDirectiveDefault
	})

	fs.DurationVar(&g.dialTimeout, "dial-timeout", defaultDialTimeout, "dial timeout for client connections")
	fs.DurationVar(&g.commandTimeOut, "command-timeout", defaultCommandTimeOut, "timeout for short running command (excluding dial timeout)")
	fs.DurationVar(&g.keepAliveTime, "keepalive-time", defaultKeepAliveTime, "keepalive time for client connections")
	fs.DurationVar(&g.keepAliveTimeout, "keepalive-timeout", defaultKeepAliveTimeOut, "keepalive timeout for client connections")
	fs.IntVar(&g.maxCallSendMsgSize, "max-request-bytes", 0, "client-side request send limit in bytes (if 0, it defaults to 2.0 MiB (2 * 1024 * 1024).)")
	fs.IntVar(&g.maxCallRecvMsgSize, "max-recv-bytes", 0, "client-side response receive limit in bytes (if 0, it defaults to \"math.MaxInt32\")")

	fs.BoolVar(&g.insecure, "insecure-transport", true, "disable transport security for client connections")
	fs.BoolVar(&g.insecureDiscovery, "insecure-discovery", true, "accept insecure SRV records describing cluster endpoints")
	fs.BoolVar(&g.insecureSkipVerify, "insecure-skip-tls-verify", false, "skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)")
	fs.StringVar(&g.certFile, "cert", "", "identify secure client using this TLS certificate file")
	fs.StringVar(&g.keyFile, "key", "", "identify secure client using this TLS key file")
	fs.StringVar(&g.trustedCAFile, "cacert", "", "verify certificates of TLS-enabled secure servers using this CA bundle")
	fs.StringVar(&g.user, "user", "", "username[:password] for authentication (prompt if password is not supplied)")
	fs.StringVar(&g.password, "password", "", "password for authentication (if this option is used, --user option shouldn't include password)")
	fs.StringVarP(&g.discoverySrv, "discovery-srv", "d", "", "domain name to query for SRV records describing cluster endpoints")
	fs.StringVarP(&g.discoverySrvName, "discovery-srv-name", "", "", "service name to query when using DNS discovery")
}

// clientSpec is what a command's client is made of, read from the flags once the environment
// has been applied to them (etcd's clientv3.ConfigSpec, without TLS and authentication).
type clientSpec struct {
	endpoints          []string
	dialTimeout        time.Duration
	keepAliveTime      time.Duration
	keepAliveTimeout   time.Duration
	maxCallSendMsgSize int
	maxCallRecvMsgSize int
}

// clientConfigFromCmd reads the client's configuration as etcdctl's does: first the ETCDCTL_*
// variables fill the global flags not given on the command line, then --debug chooses gRPC's
// logging, then the endpoints, timeouts and output format are read. Only then is the printer
// chosen, which is why an unknown --write-out is reported after the arguments are checked.
func clientConfigFromCmd(cmd *cobra.Command) (*clientSpec, printer, error) {
	lg := newLogger(stderr)
	fs := cmd.InheritedFlags()
	setPflagsFromEnv(lg, "ETCDCTL", fs)

	debug, _ := cmd.Flags().GetBool("debug")
	if debug {
		setGRPCLogger(grpclog.NewLoggerV2WithVerbosity(stderr, stderr, stderr, 4))
		fs.VisitAll(func(f *pflag.Flag) {
			fmt.Fprintf(stderr, "%s=%v\n", flagToEnv("ETCDCTL", f.Name), f.Value)
		})
	} else {
		// gRPC's warnings are mostly routine reconnections: only its errors are shown.
		setGRPCLogger(grpclog.NewLoggerV2(io.Discard, io.Discard, stderr))
	}

	if err := refuseSecure(cmd); err != nil {
		return nil, nil, err
	}
	spec := &clientSpec{endpoints: endpointsFromCmd(cmd)}
	spec.dialTimeout, _ = cmd.Flags().GetDuration("dial-timeout")
	spec.keepAliveTime, _ = cmd.Flags().GetDuration("keepalive-time")
	spec.keepAliveTimeout, _ = cmd.Flags().GetDuration("keepalive-timeout")
	spec.maxCallSendMsgSize, _ = cmd.Flags().GetInt("max-request-bytes")
	spec.maxCallRecvMsgSize, _ = cmd.Flags().GetInt("max-recv-bytes")

	display, err := displayFromCmd(cmd)
	if err != nil {
		return nil, nil, err
	}
	return spec, display, nil
}

// refuseSecure fails, with the status etcdctl gives a client configuration it cannot build,
// when a flag asks for TLS, authentication or DNS discovery.
func refuseSecure(cmd *cobra.Command) error {
	f := cmd.Flags()
	var asked []string
	for _, name := range []string{"cert", "key", "cacert", "user", "password", "discovery-srv", "discovery-srv-name"} {
		if v, _ := f.GetString(name); v != "" || f.Changed(name) {
			asked = append(asked, "--"+name)
		}
	}
	if v, _ := f.GetBool("insecure-transport"); !v {
		asked = append(asked, "--insecure-transport=false")
	}
	if v, _ := f.GetBool("insecure-skip-tls-verify"); v {
		asked = append(asked, "--insecure-skip-tls-verify")
	}
	if len(asked) == 0 {
		return nil
	}
	return exitErrf(ExitBadArgs, "%s: etcdwalkctl speaks plain gRPC only (no TLS, authentication or DNS discovery)",
		strings.Join(asked, ", "))
}

// endpointsFromCmd is --endpoints, each trimmed of spaces.
func endpointsFromCmd(cmd *cobra.Command) []string {
	eps, _ := cmd.Flags().GetStringSlice("endpoints")
	for i, ep := range eps {
		eps[i] = strings.TrimSpace(ep)
	}
	return eps
}

func displayFromCmd(cmd *cobra.Command) (printer, error) {
	isHex, _ := cmd.Flags().GetBool("hex")
	outputType, _ := cmd.Flags().GetString("write-out")
	display := newPrinter(outputType, isHex, stdout, stderr)
	if display == nil {
		return nil, exitErr(ExitBadFeature, errors.New("unsupported output format"))
	}
	return display, nil
}

// mustClientFromCmd is the command's client and printer, or the end of the program with
// etcdctl's status: a configuration it cannot use, 128; a client it cannot create, 2. The
// commands close it when they return: etcdctl leaves that to its exit, but the tests run many
// commands in one process.
func mustClientFromCmd(cmd *cobra.Command) (*clientv3.Client, printer) {
	spec, display, err := clientConfigFromCmd(cmd)
	if err != nil {
		exitWithError(ExitError, err)
	}
	return mustClient(spec), display
}

func mustClient(spec *clientSpec) *clientv3.Client {
	cli, err := newClient(spec)
	if err != nil {
		exitWithError(ExitBadConnection, err)
	}
	return cli
}

func newClient(spec *clientSpec) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:            spec.endpoints,
		DialTimeout:          spec.dialTimeout,
		DialKeepAliveTime:    spec.keepAliveTime,
		DialKeepAliveTimeout: spec.keepAliveTimeout,
		MaxCallSendMsgSize:   spec.maxCallSendMsgSize,
		MaxCallRecvMsgSize:   spec.maxCallRecvMsgSize,
		Logger:               newLogger(stderr),
	})
}

// argOrStdin is args[i], or else all of stdin: how put takes a value from a pipe.
func argOrStdin(args []string, stdin io.Reader, i int) (string, error) {
	if i < len(args) {
		return args[i], nil
	}
	b, err := io.ReadAll(stdin)
	if len(b) == 0 || err != nil {
		return "", errors.New("no available argument and stdin")
	}
	return string(b), nil
}

// setGRPCLogger sets gRPC's logger, which gRPC allows only before it runs anything. A command
// sets it before it makes its client; the tests, whose process already runs servers, do not.
var setGRPCLogger = grpclog.SetLoggerV2

// stdin is where put and txn read; the tests replace it.
var stdin io.Reader = os.Stdin
