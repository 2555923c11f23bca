package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
)

// ServeTCP serves HTTP/1.1 and HTTP/2 over TLS on l with the same routes, adding an
// Alt-Svc header that points clients to HTTP/3 on the UDP port being served (RFC 7838),
// unless Options.DisableAltSvc is set. It returns ErrServerClosed after Shutdown or
// Close. The server takes ownership of l.
func (s *Server) ServeTCP(l net.Listener) error {
	conf := s.tlsConf.Clone()
	conf.MinVersion = tls.VersionTLS12
	conf.NextProtos = []string{"h2", "http/1.1"}
	hs := &http.Server{
		Handler:           s.altSvc(s.handler),
		TLSConfig:         conf,
		ReadHeaderTimeout: s.opts.HeaderTimeout,
		MaxHeaderBytes:    s.opts.MaxHeaderBytes,
		IdleTimeout:       s.opts.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.tcp = append(s.tcp, hs)
	s.mu.Unlock()
	s.log.Info("serving HTTP/1.1 and HTTP/2", "addr", l.Addr().String())
	err := hs.ServeTLS(l, "", "")
	if err == http.ErrServerClosed {
		return ErrServerClosed
	}
	return fmt.Errorf("server: %w", err)
}

// altSvc adds the Alt-Svc header to every response (RFC 7838, Section 3; RFC 9114,
// Section 3.1.1).
func (s *Server) altSvc(next http.Handler) http.Handler {
	if s.opts.DisableAltSvc {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		port := s.altPort
		s.mu.Unlock()
		if port != 0 {
			w.Header().Set("Alt-Svc", fmt.Sprintf(`h3=":%d"; ma=%d`, port,
				int(DefaultAltSvcMaxAge.Seconds())))
		}
		next.ServeHTTP(w, r)
	})
}
