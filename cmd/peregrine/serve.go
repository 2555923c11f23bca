package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/peregrine-h3/peregrine/server"
	"github.com/peregrine-h3/peregrine/server/demo"
)

// shutdownTimeout bounds a graceful shutdown before the server is closed.
const shutdownTimeout = 10 * time.Second

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", server.DefaultAddr, "UDP and TCP `address` to listen on")
	rootDir := fs.String("root", "", "serve the files under `DIR` instead of the demo pages")
	cert := fs.String("cert", "", "certificate chain PEM `file` (default: generate one)")
	key := fs.String("key", "", "private key PEM `file`")
	certOut := fs.String("cert-out", "", "write a generated certificate to `DIR`/cert.pem "+
		"and DIR/key.pem")
	noTCP := fs.Bool("no-tcp", false, "serve HTTP/3 only, not HTTP/1.1 and HTTP/2 over TCP")
	verbose := fs.Bool("v", false, "log at debug level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := newLogger(*verbose)
	opts := server.Options{Addr: *addr, CertFile: *cert, KeyFile: *key, Logger: logger,
		DisableTCP: *noTCP}
	var root *os.Root
	if *rootDir != "" {
		var err error
		if root, err = os.OpenRoot(*rootDir); err != nil {
			return err
		}
		defer root.Close()
	}
	var srv *server.Server
	demo.Apply(&opts, func() server.Stats { return srv.Stats() }, root)
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	if dc := srv.DevCert(); dc != nil && *certOut != "" {
		if err := writeCert(*certOut, dc); err != nil {
			return err
		}
	}
	pc, err := listen(srv, *addr, !*noTCP)
	if err != nil {
		return err
	}
	printHowTo(os.Stdout, pc.LocalAddr().(*net.UDPAddr).Port, srv.DevCert(), !*noTCP)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		handleSignals(srv, logger)
	}()
	if err := srv.Serve(pc); !errors.Is(err, server.ErrServerClosed) {
		return err
	}
	<-stopped // Serve returns as soon as Shutdown begins; let it finish.
	st := srv.Stats()
	logger.Info("stopped", "connections", st.ConnectionsTotal, "requests", st.RequestsTotal,
		"bytes_in", st.BytesIn, "bytes_out", st.BytesOut, "uptime", st.Uptime.Round(time.Second))
	return nil
}

// newLogger logs text to standard error, at debug level when verbose.
func newLogger(verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// listen opens the UDP socket on addr and, when tcp is set, starts serving TCP on the
// same port.
func listen(srv *server.Server, addr string, tcp bool) (net.PacketConn, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	if tcp {
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			return nil, err
		}
		go srv.ServeTCP(l)
	}
	return pc, nil
}

// handleSignals shuts the server down on the first SIGINT or SIGTERM and closes it on
// the second. It returns when the server has stopped.
func handleSignals(srv *server.Server, logger *slog.Logger) {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	logger.Info("shutting down; signal again to close at once")
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	go func() {
		select {
		case <-sig:
			logger.Info("closing now")
			cancel()
			srv.Close()
		case <-ctx.Done():
		}
	}()
	if err := srv.Shutdown(ctx); err != nil {
		logger.Info("shutdown cut short", "err", err)
	}
}

func writeCert(dir string, dc *server.DevCert) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), dc.CertPEM, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "key.pem"), dc.KeyPEM, 0o600)
}

// printHowTo tells the newcomer where the server is and how to reach it; tcp says whether
// HTTP/1.1 and HTTP/2 are served too.
func printHowTo(w io.Writer, port int, dc *server.DevCert, tcp bool) {
	origin := fmt.Sprintf("localhost:%d", port)
	also := " and HTTP/1.1+2 (TCP)"
	if !tcp {
		also = " only"
	}
	fmt.Fprintf(w, "Peregrine is serving https://%s/ over HTTP/3 (UDP)%s.\n", origin, also)
	if dc == nil {
		fmt.Fprintf(w, "Open it in Chromium with: chromium --origin-to-force-quic-on=%s "+
			"https://%s/\n", origin, origin)
	} else {
		fmt.Fprintf(w, "Open it in Chromium with the development certificate:\n"+
			"  chromium --origin-to-force-quic-on=%s \\\n"+
			"    --ignore-certificate-errors-spki-list=%s https://%s/\n"+
			"WebTransport serverCertificateHashes value: %s\n", origin, dc.SPKI, origin,
			dc.SHA256)
	}
	// -o /dev/null: the body of /bytes/{n} is NUL bytes, which a terminal should not get.
	fmt.Fprintf(w, "Or from a shell: go run ./cmd/peregrine get -k -v -o /dev/null "+
		"https://%s/bytes/1000\n", origin)
}
