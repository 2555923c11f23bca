package router

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestDatagramRouteValidation(t *testing.T) {
	dg := func(*DatagramContext, []byte) {}
	_, err := New([]Route{{Method: "GET", Pattern: "/d", Datagram: dg}}, Options{})
	if !errors.Is(err, ErrInvalidRoute) || !strings.Contains(err.Error(), "CONNECT") {
		t.Fatalf("GET route with a Datagram handler: %v", err)
	}
	routes := []Route{{Pattern: "/d", Datagram: dg}}
	tab, err := New(routes, Options{})
	if err != nil {
		t.Fatalf("Datagram route without Handler: %v", err)
	}
	if routes[0].Method != "" || tab.Routes()[0].Method != "CONNECT" {
		t.Fatalf("caller's route %+v, table's %+v; want the table's alone set to CONNECT",
			routes[0], tab.Routes()[0])
	}
	// A Datagram route answers CONNECT only.
	req := &http.Request{Method: "CONNECT", Host: "x", Header: http.Header{},
		URL: mustURL(t, "https://x/d")}
	if m := tab.Match(req); m == nil || m.Method != "CONNECT" {
		t.Fatalf("CONNECT /d matched %+v", m)
	}
	rec := httptest.NewRecorder()
	tab.ServeHTTP(rec, httptest.NewRequest("GET", "/d", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET on a Datagram route: %d, want 405", rec.Code)
	}
}

func TestDatagramRouteGateAndTransport(t *testing.T) {
	var delivered int
	dg := func(*DatagramContext, []byte) { delivered++ }
	tab, err := New([]Route{
		{Pattern: "/closed", Datagram: dg, Handler: http.HandlerFunc(
			func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "no", http.StatusForbidden)
			})},
		{Pattern: "/open", Datagram: dg},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	connect := func(path string) int {
		req := &http.Request{Method: "CONNECT", Host: "x", Header: http.Header{
			":protocol": {"datagrams"}}, URL: mustURL(t, "https://x"+path)}
		rec := httptest.NewRecorder()
		tab.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := connect("/closed"); code != http.StatusForbidden {
		t.Fatalf("gate refusing: %d, want 403", code)
	}
	// httptest's writer is not HTTP/3: datagrams are impossible there.
	if code := connect("/open"); code != http.StatusNotImplemented {
		t.Fatalf("Datagram route over a non-HTTP/3 writer: %d, want 501", code)
	}
	if delivered != 0 {
		t.Fatalf("%d datagrams delivered without a flow", delivered)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
