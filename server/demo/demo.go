package demo

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/peregrine-h3/peregrine/router"
	"github.com/peregrine-h3/peregrine/server"
)

// EchoALPN is the ALPN protocol of the raw QUIC datagram echo.
const EchoALPN = "peregrine-echo"

// MaxBytes is the largest n that GET /bytes/{n} serves.
const MaxBytes = 1 << 30

//go:embed site/index.html
var indexHTML string

var indexTmpl = template.Must(template.New("index").Parse(indexHTML))

// Apply sets the demo's routes, fallback and QUIC datagram echo in opts. stats reports
// the server's statistics for GET /stats; it is called only after the server runs. With
// a non-nil root, the files under root replace the index page.
func Apply(opts *server.Options, stats func() server.Stats, root *os.Root) {
	opts.Routes = append(opts.Routes, Routes(stats)...)
	if root != nil {
		opts.Fallback = server.FileServer(root)
	} else {
		opts.Routes = append(opts.Routes, router.Route{Method: http.MethodGet,
			Pattern: "/{$}", Handler: http.HandlerFunc(index)})
	}
	opts.RawALPNs = append(opts.RawALPNs, EchoALPN)
	opts.QUICDatagram = func(dc *server.QUICDatagramContext, p []byte) { dc.Reply(p) }
}

// Routes returns the demo's API routes, without the index page.
func Routes(stats func() server.Stats) []router.Route {
	return []router.Route{
		{Method: http.MethodGet, Pattern: "/bytes/{n}", Handler: http.HandlerFunc(bytesN)},
		{Method: http.MethodPost, Pattern: "/echo", Handler: http.HandlerFunc(echo)},
		{Method: http.MethodPost, Pattern: "/upload", Mode: router.Streaming,
			Handler: http.HandlerFunc(upload)},
		{Pattern: "/dgram/echo", Datagram: func(dc *router.DatagramContext, p []byte) {
			dc.Send(p)
		}},
		{Pattern: "/wt", WebTransport: WebTransportEcho},
		{Method: http.MethodGet, Pattern: "/stats", Handler: http.HandlerFunc(
			func(w http.ResponseWriter, r *http.Request) { writeJSON(w, stats()) })},
	}
}

func index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	indexTmpl.Execute(w, struct{ Proto, EchoALPN string }{r.Proto, EchoALPN})
}

// zeros is the block GET /bytes/{n} repeats.
var zeros = make([]byte, 64<<10)

func bytesN(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n < 0 || n > MaxBytes {
		http.Error(w, "n must be a number from 0 to "+strconv.Itoa(MaxBytes),
			http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return
		}
		n -= k
	}
}

func echo(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	w.Header().Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	io.Copy(w, r.Body)
}

// UploadResult is the JSON answer of POST /upload, a plain value.
type UploadResult struct {
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

func upload(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, UploadResult{Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
