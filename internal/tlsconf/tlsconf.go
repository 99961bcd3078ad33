// Package tlsconf turns redis.conf's tls-* settings into crypto/tls
// configurations: one for the client-facing TLS port, and, with
// tls-cluster, the pair nodes use between themselves (each side shows the
// node certificate and checks the other's against the cluster CA).
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// Settings are the tls-* directives, named as in redis.conf.
type Settings struct {
	CertFile       string // tls-cert-file: this node's certificate (server, and client too unless ClientCertFile)
	KeyFile        string // tls-key-file
	CACertFile     string // tls-ca-cert-file: the CA clients' and peers' certificates must chain to
	ClientCertFile string // tls-client-cert-file: the certificate shown when dialing peers (default CertFile)
	ClientKeyFile  string // tls-client-key-file
	AuthClients    string // tls-auth-clients: yes, no or optional
	Cluster        bool   // tls-cluster: node-to-node traffic (Raft and RESP) is mutual TLS
}

// Configs is what the node needs: Clients for the TLS port; PeerServer and
// PeerClient for the Raft transport's two ends and PeerClient for dialing
// other nodes' TLS ports. The peer pair is nil without tls-cluster.
type Configs struct {
	Clients    *tls.Config
	PeerServer *tls.Config
	PeerClient *tls.Config
}

// Load reads the files and builds the configurations. It fails with the
// name of the directive at fault, so an operator knows what to fix.
func Load(s Settings) (*Configs, error) {
	if s.CertFile == "" || s.KeyFile == "" {
		return nil, errors.New("TLS needs --tls-cert-file and --tls-key-file")
	}
	cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert-file %s / --tls-key-file %s: %w", s.CertFile, s.KeyFile, err)
	}
	var auth tls.ClientAuthType
	switch s.AuthClients {
	case "", "yes":
		auth = tls.RequireAndVerifyClientCert
	case "optional":
		auth = tls.VerifyClientCertIfGiven
	case "no":
		auth = tls.NoClientCert
		if s.Cluster {
			// Peers reach each other on the client TLS port and prove who
			// they are with their certificate: it must still be asked for.
			auth = tls.VerifyClientCertIfGiven
		}
	default:
		return nil, fmt.Errorf("--tls-auth-clients must be yes, no or optional, not %q", s.AuthClients)
	}
	var pool *x509.CertPool
	if s.CACertFile != "" {
		pem, err := os.ReadFile(s.CACertFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca-cert-file: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca-cert-file %s: no PEM certificate in it", s.CACertFile)
		}
	} else if auth != tls.NoClientCert || s.Cluster {
		return nil, errors.New("--tls-ca-cert-file is needed to check client and peer certificates (or --tls-auth-clients no without --tls-cluster)")
	}
	c := &Configs{Clients: &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   auth,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}}
	if !s.Cluster {
		return c, nil
	}
	clientCert := cert
	if s.ClientCertFile != "" || s.ClientKeyFile != "" {
		clientCert, err = tls.LoadX509KeyPair(s.ClientCertFile, s.ClientKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-client-cert-file %s / --tls-client-key-file %s: %w", s.ClientCertFile, s.ClientKeyFile, err)
		}
	}
	c.PeerServer = &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}
	c.PeerClient = &tls.Config{
		Certificates: []tls.Certificate{clientCert},
		RootCAs:      pool,
		MinVersion:   tls.VersionTLS12,
	}
	return c, nil
}
