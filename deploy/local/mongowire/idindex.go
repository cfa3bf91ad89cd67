package main

// FerretDB v1's SQLite backend looks documents up by `_ferretdb_sjson->'$._id' = ?` (find, update and
// delete filtered by _id alone) but indexes _id as `_ferretdb_sjson->"_id"`. SQLite uses an index on an
// expression only for that same expression, so every lookup by _id scans and parses the whole
// collection: the cost of each read or write grows with the collection (in a job of 600 noop trials,
// 24.5 ms of this server's CPU per trial, 7.4 ms with the index). indexIDPaths adds, beside FerretDB's own, an
// index on the expression its queries use, to every collection's table. FerretDB keeps its indexes
// in its own metadata, so it neither lists nor drops this one; dropping the collection drops the table
// and its indexes with it.

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the driver FerretDB's SQLite backend registers too
)

const idPathSuffix = "__id_path"

// indexIDPaths checks the databases in dir every interval until ctx ends. A database is looked at
// again only when its file or its write-ahead log changed since its last look.
func indexIDPaths(ctx context.Context, dir string, every time.Duration) {
	looked := map[string]time.Time{}
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, file := range files {
			changed := modified(file)
			if changed.IsZero() || !changed.After(looked[file]) {
				continue
			}
			if err := indexDatabase(ctx, file); err != nil {
				continue // being created or dropped right now: looked at again next time
			}
			looked[file] = changed
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// modified is the later of the database file's and its write-ahead log's modification times (new
// tables reach the main file only at a checkpoint); zero when the database file is gone.
func modified(file string) time.Time {
	info, err := os.Stat(file)
	if err != nil {
		return time.Time{}
	}
	latest := info.ModTime()
	if wal, err := os.Stat(file + "-wal"); err == nil && wal.ModTime().After(latest) {
		latest = wal.ModTime()
	}
	return latest
}

// indexDatabase adds the _id path index to each collection table of one database that lacks it.
// mode=rw: a database dropped meanwhile is not created again.
func indexDatabase(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", "file:"+file+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	rows, err := db.QueryContext(ctx, `SELECT c.table_name FROM _ferretdb_collections c
		WHERE NOT EXISTS (SELECT 1 FROM sqlite_master m WHERE m.type = 'index' AND m.name = c.table_name || ?)`,
		idPathSuffix)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var table string
		if err := rows.Scan(&table); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, table)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, table := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, table+idPathSuffix, table)
		if _, err := db.ExecContext(ctx, q); err != nil {
			log.Printf("index on _id path of %s in %s: %v", table, filepath.Base(file), err)
			return err
		}
	}
	return nil
}
