package server

import (
	"net"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/quic"
)

// A QUICDatagramHandler receives a QUIC datagram (RFC 9221) that is not an HTTP datagram.
// The payload belongs to the handler. Calls for one connection never overlap; calls for
// different connections run concurrently.
type QUICDatagramHandler func(dc *QUICDatagramContext, payload []byte)

// A QUICDatagramContext tells a [QUICDatagramHandler] where a datagram came from and lets
// it answer. Reply is safe for concurrent use and may be kept and called later, until the
// connection ends.
type QUICDatagramContext struct {
	// ConnID is the server's number for the connection, counting from 1; the same
	// connection always has the same number.
	ConnID uint64
	// RemoteAddr is the client's address.
	RemoteAddr net.Addr
	// ALPN is the connection's application protocol.
	ALPN string

	conn *quic.Conn
	s    *Server
}

// Reply sends p as a QUIC datagram on the same connection. Delivery is not guaranteed;
// an error means p was not sent (too large for one packet, or the connection ended).
func (dc *QUICDatagramContext) Reply(p []byte) error {
	err := dc.conn.SendDatagram(p)
	if err != nil {
		dc.s.st.rawDgramsDropped.Add(1)
		return err
	}
	dc.s.st.rawDgramsOut.Add(1)
	return nil
}

// serveRaw serves a connection on one of Options.RawALPNs: datagrams go to the
// QUICDatagram handler, streams are refused. It returns when the connection ends.
func (s *Server) serveRaw(c *quic.Conn, id uint64) error {
	go refuseStreams(c)
	dc := &QUICDatagramContext{ConnID: id, RemoteAddr: c.RemoteAddr(),
		ALPN: c.ConnectionState().NegotiatedProtocol, conn: c, s: s}
	ctx := c.Context()
	for {
		d, err := c.ReceiveDatagram(ctx)
		if err != nil {
			return err
		}
		s.st.rawDgramsIn.Add(1)
		s.opts.QUICDatagram(dc, d)
	}
}

// h3QUICDatagram receives the QUIC datagrams of an HTTP/3 connection whose client
// did not enable HTTP datagrams, and hands them to Options.QUICDatagram.
func (s *Server) h3QUICDatagram(hc h3.Conn, d []byte) {
	c := hc.QUICConn()
	s.mu.Lock()
	dc := s.dgramCtx[c]
	if dc == nil {
		dc = &QUICDatagramContext{ConnID: s.conns[c], RemoteAddr: c.RemoteAddr(),
			ALPN: alpnH3, conn: c, s: s}
		s.dgramCtx[c] = dc
	}
	s.mu.Unlock()
	s.st.rawDgramsIn.Add(1)
	s.opts.QUICDatagram(dc, d)
}

// refuseStreams resets every stream the client opens on a raw connection.
func refuseStreams(c *quic.Conn) {
	ctx := c.Context()
	for {
		st, err := c.AcceptStream(ctx)
		if err != nil {
			return
		}
		st.CancelRead(0)
		st.CancelWrite(0)
	}
}
