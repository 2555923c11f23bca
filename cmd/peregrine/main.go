package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  peregrine serve [-addr :4433] [-root DIR] [-cert FILE -key FILE] [-cert-out DIR]
          [-no-tcp] [-v]
  peregrine get [-X METHOD] [-H 'Name: value']... [-d DATA|@FILE] [-o FILE] [-k]
          [-cacert FILE] [-timeout 30s] [-connect-timeout 5s] [-protocol NAME] [-v]
          URL...
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
