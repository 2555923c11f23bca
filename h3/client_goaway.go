package h3

import "context"

// trackStream counts qs as an active request stream until both of its
// directions have ended, so that a connection that received GOAWAY can be
// closed once its last request is done.
func (cc *clientConn) trackStream(qs quicStream) {
	cc.active.Add(1)
	context.AfterFunc(qs.Context(), func() {
		if cc.active.Add(-1) == 0 {
			cc.closeIfDrained()
		}
	})
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
