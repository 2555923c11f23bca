package qpack

// A staticEntry is one line of the static table.
type staticEntry struct {
	name, value string
}

// staticKey is a field as a map key.
type staticKey struct {
	name, value string
}

// Static table indexes for the encoder, built from staticTable.
var (
	// staticByField maps a name and value to their static index.
	staticByField = make(map[staticKey]uint8, len(staticTable))
	// staticByName maps a name to the smallest static index with that name.
	staticByName = make(map[string]uint8, len(staticTable))
)

func init() {
	for i, e := range staticTable {
		staticByField[staticKey(e)] = uint8(i)
		if _, ok := staticByName[e.name]; !ok {
			staticByName[e.name] = uint8(i)
		}
	}
}
