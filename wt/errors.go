package wt

import (
	"errors"
	"fmt"
	"net"

	"github.com/peregrine-h3/peregrine/quic"
)

// A SessionError says why a session ended: the code and reason of a
// CLOSE_WEBTRANSPORT_SESSION capsule (zero and empty when the CONNECT stream
// simply ended), and whether the peer closed it. A SessionError is an
// immutable value, safe to share.
type SessionError struct {
	Code   uint32
	Reason string
	Remote bool
}

func (e *SessionError) Error() string {
	who := "local"
	if e.Remote {
		who = "peer"
	}
	return fmt.Sprintf("wt: session closed by %s with code %d: %q", who, e.Code, e.Reason)
}

// Is makes errors.Is(err, net.ErrClosed) hold for sessions closed locally.
func (e *SessionError) Is(target error) bool { return target == net.ErrClosed && !e.Remote }

// A StreamError is returned by Stream reads and writes when a direction of
// the stream was abandoned with a WebTransport application error code, by
// the peer (Remote true) or here. A StreamError is an immutable value, safe
// to share.
type StreamError struct {
	Code   uint32
	Remote bool
}

func (e *StreamError) Error() string {
	if e.Remote {
		return fmt.Sprintf("wt: stream reset by peer with code %d", e.Code)
	}
	return fmt.Sprintf("wt: stream cancelled with code %d", e.Code)
}

// ErrSessionGone is returned by stream operations after the stream's
// session ended and the stream was reset with WEBTRANSPORT_SESSION_GONE.
var ErrSessionGone = errors.New("wt: session gone")

// mapStreamError turns a QUIC stream error carrying a WebTransport code into
// a StreamError, and a session-gone reset into ErrSessionGone.
func mapStreamError(err error) error {
	var se *quic.StreamError
	if !errors.As(err, &se) {
		return err
	}
	if se.Code == errCodeSessionGone {
		return ErrSessionGone
	}
	if n, ok := appCode(se.Code); ok {
		return &StreamError{Code: n, Remote: se.Remote}
	}
	return err
}
