package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/frontpgp/front/gnupg/trustdb"
	"github.com/frontpgp/front/migrate"
	"github.com/frontpgp/front/store"
	"github.com/frontpgp/front/trust"
)

// Moving in from GnuPG (migrate/): on the first run in a home that holds
// GnuPG's files and no store of ours, and whenever GnuPG changed those
// files since the last import, front imports them before the command
// runs; --migrate-gnupg (front's own command) imports again on request.

// migrationImportOptions keep the keys as gpg keeps them: local
// certifications included, nothing cleaned (gpg's import-option restore).
const migrationImportOptions = defaultImportOptions | importLocalSigs | importKeepOwnertrust

// noMigrationCommands touch no key: they run without looking at the home.
var noMigrationCommands = map[string]bool{
	"version": true, "list-config": true, "dearmor": true, "enarmor": true,
	"print-md": true, "print-mds": true, "migrate-gnupg": true,
}

// autoMigrate runs the import when migrate.Check says one is due. A
// failure is reported on one line and the command goes on with the store
// as it is; the next run tries again.
func (a *app) autoMigrate() {
	if noMigrationCommands[a.opts.command] || a.opts.has("no-default-keyring") {
		return
	}
	need := migrate.Check(a.home, func() bool {
		fprs, err := a.store.Fingerprints()
		return err == nil && len(fprs) == 0
	})
	if need == migrate.NotNeeded {
		return
	}
	res, err := migrate.Run(a.home, gnupgImporter{a}, false)
	if err != nil {
		fmt.Fprintf(a.stderr, "%s: importing GnuPG's files failed: %v\n", a.progName(), err)
		return
	}
	// the notice is for a first import that found something (gpg leaves
	// an empty keybox and trustdb in a home it merely looked into), also
	// when it completes one a killed run began; later ones (GnuPG changed
	// its files) are routine and said only with --verbose
	first := need == migrate.First || need == migrate.Redo
	nothing := res.Keys == 0 && res.Ownertrust == 0 && res.Secrets == 0
	if res.Done && (first && !nothing || a.opts.has("verbose")) {
		a.migrationNotice(res)
	}
}

// migrateCmd is --migrate-gnupg: import GnuPG's files again now.
func (a *app) migrateCmd(args []string) error {
	if len(args) != 0 {
		return &usageError{"usage: front --migrate-gnupg"}
	}
	res, err := migrate.Run(a.home, gnupgImporter{a}, true)
	if err != nil {
		return &exitError{2, "importing GnuPG's files failed: " + err.Error()}
	}
	a.migrationNotice(res)
	return nil
}

// migrationNotice is the one line saying what was imported (not a status
// line: gpg has none for this).
func (a *app) migrationNotice(res *migrate.Result) {
	for _, w := range res.Warnings {
		a.infof("warning: %s", w)
	}
	if len(res.Sources) == 0 {
		a.infof("no GnuPG files to import in '%s'", a.home)
		return
	}
	a.infof("imported %d keys, %d ownertrust values and %d secret keys from GnuPG's %s (left unchanged)",
		res.Keys, res.Ownertrust, res.Secrets, strings.Join(res.Sources, ", "))
}

// gnupgImporter is migrate.Importer over front's own import paths.
type gnupgImporter struct{ a *app }

// Keys runs --import's code on the keyblocks without its messages and
// status lines (the migration reports with one line of its own).
func (g gnupgImporter) Keys(data []byte) (int, error) {
	a := g.a
	status, stderr, code := a.status, a.stderr, a.exitCode
	a.status, a.stderr = nil, io.Discard
	c, err := a.importKeys(data, migrationImportOptions, store.Origin{})
	a.status, a.stderr, a.exitCode = status, stderr, code
	// the import's user-ID lookups are not the command's (gpg's cache
	// would not hold them; they change its KEY_CONSIDERED lines)
	a.uidCache = nil
	if c == nil {
		return 0, err
	}
	return c.count, nil
}

// Ownertrust sets the trustdb's values in the ownertrust file, under the
// store's lock as --import-ownertrust does; values set only in front are
// kept, and the file is rewritten only when a value changed.
func (g gnupgImporter) Ownertrust(db *trustdb.DB) (int, error) {
	a := g.a
	unlock, err := a.store.Lock()
	if err != nil {
		return 0, err
	}
	locked := true
	defer func() {
		if locked {
			unlock()
		}
	}()
	o, err := trust.Load(a.home)
	if err != nil {
		return 0, err
	}
	// the trustdb's values in its record order (the order gpg exports
	// them in), then those set only in front
	n := trust.New()
	n.Created = o.Created
	for _, t := range db.Ownertrust {
		n.Set(fmt.Sprintf("%X", t.Fingerprint), trust.Level(t.Value))
	}
	for _, f := range o.Fingerprints() {
		if _, ok := n.Get(f); !ok {
			v, _ := o.Get(f)
			n.Set(f, v)
		}
	}
	if bytes.Equal(n.Marshal(), o.Marshal()) {
		return len(db.Ownertrust), nil
	}
	o = n
	if o.Created == 0 {
		o.Created = int64(db.Created)
	}
	if err := store.WriteAtomic(trust.Path(a.home), o.Marshal(), 0o600); err != nil {
		return 0, err
	}
	// GnuPG's trustdb holds validity checked with these values: compute
	// ours now (gpg's check-trustdb) rather than leave a check pending
	// as --import-ownertrust does, so listings agree with gpg's at once
	unlock()
	locked = false
	a.trust = nil
	if _, err := a.validity(); err != nil {
		return 0, err
	}
	return len(db.Ownertrust), nil
}

// Secrets records GnuPG's secret keys (gnupgsecrets.go): after Keys, so
// their certificates are in the store.
func (g gnupgImporter) Secrets() (int, error) { return g.a.importGnuPGSecrets() }
