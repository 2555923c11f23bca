package router

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/peregrine-h3/peregrine/wt"
)

// DefaultBodyLimit is the largest body, in bytes, that a [Buffered] route reads when
// Options.BodyLimit is zero.
const DefaultBodyLimit = 1 << 20

// Mode says how a route receives the request body.
type Mode int

const (
	// Buffered reads the whole body, up to the table's body limit, before the handler
	// runs. It is the zero value.
	Buffered Mode = iota
	// Streaming hands the body to the handler as it arrives, without a limit.
	Streaming
)

// String returns the mode's name.
func (m Mode) String() string {
	switch m {
	case Buffered:
		return "buffered"
	case Streaming:
		return "streaming"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Route is one entry of the route table.
type Route struct {
	// Method is the request method the route answers, such as "GET" or "CONNECT"; empty
	// means any method. As with ServeMux, "GET" also answers HEAD.
	Method string
	// Pattern is a net/http.ServeMux pattern without the method: "/items/{id}",
	// "/files/{path...}", "/static/" or "example.com/".
	Pattern string
	// Mode is how the handler receives the request body.
	Mode Mode
	// Handler serves the request. On a route with a Datagram handler it is optional and
	// runs first, as the gate of the CONNECT request: a status other than 2xx refuses it.
	Handler http.Handler
	// Datagram, when set, makes the route a CONNECT route whose HTTP datagrams
	// (RFC 9297) go to this handler: the request is answered 200 (unless Handler refused
	// it) and every datagram of the request, and every DATAGRAM capsule on its stream, is
	// handed over until the client ends the stream or the connection ends. Method must
	// be empty or CONNECT.
	Datagram DatagramHandler
	// WebTransport, when set, makes the route a CONNECT route that accepts WebTransport
	// sessions (package wt) and runs this handler with each; the session ends when the
	// handler returns, unless it was closed before. Method must be empty or CONNECT, and
	// Handler and Datagram must be nil.
	WebTransport func(*wt.Session)
}

// name describes the route in error messages.
func (r *Route) name(i int) string {
	if r.Method == "" {
		return fmt.Sprintf("route %d (%q)", i, r.Pattern)
	}
	return fmt.Sprintf("route %d (%s %q)", i, r.Method, r.Pattern)
}

// Options configures a [Table]. The zero value is valid.
type Options struct {
	// BodyLimit is the largest body a Buffered route reads; 0 means DefaultBodyLimit.
	BodyLimit int64
	// Fallback serves requests that no route matches; nil means a 404 (or 405 when
	// another method of the same path has a route).
	Fallback http.Handler
	// Counters, if set, counts the HTTP datagrams of the table's Datagram routes.
	Counters *Counters
}

// Table is a built route table. It implements http.Handler.
type Table struct {
	mux      *http.ServeMux
	routes   []Route
	byPat    map[string]int // ServeMux pattern string to index in routes
	limit    int64
	fallback http.Handler
	counters *Counters
	wt       *wt.Server // nil when no route takes WebTransport sessions
}

// ErrInvalidRoute is wrapped by every error [New] returns for a bad route.
var ErrInvalidRoute = errors.New("router: invalid route")

// New builds a table from routes. It returns an error wrapping [ErrInvalidRoute] that
// names the first route with a malformed pattern, an unknown mode, no handler at all, or
// a pattern that conflicts with an earlier route.
func New(routes []Route, opts Options) (*Table, error) {
	t := &Table{
		mux:      http.NewServeMux(),
		routes:   append([]Route(nil), routes...),
		byPat:    make(map[string]int, len(routes)),
		limit:    opts.BodyLimit,
		fallback: opts.Fallback,
		counters: opts.Counters,
	}
	if t.counters == nil {
		t.counters = new(Counters)
	}
	if t.limit <= 0 {
		t.limit = DefaultBodyLimit
	}
	for i := range t.routes {
		if err := t.add(i); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// add registers route i with the ServeMux, turning ServeMux's panics into errors.
func (t *Table) add(i int) (err error) {
	r := &t.routes[i]
	switch {
	case r.Mode != Buffered && r.Mode != Streaming:
		return fmt.Errorf("%w: %s: unknown mode %d", ErrInvalidRoute, r.name(i), int(r.Mode))
	case r.WebTransport != nil && (r.Handler != nil || r.Datagram != nil ||
		r.Method != "" && r.Method != http.MethodConnect):
		return fmt.Errorf("%w: %s: a WebTransport route must use CONNECT and no other "+
			"handler", ErrInvalidRoute, r.name(i))
	case r.Handler == nil && r.Datagram == nil && r.WebTransport == nil:
		return fmt.Errorf("%w: %s: no handler", ErrInvalidRoute, r.name(i))
	case r.Datagram != nil && r.Method != "" && r.Method != http.MethodConnect:
		return fmt.Errorf("%w: %s: a Datagram route must use CONNECT", ErrInvalidRoute,
			r.name(i))
	case strings.ContainsAny(r.Method, " \t/"):
		return fmt.Errorf("%w: %s: bad method", ErrInvalidRoute, r.name(i))
	case strings.HasPrefix(strings.TrimSpace(r.Pattern), "GET ") ||
		strings.Contains(strings.TrimSpace(r.Pattern), " "):
		return fmt.Errorf("%w: %s: put the method in Route.Method, not in the pattern",
			ErrInvalidRoute, r.name(i))
	}
	pat := r.Pattern
	if r.Datagram != nil || r.WebTransport != nil {
		r.Method = http.MethodConnect
	}
	if r.Method != "" {
		pat = r.Method + " " + r.Pattern
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s: %v", ErrInvalidRoute, r.name(i), p)
		}
	}()
	t.mux.Handle(pat, t.handlerFor(i))
	t.byPat[pat] = i
	return nil
}

// Routes returns a copy of the table's routes in the order they were given.
func (t *Table) Routes() []Route { return append([]Route(nil), t.routes...) }

// BodyLimit returns the limit Buffered routes apply to request bodies.
func (t *Table) BodyLimit() int64 { return t.limit }

// Match returns the route that serves r, or nil when no route does (the request then
// goes to the fallback). It does not set r's path values; ServeHTTP does.
func (t *Table) Match(r *http.Request) *Route {
	_, pat := t.mux.Handler(r)
	i, ok := t.byPat[pat]
	if !ok {
		return nil
	}
	return &t.routes[i]
}

// ServeHTTP dispatches r to the route that matches it, applying the route's body mode,
// or to the fallback.
func (t *Table) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if t.fallback != nil && t.Match(r) == nil {
		t.fallback.ServeHTTP(w, r)
		return
	}
	t.mux.ServeHTTP(w, r)
}

// handlerFor returns the handler registered with the ServeMux for route i.
func (t *Table) handlerFor(i int) http.Handler {
	r := &t.routes[i]
	h := r.Handler
	if r.WebTransport != nil {
		return t.webTransport(r.WebTransport)
	}
	if r.Datagram != nil {
		return &datagramRoute{gate: h, serve: r.Datagram, counters: t.counters}
	}
	if r.Mode == Streaming {
		return h
	}
	return &bufferedHandler{next: h, limit: t.limit}
}

// bufferedHandler reads the whole body, up to limit, before calling next.
type bufferedHandler struct {
	next  http.Handler
	limit int64
}

func (b *bufferedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodConnect {
		b.next.ServeHTTP(w, r)
		return
	}
	if r.ContentLength > b.limit {
		tooLarge(w, r)
		return
	}
	size := r.ContentLength
	if size < 0 || size > b.limit {
		size = 512
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+1))
	n, err := io.Copy(buf, io.LimitReader(r.Body, b.limit+1))
	if n > b.limit {
		tooLarge(w, r)
		return
	}
	if err != nil {
		// The body ended early (reset by the peer, or the connection went away); there is
		// nobody to answer, but a 400 is right if the stream can still carry it.
		r.Body.Close()
		http.Error(w, "request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(buf.Bytes()))
	r.ContentLength = int64(buf.Len())
	b.next.ServeHTTP(w, r)
}

// tooLarge answers 413 and closes the body without reading the rest of it.
func tooLarge(w http.ResponseWriter, r *http.Request) {
	http.Error(w, http.StatusText(http.StatusRequestEntityTooLarge),
		http.StatusRequestEntityTooLarge)
	r.Body.Close()
}
