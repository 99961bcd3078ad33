package aof

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// RedisFiles lists, in replay order, the files of a Redis AOF found in dir,
// read-only (an import must not touch what it reads): a Redis 7 manifest in
// dir or in dir/appendonlydir (base, then incr files; history files are
// skipped as Redis skips them), or a single appendonly.aof (Redis 6 and
// older, or Redis 7 with a one-file AOF).
func RedisFiles(dir string) ([]string, error) {
	for _, d := range []string{dir, filepath.Join(dir, "appendonlydir")} {
		ms, _ := filepath.Glob(filepath.Join(d, "*.manifest"))
		if len(ms) > 1 {
			return nil, fmt.Errorf("aof: %s holds several manifests (%s): give the directory of one", d, strings.Join(ms, ", "))
		}
		if len(ms) == 0 {
			continue
		}
		data, err := os.ReadFile(ms[0])
		if err != nil {
			return nil, err
		}
		m, err := parseManifest(data, ms[0])
		if err != nil {
			return nil, err
		}
		var out []string
		if m.base != nil {
			out = append(out, filepath.Join(d, m.base.name))
		}
		for _, f := range m.incrs {
			out = append(out, filepath.Join(d, f.name))
		}
		return out, nil
	}
	single := filepath.Join(dir, "appendonly.aof")
	if _, err := os.Stat(single); err != nil {
		return nil, fmt.Errorf("aof: no AOF in %s: expected appendonly.aof, appendonlydir/ or a *.manifest", dir)
	}
	return []string{single}, nil
}

// ReadCommands calls fn for each command of an AOF's RESP part, skipping
// annotation lines; name is for error messages.
func ReadCommands(r io.Reader, name string, size int64, fn func(args [][]byte) error) error {
	rd := newReader(r, name, size, DefaultMaxArgs, DefaultMaxBulkLen)
	var (
		ab   argBuf
		argv [][]byte
	)
	for {
		start := rd.off
		ab.reset()
		kind, n, _, err := rd.next(&ab)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if kind == recAnnotation {
			continue
		}
		argv = ab.args(argv, len(ab.ends)-n, n)
		if err := fn(argv); err != nil {
			return fmt.Errorf("%s: command at offset %d: %w", name, start, err)
		}
	}
}
