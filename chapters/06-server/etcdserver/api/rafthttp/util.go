package rafthttp

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// idString formats a member or cluster ID as etcd's types.ID does (hexadecimal, no prefix): the
// form the headers and the stream path carry.
func idString(id uint64) string { return strconv.FormatUint(id, 16) }

func parseID(s string) (uint64, error) { return strconv.ParseUint(s, 16, 64) }

// newStreamRoundTripper is for the streams: every read and write on its connections has a
// deadline (etcd's timeout transport), so that a peer that vanished without closing is noticed
// within ConnReadTimeout; the writer's link heartbeats keep a healthy idle stream under it.
func newStreamRoundTripper(dialTimeout time.Duration) *http.Transport {
	return newRoundTripper(dialTimeout, ConnReadTimeout, ConnWriteTimeout)
}

// newPipelineRoundTripper has no read or write deadline: a large message may take long to write.
func newPipelineRoundTripper(dialTimeout time.Duration) *http.Transport {
	return newRoundTripper(dialTimeout, 0, 0)
}

func newRoundTripper(dialTimeout, rd, wr time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil || (rd == 0 && wr == 0) {
				return c, err
			}
			return &timeoutConn{Conn: c, rd: rd, wr: wr}, nil
		},
		TLSHandshakeTimeout: dialTimeout,
		// Members talk to a handful of peers: keep their connections rather than redial.
		MaxIdleConnsPerHost: 16,
	}
}

// timeoutConn puts a deadline on each read and write (etcd's client/pkg/transport timeout_conn.go).
type timeoutConn struct {
	net.Conn
	rd, wr time.Duration
}

func (c *timeoutConn) Read(b []byte) (int, error) {
	if c.rd > 0 {
		if err := c.SetReadDeadline(time.Now().Add(c.rd)); err != nil {
			return 0, err
		}
	}
	return c.Conn.Read(b)
}

func (c *timeoutConn) Write(b []byte) (int, error) {
	if c.wr > 0 {
		if err := c.SetWriteDeadline(time.Now().Add(c.wr)); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(b)
}

// setHeaders marks a request with who sends it and for which cluster (etcd's createPostRequest
// and streamReader.dial); the receiver checks the cluster ID and learns the sender from them.
func setHeaders(req *http.Request, tr *Transport) {
	req.Header.Set("X-Server-From", idString(tr.ID))
	req.Header.Set("X-Etcd-Cluster-ID", idString(tr.ClusterID))
	if len(tr.URLs) > 0 {
		req.Header.Set("X-PeerURLs", strings.Join(tr.URLs, ","))
	}
}

func createPostRequest(ctx context.Context, u url.URL, path string, body io.Reader, ct string, tr *Transport) (*http.Request, error) {
	u.Path = path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", ct)
	setHeaders(req, tr)
	return req, nil
}

// checkPostResponse turns the receiver's answer to a pipeline or snapshot POST into an error
// (etcd's checkPostResponse): 204 is success, 412 names the precondition that failed.
func checkPostResponse(resp *http.Response, body []byte, req *http.Request) error {
	switch resp.StatusCode {
	case http.StatusNoContent:
		return nil
	case http.StatusPreconditionFailed:
		if strings.TrimSuffix(string(body), "\n") == ErrClusterIDMismatch.Error() {
			return ErrClusterIDMismatch
		}
		return fmt.Errorf("rafthttp: unhandled error %q when precondition failed", string(body))
	case http.StatusForbidden:
		return errMemberRemoved
	default:
		return fmt.Errorf("rafthttp: unexpected http status %s while posting to %q", http.StatusText(resp.StatusCode), req.URL.String())
	}
}

// parseURLs checks the peer URLs AddPeer is given; the first one is the one dialled.
func parseURLs(us []string) ([]url.URL, error) {
	if len(us) == 0 {
		return nil, fmt.Errorf("rafthttp: no peer URLs")
	}
	out := make([]url.URL, 0, len(us))
	for _, s := range us {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("rafthttp: peer URL %q: %w", s, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("rafthttp: peer URL %q: scheme must be http or https", s)
		}
		if u.Host == "" {
			return nil, fmt.Errorf("rafthttp: peer URL %q: no host", s)
		}
		u.Path = ""
		out = append(out, *u)
	}
	return out, nil
}
