package main

import (
	"errors"

	"github.com/geomys/geomys/server"
)

func importRedis(cfg server.Config, dir string) error {
	return errors.New("not implemented yet")
}
