package router

import (
	"net/http"

	"github.com/peregrine-h3/peregrine/wt"
)

// webTransport returns the handler of a WebTransport route: the request is upgraded by
// the table's wt.Server and fn runs with the session, which is closed (code 0) when fn
// returns and has not closed it.
func (t *Table) webTransport(fn func(*wt.Session)) http.Handler {
	if t.wt == nil {
		t.wt = &wt.Server{}
	}
	return t.wt.Handler(func(s *wt.Session) {
		fn(s)
		s.CloseWithError(0, "")
	})
}

// WebTransport returns the wt.Server that accepts the sessions of the table's
// WebTransport routes, or nil when no route takes sessions. The HTTP/3 server that
// serves the table must be prepared with its Configure method before it serves.
func (t *Table) WebTransport() *wt.Server { return t.wt }
