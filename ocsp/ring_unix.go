//go:build unix

package ocsp

import (
	"runtime"
	"syscall"
)

// allocRings returns n zeroed rings of size bytes, mapped outside the Go
// heap: there they would double the heap the garbage collector lets the
// process grow to (GOGC) with nothing in them to collect, and pages no
// response has touched take no memory. Whoever uses a ring holds a pointer
// into the shards array owner starts, so the rings are unmapped once it is
// unreachable.
func allocRings(owner *cacheShard, n, size int) [][]byte {
	rings := make([][]byte, n)
	var mapped [][]byte
	for i := range rings {
		b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err != nil {
			b = make([]byte, size)
		} else {
			mapped = append(mapped, b)
		}
		rings[i] = b
	}
	if len(mapped) > 0 {
		runtime.AddCleanup(owner, func(mapped [][]byte) {
			for _, b := range mapped {
				syscall.Munmap(b)
			}
		}, mapped)
	}
	return rings
}
