package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/peregrine-h3/peregrine/h3"
	"github.com/peregrine-h3/peregrine/quic"
)

// headerFlags collects repeated -H flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// getConfig is what the get flags say.
type getConfig struct {
	method   string
	headers  headerFlags
	data     string
	out      string
	insecure bool
	verbose  bool
	caFile   string
	timeout  time.Duration
	// connectTimeout bounds the QUIC handshake, so that a port with no server fails fast.
	connectTimeout time.Duration
	// protocol, when set, makes the request an extended CONNECT (RFC 9220) for it.
	protocol string
}

// defaultConnectTimeout is shorter than quic.Config's 10s default: a newcomer who
// mistypes the port should learn it quickly.
const defaultConnectTimeout = 5 * time.Second

// dialTimer remembers how long the last QUIC handshake took.
type dialTimer struct {
	timeout   time.Duration // bounds each dial; 0 means no extra bound
	mu        sync.Mutex
	handshake time.Duration
	remote    string
	dialed    bool
}

func (d *dialTimer) dial(ctx context.Context, addr string, cfg *quic.Config) (*quic.Conn,
	error) {
	start := time.Now()
	if d.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.timeout)
		defer cancel()
	}
	c, err := quic.Dial(ctx, "udp", addr, cfg)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, quic.ErrHandshakeTimeout) {
			return nil, fmt.Errorf("no QUIC handshake with %s within %s (is a server "+
				"listening on that UDP port?): %w", addr, d.timeout, err)
		}
		return nil, err
	}
	d.mu.Lock()
	d.handshake, d.remote, d.dialed = time.Since(start), c.RemoteAddr().String(), true
	d.mu.Unlock()
	return c, nil
}

// take returns the handshake time of a connection dialed since the last call.
func (d *dialTimer) take() (time.Duration, string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ok := d.dialed
	d.dialed = false
	return d.handshake, d.remote, ok
}

func get(args []string, stdout, stderr io.Writer) error {
	var c getConfig
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.method, "X", "", "request `method` (default GET, or POST with -d)")
	fs.Var(&c.headers, "H", "request header `'Name: value'` (repeatable)")
	fs.StringVar(&c.data, "d", "", "request body: `DATA`, or @FILE to send a file")
	fs.StringVar(&c.out, "o", "", "write the body to `FILE` instead of standard output")
	fs.BoolVar(&c.insecure, "k", false, "do not verify the server's certificate")
	fs.BoolVar(&c.verbose, "v", false, "print headers and timings on standard error")
	fs.StringVar(&c.caFile, "cacert", "", "trust the certificates in PEM `file`")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "time limit per request")
	fs.DurationVar(&c.connectTimeout, "connect-timeout", defaultConnectTimeout,
		"time limit for the QUIC handshake (a port with no server fails after this)")
	fs.StringVar(&c.protocol, "protocol", "", "send an extended CONNECT for `NAME` "+
		"(e.g. connect-udp);\nwith -d, send DATA as one HTTP datagram and print the reply")
	// Flags may follow the URLs, as with curl.
	var urls []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		urls = append(urls, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(urls) == 0 {
		return errors.New("get: no URL")
	}
	tr, dt, err := newTransport(&c)
	if err != nil {
		return err
	}
	defer tr.CloseIdleConnections()
	out := stdout
	if c.out != "" {
		f, err := os.Create(c.out)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	for _, u := range urls {
		if err := fetch(&c, tr, dt, u, out, stderr); err != nil {
			return err
		}
	}
	return nil
}

func newTransport(c *getConfig) (*h3.Transport, *dialTimer, error) {
	tlsConf := &tls.Config{InsecureSkipVerify: c.insecure}
	if c.caFile != "" {
		pem, err := os.ReadFile(c.caFile)
		if err != nil {
			return nil, nil, err
		}
		tlsConf.RootCAs = x509.NewCertPool()
		if !tlsConf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("get: no certificate in %s", c.caFile)
		}
	}
	dt := &dialTimer{timeout: c.connectTimeout}
	tr := &h3.Transport{TLSClientConfig: tlsConf, Dial: dt.dial,
		QUICConfig: &quic.Config{EnableDatagrams: true, HandshakeTimeout: c.connectTimeout}}
	return tr, dt, nil
}

// newRequest builds the request for url from the flags.
func newRequest(ctx context.Context, c *getConfig, url string) (*http.Request, error) {
	method := c.method
	var body []byte
	if c.data != "" && c.protocol == "" {
		if name, ok := strings.CutPrefix(c.data, "@"); ok {
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, err
			}
			body = b
		} else {
			body = []byte(c.data)
		}
		if method == "" {
			method = http.MethodPost
		}
	}
	if method == "" && c.protocol != "" {
		method = http.MethodConnect
	}
	if method == "" {
		method = http.MethodGet
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	for _, h := range c.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return nil, fmt.Errorf("get: header %q is not 'Name: value'", h)
		}
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if c.protocol != "" {
		req.Header[":protocol"] = []string{c.protocol} // as h3.Transport documents
	}
	return req, nil
}

func fetch(c *getConfig, tr *h3.Transport, dt *dialTimer, url string, out,
	stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	req, err := newRequest(ctx, c, url)
	if err != nil {
		return err
	}
	start := time.Now()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	firstByte := time.Since(start)
	hs, remote, dialed := dt.take()
	if c.verbose {
		if dialed {
			fmt.Fprintf(stderr, "* connected to %s over QUIC, h3\n", remote)
		}
		printRequest(stderr, req)
		printResponse(stderr, resp)
	}
	var n int64
	var lastByte byte = '\n'
	if st, ok := resp.Body.(*h3.Stream); ok && resp.StatusCode/100 == 2 {
		n, err = tunnel(ctx, c, st, out)
		if n > 0 {
			lastByte = 0 // a datagram is not a line
		}
	} else {
		lw := &lastByteWriter{w: out, last: '\n'}
		n, err = io.Copy(lw, resp.Body)
		lastByte = lw.last
	}
	total := time.Since(start)
	if err != nil {
		return fmt.Errorf("get %s: reading the body: %w", url, err)
	}
	if c.verbose {
		if c.out == "" && lastByte != '\n' {
			// The body and these lines may share a terminal: start on a new line.
			fmt.Fprintln(stderr)
		}
		hsText := "reused connection"
		if dialed {
			hsText = fmtDur(hs)
		}
		rate := float64(n) * 8 / total.Seconds() / 1e6
		fmt.Fprintf(stderr, "* timings: handshake %s, first byte %s, total %s "+
			"(%d bytes, %.1f Mbit/s)\n", hsText, fmtDur(firstByte), fmtDur(total), n, rate)
	}
	return nil
}

// lastByteWriter passes writes through and remembers the last byte written.
type lastByteWriter struct {
	w    io.Writer
	last byte
}

func (l *lastByteWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.last = p[n-1]
	}
	return n, err
}

// datagramTries and datagramWait bound how often and how long tunnel waits for an
// echoed HTTP datagram: datagrams may be lost, so one is resent a few times.
const (
	datagramTries = 3
	datagramWait  = time.Second
)

// tunnel handles the stream of an accepted extended CONNECT: with -d it sends the data
// as one HTTP datagram and writes the first datagram received to out; either way it
// then closes the stream. It returns the number of bytes written to out.
func tunnel(ctx context.Context, c *getConfig, st *h3.Stream, out io.Writer) (int64,
	error) {
	defer st.CancelRead(h3.ErrCodeNoError)
	defer st.Close()
	if c.data == "" {
		return 0, nil
	}
	for range datagramTries {
		if err := st.SendDatagram([]byte(c.data)); err != nil {
			return 0, fmt.Errorf("sending an HTTP datagram: %w", err)
		}
		wctx, cancel := context.WithTimeout(ctx, datagramWait)
		p, err := st.ReceiveDatagram(wctx)
		cancel()
		if err == nil {
			n, err := out.Write(p)
			return int64(n), err
		}
		if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return 0, fmt.Errorf("receiving an HTTP datagram: %w", err)
		}
	}
	return 0, fmt.Errorf("no HTTP datagram came back after %d tries", datagramTries)
}

func printRequest(w io.Writer, req *http.Request) {
	fmt.Fprintf(w, "> %s %s HTTP/3\n> host: %s\n", req.Method, req.URL.RequestURI(),
		req.URL.Host)
	printHeader(w, ">", req.Header)
	fmt.Fprintln(w, ">")
}

func printResponse(w io.Writer, resp *http.Response) {
	fmt.Fprintf(w, "< %s %d\n", resp.Proto, resp.StatusCode)
	printHeader(w, "<", resp.Header)
	fmt.Fprintln(w, "<")
}

func printHeader(w io.Writer, prefix string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s %s: %s\n", prefix, strings.ToLower(k), v)
		}
	}
}

func fmtDur(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000)
}
