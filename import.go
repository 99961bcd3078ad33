package main

import (
	"context"
	"net"

	"github.com/geomys/geomys/redisimport"
	"github.com/geomys/geomys/server"
	flag "github.com/spf13/pflag"
)

// importRedis runs --import once the node serves: the data goes in through
// the node's own client port, so through Raft to every member.
func importRedis(cfg server.Config, addr, dir string) error {
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
	}
	o := redisimport.Options{Addr: addr, Logger: cfg.Logger}
	// requirepass may be a flag or a parameter of the config file.
	if f := flag.Lookup("requirepass"); f != nil {
		o.Password = f.Value.String()
	}
	for _, p := range cfg.Params {
		if p.Name == "requirepass" && o.Password == "" {
			o.Password = p.Value
		}
	}
	cfg.Logger.Info("importing a Redis AOF", "dir", dir)
	st, err := redisimport.Run(context.Background(), dir, o)
	if err != nil {
		cfg.Logger.Error("import failed; fix the cause, empty the node (FLUSHALL, FUNCTION FLUSH) and start again with --import",
			"dir", dir, "keys_sent", st.Keys, "err", err)
		return err
	}
	cfg.Logger.Info("import finished; remove --import from the command line or unit before the next restart",
		"dir", dir, "files", st.Files, "keys", st.Keys, "functions", st.Functions, "commands", st.Commands)
	return nil
}
