// Command peregrine runs Peregrine's HTTP/3 server with a demo site and fetches URLs over
// HTTP/3.
//
//	peregrine serve [-addr :4433] [-root DIR] [-cert FILE -key FILE] [-cert-out DIR] [-v]
//	peregrine get [-X METHOD] [-H 'Name: value']... [-d DATA|@FILE] [-o FILE] [-k] [-v] URL...
//
// serve with no -root serves the demo site embedded in the binary (package
// server/demo); with no -cert it generates a development certificate and prints how to
// open the site in Chromium. SIGINT or SIGTERM shuts it down gracefully; a second one
// closes at once.
//
// get is a small curl over HTTP/3: -v prints the request and response headers and the
// timings (handshake, first byte, total) on standard error.
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  peregrine serve [-addr :4433] [-root DIR] [-cert FILE -key FILE] [-cert-out DIR] [-v]
  peregrine get [-X METHOD] [-H 'Name: value']... [-d DATA|@FILE] [-o FILE] [-k] [-v] URL...
Run "peregrine serve -h" or "peregrine get -h" for the flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "get":
		err = get(os.Args[2:], os.Stdout, os.Stderr)
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "peregrine: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peregrine:", err)
		os.Exit(1)
	}
}
