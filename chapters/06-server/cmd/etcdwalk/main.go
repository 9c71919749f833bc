package main

import (
	"os"

	"etcdwalk/chapters/06-server/etcdmain"
)

func main() { os.Exit(etcdmain.Main(os.Args[1:])) }
