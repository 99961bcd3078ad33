package resp

import "strconv"

// AppendCommand appends args as one RESP array of bulk strings: how clients
// send commands, and the format of commands in an AOF file.
func AppendCommand[T ~string | ~[]byte](dst []byte, args ...T) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}
