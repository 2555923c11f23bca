package server

import (
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"net/http"
	"os"
	"path"
	"strings"
)

// ServeFile answers r with the file name inside root, through http.ServeContent: Range
// requests get 206 with the ranges asked for, conditional requests (If-None-Match,
// If-Modified-Since and their If- siblings) get 304 or 412, and Content-Type comes from
// the extension or, failing that, the first bytes. An ETag is derived from the size and
// modification time. A directory is served by its index.html. Since the file is opened
// through an os.Root, a name with ".." or a symbolic link cannot reach outside root; such
// names, like missing files, get 404.
func ServeFile(w http.ResponseWriter, r *http.Request, root *os.Root, name string) {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if name == "" {
		name = "."
	}
	f, err := root.Open(name)
	if err != nil {
		fileError(w, err)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		fileError(w, err)
		return
	}
	if info.IsDir() {
		f.Close()
		if f, err = root.Open(path.Join(name, "index.html")); err != nil {
			fileError(w, err)
			return
		}
		defer f.Close()
		if info, err = f.Stat(); err != nil || info.IsDir() {
			http.NotFound(w, r)
			return
		}
	}
	if _, ok := w.Header()["Etag"]; !ok {
		w.Header().Set("ETag", fmt.Sprintf(`W/"%x-%x"`, info.Size(), info.ModTime().UnixNano()))
	}
	http.ServeContent(w, r, info.Name(), info.ModTime(), f)
}

// fileError answers for a file that could not be opened.
func fileError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission),
		strings.Contains(err.Error(), "escapes"):
		http.Error(w, "404 page not found", http.StatusNotFound)
	default:
		http.Error(w, "cannot read the file", http.StatusInternalServerError)
	}
}

// FileServer returns a handler that serves the files under root with [ServeFile]. The
// file's name is the route's {path...} wildcard when the pattern has one, otherwise the
// request's URL path.
func FileServer(root *os.Root) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("path")
		if name == "" {
			name = r.URL.Path
		}
		ServeFile(w, r, root, name)
	})
}

// Stream writes each chunk seq yields as response body and flushes it at once, so that
// the client gets every chunk as it is produced. It stops at the first error from seq or
// from the writer and returns it; an error from seq before anything was written is
// answered 500. seq should stop when r's context ends. The header is sent with the first
// chunk, so set it before calling Stream.
func Stream(w http.ResponseWriter, seq iter.Seq2[[]byte, error]) error {
	rc := http.NewResponseController(w)
	wrote := false
	for chunk, err := range seq {
		if err != nil {
			if !wrote {
				http.Error(w, http.StatusText(http.StatusInternalServerError),
					http.StatusInternalServerError)
			}
			return err
		}
		if len(chunk) == 0 {
			continue
		}
		if _, err := w.Write(chunk); err != nil {
			return err
		}
		wrote = true
		if err := rc.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// StreamBytes is [Stream] for a sequence that cannot fail.
func StreamBytes(w http.ResponseWriter, seq iter.Seq[[]byte]) error {
	return Stream(w, func(yield func([]byte, error) bool) {
		for b := range seq {
			if !yield(b, nil) {
				return
			}
		}
	})
}
