package server

import (
	"fmt"
	"net/http"
	"runtime"
)

// A PanicError is what Options.ErrorHandler gets when a handler panicked. It is not
// modified after it is made, so it may be shared between goroutines.
type PanicError struct {
	Value any    // what the handler panicked with
	Stack []byte // the goroutine's stack at the panic
}

// Error describes the panic.
func (e *PanicError) Error() string { return fmt.Sprintf("server: handler panic: %v", e.Value) }

// guard counts requests and turns a handler panic into a 500 response and a call of the
// error handler, so that one bad request never stops the server.
type guard struct {
	s    *Server
	next http.Handler
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.s.st.reqsTotal.Add(1)
	g.s.st.reqsInFlight.Add(1)
	defer g.s.st.reqsInFlight.Add(-1)
	tw := &trackWriter{ResponseWriter: w}
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		buf := make([]byte, 16<<10)
		buf = buf[:runtime.Stack(buf, false)]
		perr := &PanicError{Value: v, Stack: buf}
		g.s.log.Error("handler panic", "method", r.Method, "uri", r.RequestURI,
			"proto", r.Proto, "panic", fmt.Sprint(v))
		if g.s.opts.ErrorHandler != nil {
			g.s.opts.ErrorHandler(r, perr)
		}
		if tw.wrote || r.Method == http.MethodConnect {
			// The response has begun: the only honest thing left is to abort it, which
			// resets the HTTP/3 stream or closes the HTTP/1.1 connection.
			panic(http.ErrAbortHandler)
		}
		http.Error(w, http.StatusText(http.StatusInternalServerError),
			http.StatusInternalServerError)
	}()
	g.next.ServeHTTP(tw, r)
}

// trackWriter records whether a response has begun.
type trackWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackWriter) WriteHeader(code int) {
	if code >= 200 {
		t.wrote = true
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackWriter) Write(p []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(p)
}

// Flush sends what is buffered (http.Flusher), when the writer underneath can.
func (t *trackWriter) Flush() {
	t.wrote = true
	http.NewResponseController(t.ResponseWriter).Flush()
}

// Unwrap returns the writer underneath, for http.ResponseController and for the router's
// search for the HTTP/3 stream.
func (t *trackWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
