// Command ferretdb-sqlite runs FerretDB v1 with its SQLite backend: a MongoDB-wire server that
// keeps every collection in SQLite files on disk. Zygarde's local stack starts it on 127.0.0.1:27017.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("dir", "./data", "folder for the SQLite files")
	// NORMAL: in WAL mode a commit is safe from a crash of any process and reaches the disk at the
	// next checkpoint, like MongoDB's default journal commit interval; FULL also fsyncs every commit.
	synchronous := flag.String("synchronous", "normal", "SQLite synchronous pragma: normal or full")
	flag.Parse()
	if *synchronous != "normal" && *synchronous != "full" {
		log.Fatalf("-synchronous must be normal or full, not %q", *synchronous)
	}

	abs, err := filepath.Abs(*dir)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		log.Fatal(err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/?_pragma=synchronous(" + *synchronous + ")",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go indexIDPaths(ctx, abs, time.Second)
	log.Printf("ferretdb-sqlite listening on %s, data in %s", *listen, abs)
	f.Run(ctx)
}
