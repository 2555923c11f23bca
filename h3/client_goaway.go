package h3

import (
	"context"
	"net/http"
	"sync"
)

// trackRequest counts a request as active until the returned function is
// called (once), so that a connection that received GOAWAY can be closed once
// its last request is done.
func (cc *clientConn) trackRequest() (untrack func()) {
	cc.active.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			if cc.active.Add(-1) == 0 {
				cc.closeIfDrained()
			}
		})
	}
}

// untrackWithResponse ends the request's count when the application is done
// with resp: when its body is read to the end or closed. The stream ending at
// the QUIC layer is too early a sign, since the response may still wait, read
// from the stream but not yet by the application, in our buffers; closing the
// connection then would lose it. A CONNECT stream counts until both of its
// directions have ended.
func (cc *clientConn) untrackWithResponse(resp *http.Response, qs quicStream, untrack func()) {
	if b, ok := resp.Body.(*responseBody); ok {
		prev := b.onDone
		b.onDone = func() {
			if prev != nil {
				prev()
			}
			untrack()
		}
		return
	}
	context.AfterFunc(qs.Context(), untrack)
}

// closeIfDrained closes the connection with H3_NO_ERROR when the server sent
// GOAWAY and no request is left on it. RFC 9114, Section 5.2 lets the client
// close then; a server waiting for its clients to leave (as graceful
// shutdowns do) would otherwise keep the connection until its idle timeout.
func (cc *clientConn) closeIfDrained() {
	if cc.c.goawayLimit() >= 0 && cc.active.Load() == 0 {
		cc.c.closeWithError(ErrCodeNoError, "")
	}
}
