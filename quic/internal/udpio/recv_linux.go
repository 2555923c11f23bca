//go:build linux

package udpio

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// readState is the pre-allocated recvmmsg state of a batchConn. Its mutex
// serializes ReadBatch calls.
type readState struct {
	mu    sync.Mutex
	c     *batchConn
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6
	ctrl  []byte
	fn    func(fd uintptr) bool // r.recv, bound once to avoid an allocation per call

	k     int        // messages offered to the kernel
	n     int        // messages received
	errno unix.Errno // error of the last recvmmsg
}

func (r *readState) init(c *batchConn, size int) {
	r.c = c
	r.hdrs, r.iovs, r.names = newHeaders(size)
	if c.gro || c.ecn {
		r.ctrl = make([]byte, size*ctrlLenRead)
	}
	r.fn = r.recv
}

func (r *readState) read(msgs []Message) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.k = min(len(msgs), len(r.hdrs))
	r.prepare(msgs[:r.k])
	err := r.c.rc.Read(r.fn)
	r.release()
	if err != nil {
		return 0, err
	}
	if r.errno != 0 {
		return 0, sysErr("recvmmsg", r.errno)
	}
	for i := range r.n {
		r.finish(i, &msgs[i])
	}
	return r.n, nil
}

// prepare points the headers at the caller's buffers.
func (r *readState) prepare(msgs []Message) {
	for i := range msgs {
		buf := msgs[i].Buf
		if len(buf) > 0 {
			r.iovs[i].Base = &buf[0]
		}
		r.iovs[i].SetLen(len(buf))
		h := &r.hdrs[i].Hdr
		h.Namelen = unix.SizeofSockaddrInet6
		if r.ctrl != nil {
			h.Control = &r.ctrl[i*ctrlLenRead]
			h.SetControllen(ctrlLenRead)
		}
		h.Flags = 0
		r.hdrs[i].Len = 0
	}
}

// release drops the references to the caller's buffers.
func (r *readState) release() {
	for i := range r.k {
		r.iovs[i].Base = nil
	}
}

// recv runs recvmmsg on the non-blocking socket. It returns false when no
// datagram is waiting so that the netpoller parks the caller.
func (r *readState) recv(fd uintptr) bool {
	for {
		n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd,
			uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(r.k), 0, 0, 0)
		switch errno {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		r.n, r.errno = int(n), errno
		if errno != 0 {
			r.n = 0
		}
		return true
	}
}

// finish copies what the kernel reported for message i into m.
func (r *readState) finish(i int, m *Message) {
	h := &r.hdrs[i]
	m.N = int(h.Len)
	m.Addr = decodeSockaddr(&r.names[i])
	m.SegmentSize = 0
	m.ECN = ECNNotECT
	if r.ctrl != nil {
		ctrl := r.ctrl[i*ctrlLenRead : (i+1)*ctrlLenRead]
		ctrl = ctrl[:min(int(h.Hdr.Controllen), len(ctrl))]
		seg, ecn := parseControl(ctrl)
		if seg > 0 && seg < m.N {
			m.SegmentSize = seg
		}
		m.ECN = ecn
	}
	if h.Hdr.Flags&unix.MSG_TRUNC != 0 && m.SegmentSize > 0 {
		// The buffer was too short for a coalesced batch. Whole segments
		// are still good; the partial one at the end is a datagram cut
		// short, so drop it rather than hand up a truncated datagram.
		m.N -= m.N % m.SegmentSize
	}
}
