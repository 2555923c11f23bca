//go:build linux

package udpio

import (
	"errors"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// writeState is the pre-allocated sendmmsg state of a batchConn. Its mutex
// serializes WriteBatch calls.
type writeState struct {
	mu    sync.Mutex
	c     *batchConn
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6
	ctrl  []byte
	owner []int  // index in the caller's batch of the message each header carries
	last  []bool // the header carries the last bytes of its message
	gsoOn []bool // the header carries a UDP_SEGMENT control message
	fn    func(fd uintptr) bool

	// failGSO makes the kernel seem to refuse GSO with EIO. Tests set it to
	// reach the run-time fallback, which loopback never triggers.
	failGSO bool

	k, off int        // headers filled, headers sent so far
	errno  unix.Errno // error of the header at off, if any

	// The fill cursor: the next message, and the next datagram of it when a
	// GSO buffer is being split in software.
	next, seg int
}

func (w *writeState) init(c *batchConn, size int) {
	w.c = c
	w.hdrs, w.iovs, w.names = newHeaders(size)
	w.ctrl = make([]byte, size*ctrlLenWrite)
	w.owner = make([]int, size)
	w.last = make([]bool, size)
	w.gsoOn = make([]bool, size)
	w.fn = w.send
}

func (w *writeState) write(msgs []Message) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next, w.seg = 0, 0
	sent := 0
	for w.next < len(msgs) {
		badErr := w.fill(msgs)
		if w.k == 0 {
			return sent, badErr
		}
		err := w.flush()
		for j := range w.off {
			if w.last[j] {
				sent = w.owner[j] + 1
			}
		}
		if err == nil {
			continue
		}
		if w.errno == unix.EIO && w.isGSO(w.off) && w.c.gso.Swap(false) {
			// A device without checksum offload refuses GSO. Split this
			// and every later buffer in software.
			w.c.log.Warn("udpio: kernel refused GSO; sending single datagrams",
				"local", w.c.uc.LocalAddr().String(), "err", err)
			w.next, w.seg = w.owner[w.off], 0
			continue
		}
		return sent, err
	}
	return sent, nil
}

// fill builds headers from msgs starting at the cursor until the headers or
// the messages run out. It stops before an invalid message and returns its
// error; the message is reported once the headers before it are sent.
func (w *writeState) fill(msgs []Message) error {
	w.k, w.off, w.errno = 0, 0, 0
	gso := w.c.gso.Load()
	for w.k < len(w.hdrs) && w.next < len(msgs) {
		m := &msgs[w.next]
		if w.seg == 0 {
			if err := checkWrite(m); err != nil {
				return err
			}
			if !w.c.v6 && !m.Addr.Addr().Unmap().Is4() {
				return errNoRoute
			}
		}
		nseg := m.NumSegments()
		if nseg <= 1 || gso {
			w.add(m, m.Buf[:m.N], m.SegmentSize, nseg > 1, true)
			w.next++
			continue
		}
		w.add(m, m.Segment(w.seg), 0, false, w.seg == nseg-1)
		if w.seg++; w.seg == nseg {
			w.next, w.seg = w.next+1, 0
		}
	}
	return nil
}

// add fills header w.k with one buffer for m's address; withSeg attaches a
// UDP_SEGMENT control message carrying segSize.
func (w *writeState) add(m *Message, b []byte, segSize int, withSeg, last bool) {
	i := w.k
	h := &w.hdrs[i].Hdr
	h.Namelen = encodeSockaddr(&w.names[i], m.Addr, w.c.v6)
	if len(b) > 0 {
		w.iovs[i].Base = &b[0]
	} else {
		w.iovs[i].Base = nil
	}
	w.iovs[i].SetLen(len(b))
	if !withSeg {
		segSize = 0
	}
	ecn := ECNNotECT
	if w.c.ecn {
		ecn = m.ECN & 0b11
	}
	c := w.ctrl[i*ctrlLenWrite : (i+1)*ctrlLenWrite]
	if n := buildControl(c, segSize, ecn, m.Addr.Addr().Unmap().Is4()); n > 0 {
		h.Control = &c[0]
		h.SetControllen(n)
	} else {
		h.Control = nil
		h.SetControllen(0)
	}
	w.owner[i] = w.next
	w.last[i] = last
	w.gsoOn[i] = segSize > 0
	w.k++
}

// isGSO reports whether header i carries a UDP_SEGMENT control message.
func (w *writeState) isGSO(i int) bool {
	return i < w.k && w.gsoOn[i]
}

// errNoRoute is returned for an IPv6 peer on an IPv4 socket.
var errNoRoute = errors.New("udpio: peer address family does not match the socket")

// flush sends headers [0, k) and sets off to the number sent.
func (w *writeState) flush() error {
	defer w.release()
	if err := w.c.rc.Write(w.fn); err != nil {
		return err
	}
	if w.errno != 0 {
		return sysErr("sendmmsg", w.errno)
	}
	return nil
}

// release drops the references to the caller's buffers.
func (w *writeState) release() {
	for i := range w.k {
		w.iovs[i].Base = nil
	}
}

// send runs sendmmsg until every header is sent, the socket is full (false:
// the netpoller waits for room), or a header fails.
func (w *writeState) send(fd uintptr) bool {
	for w.off < w.k {
		if w.failGSO && w.isGSO(w.off) {
			w.errno = unix.EIO
			return true
		}
		n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, fd,
			uintptr(unsafe.Pointer(&w.hdrs[w.off])), uintptr(w.k-w.off), 0, 0, 0)
		switch errno {
		case 0:
			w.off += int(n)
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			w.errno = errno
			return true
		}
	}
	return true
}
