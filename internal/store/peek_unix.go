//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store

import "syscall"

// peek asks the socket, without blocking and without taking anything from
// it, whether it holds bytes or has ended. It goes through Control, not
// Read: pgconn's background reader, started when a write is slow, may
// still be parked in a read of the idle connection, and a Read would wait
// for it to finish, which on an idle connection is never.
func peek(raw syscall.RawConn) socketState {
	var r struct { // one allocation for what the call gives back
		n   int
		err error
		buf [1]byte
	}
	err := raw.Control(func(fd uintptr) {
		r.n, _, r.err = syscall.Recvfrom(int(fd), r.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	})
	switch {
	case err != nil: // closed on this side
		return closed
	case r.err == syscall.EAGAIN || r.err == syscall.EWOULDBLOCK:
		return nothing
	case r.err == syscall.EINTR:
		return unknown
	case r.err != nil: // ECONNRESET and the like
		return closed
	case r.n == 0:
		return closed // the server closed its end
	}
	return data
}
