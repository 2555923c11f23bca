package qpack

// A HeaderField is one field line of a field section: a header or trailer
// field, or a pseudo-header. It is a plain value; the Encoder and Decoder
// keep no reference to the HeaderFields they are given or return.
type HeaderField struct {
	Name  string
	Value string
	// Sensitive marks a field that must never be added to a dynamic table,
	// here or by an intermediary: the encoder sends it as a literal with the
	// never-indexed bit (RFC 9204, Section 7.1.3), and the decoder sets it
	// when that bit is present. The encoder also treats authorization,
	// proxy-authorization, cookie and set-cookie fields as sensitive.
	Sensitive bool
}

// Size returns the size of the field as RFC 9114, Section 4.2.2 counts it
// against SETTINGS_MAX_FIELD_SECTION_SIZE: the lengths of name and value
// plus 32.
func (f HeaderField) Size() uint64 {
	return fieldSize(f.Name, f.Value)
}

// alwaysSensitive reports whether a field with this name is sent as a
// never-indexed literal whatever its Sensitive flag says, because its values
// are secrets that an attacker could guess one probe at a time (RFC 9204,
// Section 7.1).
func alwaysSensitive(name string) bool {
	switch name {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	return false
}
