package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/peregrine-h3/peregrine/router"
)

// Defaults of the zero Options fields.
const (
	DefaultAddr             = ":4433"
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultIdleTimeout      = 30 * time.Second
	DefaultHeaderTimeout    = 10 * time.Second
	DefaultMaxStreams       = 100
	DefaultMaxConnections   = 10000
	DefaultAltSvcMaxAge     = 24 * time.Hour
	DefaultMaxHeaderBytes   = 64 << 10
)

// alpnH3 is HTTP/3's ALPN protocol ID (RFC 9114, Section 3.1).
const alpnH3 = "h3"

// Options configures a [Server]. Only Routes or Fallback is needed; every other zero
// field means the documented default. [New] copies the Options (and their slices), so
// changing them later has no effect; the handlers they name are called concurrently.
type Options struct {
	// Addr is the UDP (and TCP) address ListenAndServe listens on. Default ":4433".
	Addr string

	// TLSConfig is the TLS configuration, with at least one certificate. Its NextProtos
	// is replaced with what the server speaks. When nil, CertFile and KeyFile are loaded;
	// when those are empty too, a development certificate is generated (see
	// GenerateDevCert) and its SHA-256 and SPKI hashes are logged at Info level.
	TLSConfig *tls.Config
	// CertFile and KeyFile are PEM files with the certificate chain and its key.
	CertFile, KeyFile string

	// Routes is the route table; see package router.
	Routes []router.Route
	// Fallback serves requests no route matches. Default: 404, or 405 when another
	// method of the path has a route.
	Fallback http.Handler
	// BodyLimit is the body limit of Buffered routes. Default router.DefaultBodyLimit
	// (1 MiB).
	BodyLimit int64

	// QUICDatagram, if set, receives the QUIC datagrams (RFC 9221) that are not HTTP
	// datagrams: those of HTTP/3 connections whose client did not send
	// SETTINGS_H3_DATAGRAM, and those of connections on one of RawALPNs. See the package
	// documentation for the rule.
	QUICDatagram QUICDatagramHandler
	// RawALPNs lists extra ALPN protocols for raw QUIC applications. A connection that
	// negotiates one of them is not HTTP/3: its datagrams go to QUICDatagram and its
	// streams are refused.
	RawALPNs []string

	// ErrorHandler, if set, is called for every handler panic, with a *PanicError, after
	// which the client gets 500 (or a reset stream when the response had begun). It must
	// be safe for concurrent use and must not block for long.
	ErrorHandler func(r *http.Request, err error)

	// HandshakeTimeout bounds the QUIC handshake. Default 10s.
	HandshakeTimeout time.Duration
	// IdleTimeout closes a connection without traffic. Default 30s.
	IdleTimeout time.Duration
	// HeaderTimeout bounds the time to read a request's header, over TCP and over
	// HTTP/3 (where a request stream whose HEADERS frame is not complete in time is reset
	// with H3_REQUEST_REJECTED). Default 10s.
	HeaderTimeout time.Duration

	// MaxConnections bounds the QUIC connections served at once; a connection above it
	// is closed with H3_EXCESSIVE_LOAD right after its handshake. Default 10000.
	MaxConnections int
	// MaxStreams is the number of concurrent request streams a client may open on one
	// connection. Default 100.
	MaxStreams int
	// MaxHeaderBytes bounds a request's header section; larger ones get 431. Default
	// 64 KiB.
	MaxHeaderBytes int

	// DisableTCP turns off HTTP/1.1 and HTTP/2 over TCP on the same port.
	DisableTCP bool
	// DisableAltSvc stops the TCP server from advertising HTTP/3 with Alt-Svc.
	DisableAltSvc bool

	// Logger receives the server's log; nil discards. Peer protocol errors are logged at
	// Debug level, handler panics at Error level.
	Logger *slog.Logger
}

// validate checks o and fills in defaults. It never changes the caller's copy.
func (o *Options) validate() error {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		return fmt.Errorf("server: bad Addr %q: %w", o.Addr, err)
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return errors.New("server: CertFile and KeyFile must be given together")
	}
	if o.TLSConfig != nil && o.CertFile != "" {
		return errors.New("server: give TLSConfig or CertFile and KeyFile, not both")
	}
	if o.TLSConfig != nil && len(o.TLSConfig.Certificates) == 0 &&
		o.TLSConfig.GetCertificate == nil {
		return errors.New("server: TLSConfig has no certificate")
	}
	for _, d := range []*time.Duration{&o.HandshakeTimeout, &o.IdleTimeout, &o.HeaderTimeout} {
		if *d < 0 {
			return fmt.Errorf("server: negative timeout %v", *d)
		}
	}
	if o.BodyLimit < 0 || o.MaxConnections < 0 || o.MaxStreams < 0 || o.MaxHeaderBytes < 0 {
		return errors.New("server: negative limit")
	}
	for _, p := range o.RawALPNs {
		if p == "" || p == alpnH3 || len(p) > 255 {
			return fmt.Errorf("server: bad RawALPNs entry %q", p)
		}
	}
	if len(o.RawALPNs) > 0 && o.QUICDatagram == nil {
		return errors.New("server: RawALPNs without a QUICDatagram handler")
	}
	o.RawALPNs = slices.Clone(o.RawALPNs)
	o.Routes = slices.Clone(o.Routes)
	o.HandshakeTimeout = orDefault(o.HandshakeTimeout, DefaultHandshakeTimeout)
	o.IdleTimeout = orDefault(o.IdleTimeout, DefaultIdleTimeout)
	o.HeaderTimeout = orDefault(o.HeaderTimeout, DefaultHeaderTimeout)
	o.MaxConnections = orDefault(o.MaxConnections, DefaultMaxConnections)
	o.MaxStreams = orDefault(o.MaxStreams, DefaultMaxStreams)
	o.MaxHeaderBytes = orDefault(o.MaxHeaderBytes, DefaultMaxHeaderBytes)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// tlsConfig returns the TLS configuration for QUIC and, when not nil, the generated
// development certificate.
func (o *Options) tlsConfig(now time.Time) (*tls.Config, *DevCert, error) {
	var dev *DevCert
	var conf *tls.Config
	switch {
	case o.TLSConfig != nil:
		conf = o.TLSConfig.Clone()
	case o.CertFile != "":
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("server: loading the certificate: %w", err)
		}
		conf = &tls.Config{Certificates: []tls.Certificate{cert}}
	default:
		host, _, _ := net.SplitHostPort(o.Addr)
		var err error
		if dev, err = GenerateDevCert(now, host); err != nil {
			return nil, nil, err
		}
		conf = &tls.Config{Certificates: []tls.Certificate{dev.Certificate}}
	}
	conf.MinVersion = tls.VersionTLS13
	conf.NextProtos = append([]string{alpnH3}, o.RawALPNs...)
	return conf, dev, nil
}
