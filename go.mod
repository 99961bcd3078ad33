module github.com/geomys/geomys

go 1.26.8
