package server

import "time"

// Stats is a snapshot of a server's counters. Connections and bytes count QUIC only;
// requests count HTTP/3 and the TCP protocols together. It is a plain value.
type Stats struct {
	ConnectionsTotal  int64         `json:"connections_total"`
	ConnectionsActive int64         `json:"connections_active"`
	RequestsTotal     int64         `json:"requests_total"`
	RequestsInFlight  int64         `json:"requests_in_flight"`
	Uptime            time.Duration `json:"uptime_ns"`
	BytesIn           uint64        `json:"bytes_in"`
	BytesOut          uint64        `json:"bytes_out"`
	DatagramsIn       uint64        `json:"datagrams_in"`
	DatagramsOut      uint64        `json:"datagrams_out"`
	DatagramsDropped  uint64        `json:"datagrams_dropped"`
	// WebTransportSessions counts the sessions of WebTransport routes open now, and
	// WebTransportSessionsTotal all that were accepted.
	WebTransportSessions      int64 `json:"webtransport_sessions"`
	WebTransportSessionsTotal int64 `json:"webtransport_sessions_total"`
}

// Stats returns a snapshot of the server's counters. Datagrams count HTTP datagrams of
// Datagram routes and QUIC datagrams of RawALPNs connections; dropped ones include those
// the transport dropped from full queues.
func (s *Server) Stats() Stats {
	st := Stats{
		ConnectionsTotal:  s.st.connsTotal.Load(),
		ConnectionsActive: s.st.connsActive.Load(),
		RequestsTotal:     s.st.reqsTotal.Load(),
		RequestsInFlight:  s.st.reqsInFlight.Load(),
		Uptime:            time.Since(s.start),
		DatagramsIn:       s.dgrams.DatagramsIn.Load() + s.st.rawDgramsIn.Load(),
		DatagramsOut:      s.dgrams.DatagramsOut.Load() + s.st.rawDgramsOut.Load(),
		DatagramsDropped:  s.dgrams.DatagramsDropped.Load() + s.st.rawDgramsDropped.Load(),

		WebTransportSessions:      s.st.wtActive.Load(),
		WebTransportSessionsTotal: s.st.wtTotal.Load(),
	}
	s.mu.Lock()
	st.BytesIn, st.BytesOut = s.ended.BytesReceived, s.ended.BytesSent
	st.DatagramsDropped += s.ended.DatagramsDropped
	for c := range s.conns {
		cs := c.Stats()
		st.BytesIn += cs.BytesReceived
		st.BytesOut += cs.BytesSent
		st.DatagramsDropped += cs.DatagramsDropped
	}
	s.mu.Unlock()
	return st
}
