package h3

import (
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// requestHead is a validated request header section.
type requestHead struct {
	method, scheme, authority, path, protocol string
	header                                    http.Header
	contentLength                             int64 // -1: not given
}

// responseHead is a validated response header section.
type responseHead struct {
	status        int
	header        http.Header
	contentLength int64 // -1: not given
}

// malformed returns the stream error for a malformed message
// (RFC 9114, Section 4.1.2).
func malformed(format string, args ...any) *Error {
	return streamError(ErrCodeMessageError, format, args...)
}

// isConnectionSpecific reports fields HTTP/3 forbids (RFC 9114, Section 4.2).
func isConnectionSpecific(name string) bool {
	switch name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return true
	}
	return false
}

// checkField validates one regular field line: a lowercase, valid name, a
// valid value, and no connection-specific field (RFC 9114, Sections 4.2 and
// 4.1.2).
func checkField(f hfield) error {
	if !validFieldName(f.name) {
		return malformed("invalid field name %q", f.name)
	}
	for i := 0; i < len(f.name); i++ {
		if c := f.name[i]; 'A' <= c && c <= 'Z' {
			return malformed("uppercase field name %q", f.name)
		}
	}
	if !validFieldValue(f.value) {
		return malformed("invalid value for field %q", f.name)
	}
	if isConnectionSpecific(f.name) {
		return malformed("connection-specific field %q", f.name)
	}
	if f.name == "te" && f.value != "trailers" {
		return malformed("te field %q", f.value)
	}
	return nil
}

// addRegular validates a regular field and adds it to h. Cookie fields are
// joined as RFC 9114, Section 4.2.1 describes.
func addRegular(h http.Header, f hfield) error {
	if err := checkField(f); err != nil {
		return err
	}
	key := textproto.CanonicalMIMEHeaderKey(f.name)
	if key == "Cookie" {
		if old, ok := h[key]; ok {
			h[key] = []string{old[0] + "; " + f.value}
			return nil
		}
	}
	h[key] = append(h[key], f.value)
	return nil
}

// parseContentLength returns the content length in h, or -1; differing or
// invalid values make the message malformed.
func parseContentLength(h http.Header) (int64, error) {
	vals := h["Content-Length"]
	if len(vals) == 0 {
		return -1, nil
	}
	n, err := strconv.ParseInt(vals[0], 10, 64)
	if err != nil || n < 0 || vals[0][0] == '+' {
		return -1, malformed("invalid content-length %q", vals[0])
	}
	for _, v := range vals[1:] {
		if v != vals[0] {
			return -1, malformed("conflicting content-length values")
		}
	}
	return n, nil
}

// parseRequestHead validates a request header section (RFC 9114, Sections
// 4.1.2, 4.3.1 and 4.4; RFC 9220, Section 3 when extConnect is true).
func parseRequestHead(fields []hfield, extConnect bool) (*requestHead, error) {
	rh := &requestHead{header: make(http.Header, len(fields))}
	pseudoDone := false
	for _, f := range fields {
		if !strings.HasPrefix(f.name, ":") {
			pseudoDone = true
			if err := addRegular(rh.header, f); err != nil {
				return nil, err
			}
			continue
		}
		if pseudoDone {
			return nil, malformed("pseudo-header %q after regular fields", f.name)
		}
		var dst *string
		switch f.name {
		case ":method":
			dst = &rh.method
		case ":scheme":
			dst = &rh.scheme
		case ":authority":
			dst = &rh.authority
		case ":path":
			dst = &rh.path
		case ":protocol":
			if !extConnect {
				return nil, malformed(":protocol without extended CONNECT")
			}
			dst = &rh.protocol
		default:
			return nil, malformed("pseudo-header %q in a request", f.name)
		}
		if *dst != "" || f.value == "" {
			return nil, malformed("repeated or empty %s", f.name)
		}
		*dst = f.value
	}
	if err := rh.check(); err != nil {
		return nil, err
	}
	cl, err := parseContentLength(rh.header)
	rh.contentLength = cl
	return rh, err
}

// check applies the rules on which pseudo-headers a request carries.
func (rh *requestHead) check() error {
	if rh.method == "" {
		return malformed("missing :method")
	}
	if !validAuthority(rh.authority) {
		return malformed("invalid :authority")
	}
	if rh.method == http.MethodConnect && rh.protocol == "" {
		// RFC 9114, Section 4.4.
		if rh.scheme != "" || rh.path != "" || rh.authority == "" {
			return malformed("CONNECT with :scheme or :path, or without :authority")
		}
		return nil
	}
	if rh.protocol != "" && (rh.method != http.MethodConnect || rh.authority == "") {
		// RFC 9220, Section 3 (and RFC 8441, Section 4).
		return malformed(":protocol on a %s request or without :authority", rh.method)
	}
	if rh.scheme == "" || rh.path == "" {
		return malformed("missing :scheme or :path")
	}
	if rh.scheme == "http" || rh.scheme == "https" {
		// RFC 9114, Section 4.3.1: an authority, and a Host that agrees.
		host := rh.header.Get("Host")
		if rh.authority == "" && host == "" {
			return malformed("missing :authority and host")
		}
		if rh.authority != "" && host != "" && host != rh.authority {
			return malformed(":authority and host disagree")
		}
		if rh.authority == "" {
			rh.authority = host
		}
	}
	return nil
}

// parseResponseHead validates a response header section
// (RFC 9114, Sections 4.1.2 and 4.3.2).
func parseResponseHead(fields []hfield) (*responseHead, error) {
	rh := &responseHead{header: make(http.Header, len(fields))}
	pseudoDone := false
	for _, f := range fields {
		if !strings.HasPrefix(f.name, ":") {
			pseudoDone = true
			if err := addRegular(rh.header, f); err != nil {
				return nil, err
			}
			continue
		}
		if pseudoDone || f.name != ":status" || rh.status != 0 {
			return nil, malformed("unexpected pseudo-header %q", f.name)
		}
		s, err := strconv.Atoi(f.value)
		if err != nil || len(f.value) != 3 || s < 100 || s == 101 {
			return nil, malformed("invalid :status %q", f.value)
		}
		rh.status = s
	}
	if rh.status == 0 {
		return nil, malformed("missing :status")
	}
	cl, err := parseContentLength(rh.header)
	rh.contentLength = cl
	return rh, err
}

// parseTrailers validates a trailer section: no pseudo-headers
// (RFC 9114, Section 4.3).
func parseTrailers(fields []hfield) (http.Header, error) {
	h := make(http.Header, len(fields))
	for _, f := range fields {
		if strings.HasPrefix(f.name, ":") {
			return nil, malformed("pseudo-header %q in trailers", f.name)
		}
		if err := addRegular(h, f); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// appendHeaderFields appends h as field lines with lowercase names, leaving
// out connection-specific fields, Host, and the keys in skip.
func appendHeaderFields(fields []hfield, h http.Header, skip func(string) bool) []hfield {
	for k, vs := range h {
		name := strings.ToLower(k)
		if isConnectionSpecific(name) || name == "host" || (skip != nil && skip(k)) {
			continue
		}
		if !validFieldName(k) {
			continue
		}
		for _, v := range vs {
			if name == "te" && v != "trailers" {
				continue
			}
			if !validFieldValue(v) {
				continue
			}
			fields = append(fields, hfield{name, v})
		}
	}
	return fields
}

// validFieldName reports whether name is a token (RFC 9110, Section 5.1).
func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// validFieldValue reports whether v matches field-content (RFC 9110, Section
// 5.5): visible characters, obs-text and inner spaces and tabs, which RFC
// 9114, Section 10.3 requires of every value.
func validFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return v == "" || (!isSpace(v[0]) && !isSpace(v[len(v)-1]))
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// validAuthority reports whether an :authority value holds only characters
// allowed in a host and port, and no userinfo (RFC 9114, Section 4.3.1).
func validAuthority(a string) bool {
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c <= ' ' || c >= 0x7f || c == '@' || c == '/' || c == '?' || c == '#' {
			return false
		}
	}
	return true
}
