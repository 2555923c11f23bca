package demo

import (
	"io"
	"strconv"
	"strings"

	"github.com/peregrine-h3/peregrine/wt"
)

// maxEcho bounds what one echoed stream may carry.
const maxEcho = 1 << 20

// WebTransportEcho serves a session as tools/chromium-h3/page/h3test.html expects:
// datagrams and bidirectional streams are echoed, a unidirectional stream is answered
// with the same bytes on a new one, "__server_bidi__" makes the server open a
// bidirectional stream of its own, "__drain__" sends DRAIN_WEBTRANSPORT_SESSION, and
// "__close__ CODE REASON" closes the session with that code and reason. It returns when
// the session ends.
func WebTransportEcho(s *wt.Session) {
	ctx := s.Context()
	go func() {
		for {
			d, err := s.ReceiveDatagram(ctx)
			if err != nil {
				return
			}
			s.SendDatagram(d)
		}
	}()
	go func() {
		for {
			in, err := s.AcceptUniStream(ctx)
			if err != nil {
				return
			}
			go func() {
				b, err := io.ReadAll(io.LimitReader(in, maxEcho))
				if err != nil {
					return
				}
				if out, err := s.OpenUniStream(ctx); err == nil {
					out.Write(b)
					out.Close()
				}
			}()
		}
	}()
	for {
		st, err := s.AcceptStream(ctx)
		if err != nil {
			return
		}
		go echoWTStream(s, st)
	}
}

func echoWTStream(s *wt.Session, st *wt.Stream) {
	b, err := io.ReadAll(io.LimitReader(st, maxEcho))
	if err != nil {
		return
	}
	msg := string(b)
	switch {
	case msg == "__server_bidi__":
		st.Write([]byte("opening"))
		st.Close()
		if out, err := s.OpenStream(s.Context()); err == nil {
			out.Write([]byte("from-server"))
			out.Close()
			io.ReadAll(io.LimitReader(out, maxEcho))
		}
	case msg == "__drain__":
		s.Drain()
		st.Write([]byte("draining"))
		st.Close()
	case strings.HasPrefix(msg, "__close__ "):
		f := strings.SplitN(msg, " ", 3)
		code, _ := strconv.ParseUint(f[1], 10, 32)
		reason := ""
		if len(f) == 3 {
			reason = f[2]
		}
		s.CloseWithError(uint32(code), reason)
	default:
		st.Write(b)
		st.Close()
	}
}
