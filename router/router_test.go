package router

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// countingReader counts how many bytes were read from it.
type countingReader struct {
	r      io.Reader
	n      int64
	closed bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Close() error { c.closed = true; return nil }

func echoLen(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("X-Content-Length", strconv.FormatInt(r.ContentLength, 10))
	io.WriteString(w, strconv.Itoa(len(b)))
}

func mustNew(t *testing.T, routes []Route, opts Options) *Table {
	t.Helper()
	tab, err := New(routes, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return tab
}

func TestPathValuesAndMethods(t *testing.T) {
	write := func(prefix string, f func(*http.Request) string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, prefix+" "+f(r))
		})
	}
	tab := mustNew(t, []Route{
		{Method: "GET", Pattern: "/items/{id}",
			Handler: write("item", func(r *http.Request) string { return r.PathValue("id") })},
		{Pattern: "/files/{path...}",
			Handler: write("file", func(r *http.Request) string { return r.PathValue("path") })},
		{Method: "POST", Pattern: "/static/",
			Handler: write("tree", func(r *http.Request) string { return r.URL.Path })},
	}, Options{})
	tests := []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/items/42", 200, "item 42"},
		{"HEAD", "/items/42", 200, ""},
		{"DELETE", "/items/42", 405, ""},
		{"PUT", "/files/a/b/c.txt", 200, "file a/b/c.txt"},
		{"POST", "/static/x/y", 200, "tree /static/x/y"},
		{"GET", "/nothing", 404, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		tab.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.code {
			t.Errorf("%s %s: code %d, want %d", tt.method, tt.path, rec.Code, tt.code)
		}
		if tt.code == 200 && tt.method != "HEAD" && rec.Body.String() != tt.body {
			t.Errorf("%s %s: body %q, want %q", tt.method, tt.path, rec.Body, tt.body)
		}
	}
}

func TestConstructionErrors(t *testing.T) {
	ok := http.NotFoundHandler()
	tests := []struct {
		name   string
		routes []Route
		want   string
	}{
		{"conflict", []Route{{Pattern: "/a/{x}", Handler: ok}, {Pattern: "/a/{y}", Handler: ok}},
			`route 1 ("/a/{y}")`},
		{"duplicate", []Route{{Method: "GET", Pattern: "/a", Handler: ok},
			{Method: "GET", Pattern: "/a", Handler: ok}}, `route 1 (GET "/a")`},
		{"malformed", []Route{{Pattern: "/a/{x", Handler: ok}}, `route 0 ("/a/{x")`},
		{"no handler", []Route{{Pattern: "/a"}}, "no handler"},
		{"bad mode", []Route{{Pattern: "/a", Mode: 7, Handler: ok}}, "unknown mode"},
		{"method in pattern", []Route{{Pattern: "GET /a", Handler: ok}}, "Route.Method"},
		{"empty pattern", []Route{{Pattern: "", Handler: ok}}, `route 0 ("")`},
	}
	for _, tt := range tests {
		_, err := New(tt.routes, Options{})
		if err == nil {
			t.Errorf("%s: New succeeded", tt.name)
			continue
		}
		if !errors.Is(err, ErrInvalidRoute) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q, want ErrInvalidRoute naming %q", tt.name, err, tt.want)
		}
	}
}

func TestBufferedBody(t *testing.T) {
	const limit = 1000
	var ran int
	tab := mustNew(t, []Route{{Method: "POST", Pattern: "/echo", Handler: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { ran++; echoLen(w, r) })}},
		Options{BodyLimit: limit})
	tests := []struct {
		name      string
		size      int
		known     bool // Content-Length set
		code      int
		maxRead   int64
		ranBefore int
	}{
		{"empty", 0, true, 200, 0, 1},
		{"small known", 10, true, 200, 11, 1},
		{"exact limit", limit, true, 200, limit + 1, 1},
		{"over limit known", limit + 1, true, 413, 0, 0},
		{"at limit unknown", limit, false, 200, limit + 1, 1},
		{"over limit unknown", 50 * limit, false, 413, limit + 1, 0},
	}
	for _, tt := range tests {
		ran = 0
		body := &countingReader{r: strings.NewReader(strings.Repeat("x", tt.size))}
		req := httptest.NewRequest("POST", "/echo", nil)
		req.Body = body
		req.ContentLength = -1
		if tt.known {
			req.ContentLength = int64(tt.size)
		}
		rec := httptest.NewRecorder()
		tab.ServeHTTP(rec, req)
		if rec.Code != tt.code || ran != tt.ranBefore {
			t.Errorf("%s: code %d ran %d, want %d ran %d", tt.name, rec.Code, ran, tt.code,
				tt.ranBefore)
		}
		if body.n > tt.maxRead {
			t.Errorf("%s: read %d bytes of the body, want at most %d", tt.name, body.n, tt.maxRead)
		}
		if tt.code == 200 {
			if got := rec.Body.String(); got != strconv.Itoa(tt.size) {
				t.Errorf("%s: handler saw %s bytes, want %d", tt.name, got, tt.size)
			}
			if got := rec.Header().Get("X-Content-Length"); got != strconv.Itoa(tt.size) {
				t.Errorf("%s: ContentLength %s, want %d", tt.name, got, tt.size)
			}
		}
		if tt.code == 413 && !body.closed {
			t.Errorf("%s: body not closed after 413", tt.name)
		}
	}
}

func TestStreamingBodyHasNoLimit(t *testing.T) {
	const size = 5 << 20
	var sawPartial bool
	tab := mustNew(t, []Route{{Method: "POST", Pattern: "/upload", Mode: Streaming,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The handler must see the original, unread body.
			cr := r.Body.(*countingReader)
			sawPartial = cr.n == 0
			echoLen(w, r)
		})}}, Options{BodyLimit: 100})
	req := httptest.NewRequest("POST", "/upload", nil)
	req.Body = &countingReader{r: io.LimitReader(zeroReader{}, size)}
	rec := httptest.NewRecorder()
	tab.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != strconv.Itoa(size) || !sawPartial {
		t.Fatalf("code %d body %q unread-at-start %v", rec.Code, rec.Body, sawPartial)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestFallbackAndMatch(t *testing.T) {
	tab := mustNew(t, []Route{
		{Method: "CONNECT", Pattern: "/wt", Handler: http.NotFoundHandler()},
		{Method: "GET", Pattern: "/a", Handler: http.NotFoundHandler()},
	}, Options{Fallback: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(418)
	})})
	// An extended CONNECT request as the HTTP/3 server builds it.
	req := &http.Request{Method: "CONNECT", Host: "example.com", Header: http.Header{},
		URL: &url.URL{Scheme: "https", Host: "example.com", Path: "/wt"}}
	if r := tab.Match(req); r == nil || r.Pattern != "/wt" {
		t.Fatalf("CONNECT /wt matched %+v", r)
	}
	if r := tab.Match(httptest.NewRequest("GET", "/wt", nil)); r != nil {
		t.Fatalf("GET /wt matched %+v, want nil", r)
	}
	rec := httptest.NewRecorder()
	tab.ServeHTTP(rec, httptest.NewRequest("GET", "/zzz", nil))
	if rec.Code != 418 {
		t.Fatalf("unmatched request: code %d, want the fallback's 418", rec.Code)
	}
}
