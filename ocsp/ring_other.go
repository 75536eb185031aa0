//go:build !unix

package ocsp

// allocRings returns n zeroed rings of size bytes on the Go heap.
func allocRings(_ *cacheShard, n, size int) [][]byte {
	rings := make([][]byte, n)
	for i := range rings {
		rings[i] = make([]byte, size)
	}
	return rings
}
