package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	flag "github.com/spf13/pflag"
)

// daemonEnv marks the detached copy daemonize starts.
const daemonEnv = "GEOMYS_DAEMONIZED"

// daemonize is redis.conf's daemonize yes: Go cannot fork, so the process
// starts a detached copy of itself (new session, standard streams on
// /dev/null) and the original exits. parent is true in the original.
func daemonize() (parent bool, err error) {
	if os.Getenv(daemonEnv) == "1" {
		return false, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return false, fmt.Errorf("daemonize: %w", err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return false, fmt.Errorf("daemonize: %w", err)
	}
	defer null.Close()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("daemonize: %w", err)
	}
	return true, cmd.Process.Release()
}

// writePidfile writes the process id as redis-server does (a failure is
// only logged) and returns what removes it at exit.
func writePidfile(path string, log *slog.Logger) func() {
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		log.Warn("Failed to write PID file; create its directory or change pidfile", "pidfile", path, "err", err)
		return func() {}
	}
	return func() { os.Remove(path) }
}

// notifySystemd tells systemd (Type=notify units) that the node serves,
// as supervised systemd does in Redis.
func notifySystemd(log *slog.Logger) {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return
	}
	c, err := net.Dial("unixgram", addr)
	if err == nil {
		_, err = c.Write([]byte("READY=1\nSTATUS=Ready to accept connections\n"))
		c.Close()
	}
	if err != nil {
		log.Warn("could not notify systemd; check the unit's NotifyAccess, or use Type=simple", "socket", addr, "err", err)
	}
}

func usage() {
	fmt.Fprintf(os.Stderr, "Usage: geomys [/path/to/geomys.conf] [--flag value ...]\n\n"+
		"The config file is in redis.conf syntax; every flag is also a directive of the\n"+
		"same name, and flags given here override the file.\n\n")
	flag.PrintDefaults()
}
