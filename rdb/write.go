package rdb

import (
	"encoding/binary"
	"fmt"
)

// Writing whole RDB files: what SYNC and PSYNC send a replica. The values
// inside are DUMP payloads, so a key's bytes are the ones DUMP produces.

// AppendHeader appends the signature and format version ("REDIS0010":
// Redis 7.0's, which 7.0 and later load).
func AppendHeader(b []byte) []byte {
	return fmt.Appendf(b, "REDIS%04d", Version)
}

// AppendAux appends an AUX field, the value written as rdbSaveRawString
// writes it (integers in their integer encoding).
func AppendAux(b []byte, key, value string) []byte {
	b = append(b, opAux)
	b = AppendObjectString(b, key)
	return AppendObjectString(b, value)
}

// AppendSelectDB appends SELECTDB and RESIZEDB for a db of keys keys, of
// which expires have a TTL.
func AppendSelectDB(b []byte, db, keys, expires int) []byte {
	b = AppendLen(append(b, opSelectDB), uint64(db))
	b = AppendLen(append(b, opResizeDB), uint64(keys))
	return AppendLen(b, uint64(expires))
}

// AppendKey appends one key: its expiry (unix ms; 0 for none) and its value
// given as a DUMP payload (type byte, body, footer).
func AppendKey(b []byte, key string, expireMs int64, payload []byte) []byte {
	if expireMs > 0 {
		b = binary.LittleEndian.AppendUint64(append(b, opExpireTimeMs), uint64(expireMs))
	}
	b = append(b, payload[0])
	b = AppendObjectString(b, key)
	return append(b, payload[1:len(payload)-10]...)
}

// AppendEOF ends the file: the EOF opcode and the CRC-64 of everything
// before the checksum, b being the whole file from its header.
func AppendEOF(b []byte) []byte {
	b = append(b, opEOF)
	return binary.LittleEndian.AppendUint64(b, CRC64(b))
}
