module github.com/peregrine-h3/peregrine

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	golang.org/x/crypto v0.59.0
	golang.org/x/sys v0.50.0
)
