package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	pb "etcdwalk/chapters/01-rpc/api/etcdserverpb"
	clientv3 "etcdwalk/chapters/05-client/client/v3"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// jsonPrinter is --write-out=json (etcd's printer_json.go): each response as one line of JSON.
//
// etcdctl prints etcd's gogo-generated structs with encoding/json, and that JSON is not
// protojson: the names are the .proto field names (cluster_id, prev_kv), every field is left
// out when it has its zero value, 64-bit integers are numbers, bytes are base64, enums are
// numbers, and a oneof is an object under the Go name of the oneof ("Response") holding its one
// field. Our protoc-gen-go structs would marshal differently (their oneof wrappers have no json
// tags), so gogoJSON writes that JSON from the messages' descriptors.
type jsonPrinter struct {
	isHex  bool
	out    io.Writer
	errOut io.Writer
}

func (p *jsonPrinter) Del(r *clientv3.DeleteResponse) {
	p.print(gogoJSON((*pb.DeleteRangeResponse)(r)))
}
func (p *jsonPrinter) Get(r *clientv3.GetResponse)   { p.print(gogoJSON((*pb.RangeResponse)(r))) }
func (p *jsonPrinter) Put(r *clientv3.PutResponse)   { p.print(gogoJSON((*pb.PutResponse)(r))) }
func (p *jsonPrinter) Txn(r *clientv3.TxnResponse)   { p.print(gogoJSON((*pb.TxnResponse)(r))) }
func (p *jsonPrinter) print(b []byte)                { fmt.Fprintln(p.out, string(b)) }
func (p *jsonPrinter) EndpointHealth(hs []epHealth)  { p.printJSON(hs) }
func (p *jsonPrinter) EndpointStatus(eps []epStatus) { p.print(statusJSON(eps)) }
func (p *jsonPrinter) printJSON(v any)               { b, _ := json.Marshal(v); p.print(b) }
func (p *jsonPrinter) MemberList(r *clientv3.MemberListResponse) {
	if p.isHex {
		p.print(memberListHexJSON(r))
		return
	}
	p.print(gogoJSON((*pb.MemberListResponse)(r)))
}

// statusJSON is endpoint status's list: [{"Endpoint":...,"Status":{...}}].
func statusJSON(eps []epStatus) []byte {
	if eps == nil {
		return []byte("null")
	}
	b := []byte{'['}
	for i, ep := range eps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Endpoint":`...)
		b = appendJSONString(b, ep.Ep)
		b = append(b, `,"Status":`...)
		if ep.Resp == nil {
			b = append(b, "null"...)
		} else {
			b = appendGogoJSON(b, (*pb.StatusResponse)(ep.Resp).ProtoReflect())
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// memberListHexJSON is member list -w json --hex: the IDs as hexadecimal strings, written by
// hand as etcdctl does, with its quirks: the name is not escaped, isLearner is left out, and a
// list without members has no "members" at all.
func memberListHexJSON(r *clientv3.MemberListResponse) []byte {
	var b strings.Builder
	h := (*pb.MemberListResponse)(r).GetHeader()
	b.WriteString(`{"header":{"cluster_id":"` + strconv.FormatUint(h.GetClusterId(), 16))
	b.WriteString(`","member_id":"` + strconv.FormatUint(h.GetMemberId(), 16))
	b.WriteString(`","raft_term":` + strconv.FormatUint(h.GetRaftTerm(), 10) + "}")
	for i, m := range r.Members {
		if i == 0 {
			b.WriteString(`,"members":[{"ID":"`)
		} else {
			b.WriteString(`,{"ID":"`)
		}
		b.WriteString(strconv.FormatUint(m.ID, 16))
		b.WriteString(`","name":"` + m.Name + `","peerURLs":`)
		peers, _ := json.Marshal(m.PeerURLs)
		b.Write(peers)
		b.WriteString(`,"clientURLs":`)
		clients, _ := json.Marshal(m.ClientURLs)
		b.Write(clients)
		b.WriteByte('}')
		if i == len(r.Members)-1 {
			b.WriteByte(']')
		}
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// gogoJSON is m as encoding/json marshals etcd's gogo-generated struct of the same message.
func gogoJSON(m proto.Message) []byte {
	return appendGogoJSON(nil, m.ProtoReflect())
}

// appendGogoJSON writes m's fields in the order of the .proto, as the struct declares them. A
// field with its zero value is left out (the structs' tags all say omitempty), except a oneof:
// its interface field has no tag, so it is there under its Go name, null when unset.
func appendGogoJSON(b []byte, m protoreflect.Message) []byte {
	b = append(b, '{')
	first := true
	key := func(name string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, name)
		b = append(b, ':')
	}
	fields := m.Descriptor().Fields()
	done := map[protoreflect.FullName]bool{}
	for i := range fields.Len() {
		fd := fields.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			// The oneof's interface field stands where its first field would.
			if done[od.FullName()] {
				continue
			}
			done[od.FullName()] = true
			key(goCamelCase(string(od.Name())))
			set := m.WhichOneof(od)
			if set == nil {
				b = append(b, "null"...)
				continue
			}
			b = append(b, '{')
			if v := m.Get(set); !isZero(set, v) {
				b = appendJSONString(b, string(set.Name()))
				b = append(b, ':')
				b = appendValue(b, set, v)
			}
			b = append(b, '}')
			continue
		}
		if !m.Has(fd) {
			continue
		}
		key(string(fd.Name()))
		b = appendValue(b, fd, m.Get(fd))
	}
	return append(b, '}')
}

// isZero tells whether a oneof's field holds its zero value: omitted inside the oneof's wrapper.
func isZero(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return !v.Message().IsValid()
	case protoreflect.BytesKind:
		return len(v.Bytes()) == 0
	}
	return v.Equal(fd.Default())
}

func appendValue(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) []byte {
	if fd.IsList() {
		l := v.List()
		b = append(b, '[')
		for i := range l.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendScalar(b, fd, l.Get(i))
		}
		return append(b, ']')
	}
	return appendScalar(b, fd, v)
}

func appendScalar(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) []byte {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return appendGogoJSON(b, v.Message())
	case protoreflect.StringKind:
		return appendJSONString(b, v.String())
	case protoreflect.BytesKind:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v.Bytes())
		return append(b, '"')
	case protoreflect.BoolKind:
		return strconv.AppendBool(b, v.Bool())
	case protoreflect.EnumKind:
		return strconv.AppendInt(b, int64(v.Enum()), 10)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.AppendInt(b, v.Int(), 10)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.AppendUint(b, v.Uint(), 10)
	}
	// Floats: etcd's API has none.
	out, _ := json.Marshal(v.Interface())
	return append(b, out...)
}

// appendJSONString is s as encoding/json writes a string: with <, > and & escaped, and invalid
// UTF-8 replaced.
func appendJSONString(b []byte, s string) []byte {
	out, _ := json.Marshal(s)
	return append(b, out...)
}

// goCamelCase is the Go name protoc gives a oneof: target_union is TargetUnion.
func goCamelCase(s string) string {
	var b strings.Builder
	upper := true
	for _, c := range s {
		switch {
		case c == '_':
			upper = true
		case upper && 'a' <= c && c <= 'z':
			b.WriteRune(c - 'a' + 'A')
			upper = false
		default:
			b.WriteRune(c)
			upper = false
		}
	}
	return b.String()
}
