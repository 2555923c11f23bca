package server

import (
	"errors"
	"iter"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("0123456789"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "index.html"), []byte("<p>hi</p>"), 0o644)
	os.WriteFile(filepath.Join(t.TempDir(), "secret"), []byte("s"), 0o644)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	h := FileServer(root)
	get := func(path string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/x", nil)
		req.URL.Path = path
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if r := get("/a.txt"); r.Code != 200 || r.Body.String() != "0123456789" ||
		!strings.HasPrefix(r.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("whole file: %d %q %q", r.Code, r.Body, r.Header().Get("Content-Type"))
	}
	if r := get("/a.txt", "Range", "bytes=2-4"); r.Code != 206 || r.Body.String() != "234" {
		t.Fatalf("range: %d %q", r.Code, r.Body)
	}
	etag := get("/a.txt").Header().Get("ETag")
	if r := get("/a.txt", "If-None-Match", etag); etag == "" || r.Code != 304 {
		t.Fatalf("If-None-Match %q: %d", etag, r.Code)
	}
	if r := get("/sub/"); r.Code != 200 || r.Body.String() != "<p>hi</p>" {
		t.Fatalf("directory index: %d %q", r.Code, r.Body)
	}
	for _, p := range []string{"/../secret", "/nope", "/../../etc/passwd"} {
		if r := get(p); r.Code != 404 {
			t.Errorf("%s: %d, want 404", p, r.Code)
		}
	}
}

func TestStream(t *testing.T) {
	rec := httptest.NewRecorder()
	err := StreamBytes(rec, func(yield func([]byte) bool) {
		for _, s := range []string{"a", "", "bc", "d"} {
			if !yield([]byte(s)) {
				return
			}
		}
	})
	if err != nil || rec.Body.String() != "abcd" || !rec.Flushed {
		t.Fatalf("StreamBytes: %v %q flushed=%v", err, rec.Body, rec.Flushed)
	}
	boom := errors.New("boom")
	var seq iter.Seq2[[]byte, error] = func(yield func([]byte, error) bool) {
		yield(nil, boom)
	}
	rec = httptest.NewRecorder()
	if err := Stream(rec, seq); err != boom || rec.Code != http.StatusInternalServerError {
		t.Fatalf("failing sequence: %v, code %d", err, rec.Code)
	}
}
