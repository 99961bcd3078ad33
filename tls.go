package main

import (
	"errors"

	"github.com/geomys/geomys/cluster"
	"github.com/geomys/geomys/internal/tlsconf"
	"github.com/geomys/geomys/server"
)

// setupTLS checks the TLS flags together and loads the certificates, so a
// wrong path or a missing CA stops the node at start with the flag to fix.
func setupTLS(cfg *server.Config) error {
	if cfg.Port < 0 || cfg.Port > 65535 || cfg.TLSPort < 0 || cfg.TLSPort > 65535 {
		return errors.New("--port and --tls-port must be between 0 and 65535")
	}
	if cfg.Port == 0 && cfg.TLSPort == 0 {
		return errors.New("--port 0 serves TLS only: give --tls-port too")
	}
	if cfg.TLS.Cluster && cfg.TLSPort == 0 {
		return errors.New("--tls-cluster yes: peers reach each other on the TLS port, give --tls-port")
	}
	if cfg.TLSPort == 0 && !cfg.TLS.Cluster {
		return nil
	}
	if cfg.Port == 0 && !cfg.TLS.Cluster && cfg.Join != "" {
		// Peers would dial this node's announced TLS port in clear.
		return errors.New("--port 0 in a cluster needs --tls-cluster yes")
	}
	c, err := tlsconf.Load(cfg.TLS)
	if err != nil {
		return err
	}
	cfg.TLSConfigs = c
	return nil
}

// peerTLS is how the Raft transport and term checks reach peers: mutual
// TLS with --tls-cluster, plain TCP otherwise (nil).
func peerTLS(cfg server.Config) *cluster.PeerTLS {
	if cfg.TLSConfigs == nil || cfg.TLSConfigs.PeerClient == nil {
		return nil
	}
	return &cluster.PeerTLS{Server: cfg.TLSConfigs.PeerServer, Client: cfg.TLSConfigs.PeerClient}
}
