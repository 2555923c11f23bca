package wt

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/quic"
)

// ErrNoWebTransport is returned by Dial when the server's SETTINGS do not
// enable WebTransport in any draft this package speaks.
var ErrNoWebTransport = errors.New("wt: server did not enable WebTransport")

// A Dialer opens WebTransport sessions. Like Chromium, it opens one QUIC
// connection per session. Its methods are safe for concurrent use; set its
// fields before the first Dial.
type Dialer struct {
	// TLSClientConfig is the TLS configuration; NextProtos becomes "h3".
	TLSClientConfig *tls.Config

	// QUICConfig is the QUIC configuration; nil means the defaults.
	// Datagrams are always enabled.
	QUICConfig *quic.Config

	// Protocol is the :protocol token; empty means "webtransport", which
	// draft-02 servers (Chromium's peers) and current ones accept. Current
	// drafts use "webtransport-h3".
	Protocol string

	// MaxPendingStreams and PendingTimeout bound the streams that arrive
	// before the response; see Server. Zero means 16 and 500ms.
	MaxPendingStreams int
	PendingTimeout    time.Duration

	once sync.Once
	reg  *registry
}

func (d *Dialer) registry() *registry {
	d.once.Do(func() {
		d.reg = newRegistry(limits{
			maxSessions:    1,
			pendingStreams: d.MaxPendingStreams,
			pendingTimeout: d.PendingTimeout,
		})
	})
	return d.reg
}

// clientSettings are the WebTransport SETTINGS a client sends: the draft-02
// one, as Chromium does, and WT_ENABLED, as webtransport-go does.
var clientSettings = map[uint64]uint64{settingEnableWebTransport: 1, settingWTEnabled: 1}

// Dial opens a session to rawURL (https://host:port/path) with the extra
// request header fields in header (for example Origin or
// WT-Available-Protocols). It returns the response; for a non-2xx
// response the error says so and the session is nil. ctx bounds the dial
// and the handshake only.
func (d *Dialer) Dial(ctx context.Context, rawURL string, header http.Header) (
	*http.Response, *Session, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	tr := d.transport()
	req := d.request(u, header)

	// The request's context lives as long as the session: ending it
	// resets the CONNECT stream. ctx only bounds the wait for the response.
	rctx, rcancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, rcancel)
	resp, err := tr.RoundTrip(req.WithContext(rctx))
	if !stop() {
		err = errors.Join(ctx.Err(), err)
	}
	if err == nil {
		var sess *Session
		if sess, err = d.start(ctx, tr, resp, rcancel); err == nil {
			return resp, sess, nil
		}
	}
	rcancel()
	tr.CloseIdleConnections()
	return resp, nil, err
}

// transport returns a new h3.Transport for one session's connection.
func (d *Dialer) transport() *h3.Transport {
	reg := d.registry()
	qconf := &quic.Config{}
	if d.QUICConfig != nil {
		*qconf = *d.QUICConfig
	}
	qconf.EnableDatagrams = true
	// Peers such as webtransport-go reset streams with RESET_STREAM_AT so
	// that the stream header survives the reset, and insist on it.
	qconf.EnableResetStreamAt = true
	return &h3.Transport{
		TLSClientConfig:    d.TLSClientConfig,
		QUICConfig:         qconf,
		AdditionalSettings: clientSettings,
		StreamHijacker:     reg.hijackBidi,
		UniStreamHijacker:  reg.hijackUni,
	}
}

// request builds the extended CONNECT request.
func (d *Dialer) request(u *url.URL, header http.Header) *http.Request {
	protocol := d.Protocol
	if protocol == "" {
		protocol = "webtransport"
	}
	req := &http.Request{Method: http.MethodConnect, URL: u, Host: u.Host,
		Header: make(http.Header)}
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	req.Header[":protocol"] = []string{protocol}
	req.Header.Set("Sec-Webtransport-Http3-Draft02", "1")
	return req
}

// start checks the response and the server's SETTINGS and starts the
// session. The connection is closed once the session has wound down.
func (d *Dialer) start(ctx context.Context, tr *h3.Transport, resp *http.Response,
	rcancel context.CancelFunc) (*Session, error) {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body.Close()
		return nil, fmt.Errorf("wt: server answered %s", resp.Status)
	}
	str, ok := resp.Body.(*h3.Stream)
	if !ok {
		return nil, errors.New("wt: response body is not an HTTP/3 stream")
	}
	ps, err := str.Conn().PeerSettings(ctx)
	if err != nil {
		return nil, err
	}
	if !enablesWebTransport(ps) {
		str.CancelWrite(h3.ErrCodeRequestCancelled)
		str.CancelRead(h3.ErrCodeRequestCancelled)
		return nil, ErrNoWebTransport
	}
	cs := d.registry().get(str.Conn())
	sess := newSession(cs, str, parseProtocol(resp.Header.Get("Wt-Protocol")))
	sess.onDone = func() {
		// Give our FIN on the CONNECT stream a moment to be delivered
		// before the connection goes.
		go func() {
			t := time.NewTimer(closeLinger)
			defer t.Stop()
			select {
			case <-str.Context().Done():
			case <-t.C:
			}
			tr.CloseIdleConnections()
			rcancel()
		}()
	}
	cs.add(sess)
	go sess.readCapsules()
	return sess, nil
}

// enablesWebTransport reports whether a server's SETTINGS enable
// WebTransport in any draft (webtransport-wire.md, Section 3).
func enablesWebTransport(s map[uint64]uint64) bool {
	return s[settingEnableWebTransport] == 1 || s[settingWTEnabled] != 0 ||
		s[settingWTMaxSessions] != 0 || s[settingMaxSessionsDraft07] != 0
}

// parseProtocol returns the string of a WT-Protocol field (an SF string).
func parseProtocol(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	if p, err := strconv.Unquote(v); err == nil {
		return p
	}
	return ""
}
