package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
)

// The fields of etcd's ResponseHeader that name the cluster rather than the data: two clusters
// started independently have different IDs, and real etcd's raft term is not our term 0.
var clusterFields = []protoreflect.Name{"cluster_id", "member_id", "raft_term"}

const responseHeader protoreflect.FullName = "etcdserverpb.ResponseHeader"

// NormalizeHeaders clears cluster_id, member_id and raft_term in every etcdserverpb.ResponseHeader
// inside m, however deeply nested (a Txn's responses carry headers of their own), and returns m.
// What remains (revisions, keys, values, versions, counts) must be identical between our server
// and real etcd after the same requests.
func NormalizeHeaders[M protoadapt.MessageV1](m M) M {
	clearHeaders(protoadapt.MessageV2Of(m).ProtoReflect())
	return m
}

func clearHeaders(m protoreflect.Message) {
	if m.Descriptor().FullName() == responseHeader {
		for _, name := range clusterFields {
			m.Clear(m.Descriptor().Fields().ByName(name))
		}
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Message() == nil:
		case fd.IsList():
			for i := range v.List().Len() {
				clearHeaders(v.List().Get(i).Message())
			}
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapValue().Message() != nil {
					clearHeaders(mv.Message())
				}
				return true
			})
		default:
			clearHeaders(v.Message())
		}
		return true
	})
}

// Diff compares two protobuf messages field by field and returns "" if they are equal, or a
// readable diff (-want +got) if not. want and got may be nil.
func Diff(want, got protoadapt.MessageV1) string {
	return cmp.Diff(v2(want), v2(got), protocmp.Transform())
}

func v2(m protoadapt.MessageV1) any {
	if m == nil {
		return nil
	}
	return protoadapt.MessageV2Of(m)
}

// NormalizeJSON reformats the JSON etcdctl prints with -w json so that two outputs can be
// compared as text: it drops cluster_id, member_id and raft_term from every "header" object
// (numbers are kept exactly, with no float rounding) and prints the object with sorted keys, one
// line per value.
func NormalizeJSON(s string) (string, error) {
	dec := json.NewDecoder(bytes.NewBufferString(s))
	dec.UseNumber()
	var out bytes.Buffer
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			return "", fmt.Errorf("not the JSON etcdctl prints: %w\n%s", err, s)
		}
		dropClusterFields(v)
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return "", err
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.String(), nil
}

// NormalizeFields removes the "ClusterID", "MemberID" and "RaftTerm" lines from what etcdctl
// prints with -w fields, for the same reason as NormalizeJSON.
func NormalizeFields(s string) string {
	var kept []string
	for _, line := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(line, `"ClusterID" :`) && !strings.HasPrefix(line, `"MemberID" :`) &&
			!strings.HasPrefix(line, `"RaftTerm" :`) {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "")
}

func dropClusterFields(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if h, ok := child.(map[string]any); ok && k == "header" {
				for _, name := range clusterFields {
					delete(h, string(name))
				}
			}
			dropClusterFields(child)
		}
	case []any:
		for _, child := range v {
			dropClusterFields(child)
		}
	}
}
