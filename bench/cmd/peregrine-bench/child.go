package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/peregrine-h3/peregrine/bench"
)

// A child is a benchmark server running in a child process: this binary
// re-executed with -serve. It answers "usage" lines on its stdin with its own
// CPU time and allocation count, and exits when its stdin closes.
type child struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	addr net.Addr
}

// writeCert stores cert in dir for children to load.
func writeCert(dir string, cert *bench.Cert) error {
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), cert.CertPEM, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "key.pem"), cert.KeyPEM, 0o600)
}

// startChild starts a server of the given kind ("quic" or "h3") and stack,
// which writes a CPU profile to profile unless it is empty.
func startChild(kind string, stack bench.Stack, certDir, profile string,
	body int) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve", kind+"-"+string(stack), "-certdir", certDir,
		"-body", strconv.Itoa(body), "-cpuprofile", profile)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewReader(outPipe)}
	line, err := c.out.ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "addr ")
	if err != nil || !ok {
		c.stop()
		return nil, fmt.Errorf("server %s-%s did not start: %q, %v", kind, stack, line, err)
	}
	if c.addr, err = net.ResolveUDPAddr("udp", addr); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// usage asks the child for its resource use so far.
func (c *child) usage() (bench.Usage, error) {
	if _, err := io.WriteString(c.in, "usage\n"); err != nil {
		return bench.Usage{}, err
	}
	line, err := c.out.ReadString('\n')
	if err != nil {
		return bench.Usage{}, err
	}
	var cpu int64
	var u bench.Usage
	if _, err := fmt.Sscanf(line, "usage %d %d", &cpu, &u.Allocs); err != nil {
		return bench.Usage{}, fmt.Errorf("server usage %q: %v", line, err)
	}
	u.CPU = time.Duration(cpu)
	return u, nil
}

// stop closes the child's stdin and waits for it to exit.
func (c *child) stop() error {
	c.in.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		return <-done
	}
}

// serve is the child's side: start the server named by what, print its
// address, answer usage requests until stdin closes.
func serve(what, certDir, profile string, body int) error {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	certPEM, err := os.ReadFile(filepath.Join(certDir, "cert.pem"))
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(filepath.Join(certDir, "key.pem"))
	if err != nil {
		return err
	}
	cert, err := bench.ParseCert(certPEM, keyPEM)
	if err != nil {
		return err
	}
	kind, name, _ := strings.Cut(what, "-")
	stack, err := bench.ParseStack(name)
	if err != nil {
		return err
	}
	var srv *bench.Server
	switch kind {
	case "quic":
		srv, err = bench.ListenQUIC(stack, cert)
	case "h3":
		srv, err = bench.ListenH3(stack, cert, body)
	default:
		err = fmt.Errorf("unknown server kind %q", kind)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Printf("addr %s\n", srv.Addr())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() == "usage" {
			u := bench.ReadUsage()
			fmt.Printf("usage %d %d\n", int64(u.CPU), u.Allocs)
		}
	}
	return sc.Err()
}
