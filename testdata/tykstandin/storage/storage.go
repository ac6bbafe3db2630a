// STAND-IN for tests only, not Tyk code. Mirrors the key-hashing helpers that
// github.com/TykTechnologies/tyk/storage re-exports from internal/crypto
// (storage/alias.go: `HashStr = crypto.HashStr; HashKey = crypto.HashKey`, at
// tags v5.8.0, v5.8.12, v5.8.15 and v5.14.0). Like the real package they are
// variables of function type, not functions. v5.3.13 declares them as
// ordinary functions in storage/storage.go with the same signatures, so
// calls read the same.
package storage

import (
	"encoding/binary"
	"encoding/hex"
)

var (
	// HashStr hashes a key. The real one picks the algorithm from withAlg, or
	// from the "h" field of a Tyk-generated base64 JSON token, and falls back
	// to murmur32; the stand-in implements only that murmur32 default.
	HashStr = hashStr
	// HashKey returns the raw key when hashing is off, else HashStr(in).
	HashKey = hashKey
)

func hashKey(in string, hashKey bool) string {
	if !hashKey {
		// Not hashing: the gateway uses the raw key.
		return in
	}
	return HashStr(in)
}

func hashStr(in string, _ ...string) string {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], murmur3x86_32([]byte(in), 0))
	return hex.EncodeToString(sum[:])
}

// murmur3x86_32 is MurmurHash3_x86_32, the function behind Tyk's default key
// hash (murmur3.New32 followed by Sum, i.e. big-endian bytes, hex encoded).
func murmur3x86_32(data []byte, seed uint32) uint32 {
	const (
		c1 = 0xcc9e2d51
		c2 = 0x1b873593
	)
	h := seed
	n := len(data) / 4
	for i := 0; i < n; i++ {
		k := binary.LittleEndian.Uint32(data[i*4:])
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
		h = h<<13 | h>>19
		h = h*5 + 0xe6546b64
	}
	tail := data[n*4:]
	var k uint32
	switch len(tail) {
	case 3:
		k ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(tail[0])
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
	}
	h ^= uint32(len(data))
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
