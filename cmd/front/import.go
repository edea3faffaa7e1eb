package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/frontpgp/front/ipc"
	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/status"
	"github.com/frontpgp/front/store"
)

// Import follows gpg 2.2's import.c: each public key block is checked and
// cleaned (store.Keyblock.Clean), then stored as it is or merged into the
// stored copy packet by packet (store.Keyblock.Merge), with gpg's
// messages, IMPORT_OK reasons and IMPORT_RES counts. Secret key blocks go
// to keyhelper unparsed; their public parts come back and are imported
// like any other. All writes of one run are committed together under the
// store's write lock.

// importCounts are gpg's IMPORT_RES numbers.
type importCounts struct {
	count, noUserID, imported, unchanged, newUIDs, newSubkeys, newSigs, newRevocations,
	secRead, secImported, secDup, notImported, v3Keys int
	skippedNew, sigsCleaned, uidsCleaned int
}

func (c *importCounts) statusArgs() []string {
	n := []int{c.count + c.v3Keys, c.noUserID, c.imported, 0, c.unchanged, c.newUIDs, c.newSubkeys, c.newSigs, c.newRevocations,
		c.secRead, c.secImported, c.secDup, c.skippedNew, c.notImported, c.v3Keys}
	out := make([]string, len(n))
	for i, v := range n {
		out[i] = strconv.Itoa(v)
	}
	return out
}

// importSummary prints gpg's import statistics: only the lines with a count.
func (a *app) importSummary(c *importCounts) {
	a.infof("Total number processed: %d", c.count+c.v3Keys)
	for _, l := range []struct {
		label string
		n     int
	}{
		{"    skipped PGP-2 keys", c.v3Keys}, {"      skipped new keys", c.skippedNew},
		{"          w/o user IDs", c.noUserID}, {"              imported", c.imported}, {"             unchanged", c.unchanged},
		{"          new user IDs", c.newUIDs}, {"           new subkeys", c.newSubkeys}, {"        new signatures", c.newSigs},
		{"   new key revocations", c.newRevocations}, {"      secret keys read", c.secRead},
		{"  secret keys imported", c.secImported}, {" secret keys unchanged", c.secDup}, {"          not imported", c.notImported},
		{"    signatures cleaned", c.sigsCleaned}, {"      user IDs cleaned", c.uidsCleaned},
	} {
		if l.n > 0 {
			a.infof("%s: %d", l.label, l.n)
		}
	}
}

// importRun is the state of one --import.
type importRun struct {
	a      *app
	batch  *store.Batch
	counts importCounts
	// byKeyID finds the certificates of this run by primary key ID, for
	// revocation certificates that follow their key in the same input.
	byKeyID map[uint64][]byte
	// secretKeyIDs is filled on first use: the key IDs we hold secrets for.
	secretKeyIDs map[uint64]bool
	// cleaned holds the outcome of the import checks done by cleanAll.
	cleaned map[*store.Keyblock]cleanOutcome
	// opts are the --import-options (impexopts.go).
	opts uint32
	// exported collects the keyblocks of import-export, one per key.
	exported [][]byte
	// origin is where the public keys come from (store/origin.go).
	origin store.Origin
}

// nameLookup is gpg's user-ID lookup for the message about a key it
// merged (changed or not): none with --quiet, nor when the import is
// silent (import-show, show-only), which lists the key instead.
func (r *importRun) nameLookup(fpr []byte) {
	if !r.silent() && !r.a.opts.has("quiet") {
		r.a.userIDLookup(fpr)
	}
}

// silent is gpg's import mode without messages and, for merged keys,
// without IMPORT_OK lines other than "not changed".
func (r *importRun) silent() bool { return r.opts&(importShow|importDryRun) != 0 }

func (a *app) importCmd(args []string) error {
	data, err := a.readKeyData(args)
	if err != nil {
		return err
	}
	org, _ := parseKeyOrigin(a.opts.last("key-origin"))
	return a.importKeyData(data, a.importOptions(), org)
}

// parseKeyOrigin reads --key-origin KIND[,URL] as gpg's parse_key_origin
// does (no value: unknown); ok is false for an unknown kind.
func parseKeyOrigin(v string) (org store.Origin, ok bool) {
	if v == "" {
		return org, true
	}
	kind, url, _ := strings.Cut(v, ",")
	org.Kind, ok = store.ParseOriginKind(kind)
	org.URL = strings.TrimSpace(url)
	return org, ok
}

// importKeyData imports binary key data with the import options opts:
// --import's work, and a network lookup's once its answer is filtered.
// org is the data's origin (its time is set here).
func (a *app) importKeyData(data []byte, opts uint32, org store.Origin) error {
	_, err := a.importKeys(data, opts, org)
	return err
}

// importKeys is importKeyData returning gpg's import counts.
func (a *app) importKeys(data []byte, opts uint32, org store.Origin) (*importCounts, error) {
	blocks, v3, splitErr := store.SplitImport(data)
	if len(blocks) == 0 && v3 == 0 {
		// Nothing to import. gpg's armor filter reports input that is
		// neither armor nor binary OpenPGP (NODATA 1); binary packets
		// that are no keys (a signature) are skipped without an error,
		// unparsable ones are a read error. The statistics follow.
		switch {
		case len(data) == 0 || data[0]&0x80 == 0:
			a.status.Emit("NODATA", "1")
			a.errorf("no valid OpenPGP data found.")
		case splitErr != nil && !errors.Is(splitErr, store.ErrNoKeyData):
			a.errorf("read_block: read error: %v", splitErr)
		}
		var zero importCounts
		a.importSummary(&zero)
		a.status.Emit("IMPORT_RES", zero.statusArgs()...)
		return &zero, nil
	}
	// Secret blocks go to keyhelper unparsed, all in one request; its answer
	// lists the keys in input order with their public parts.
	var secretData bytes.Buffer
	for _, b := range blocks {
		if b.Kind == store.SecretBlock {
			secretData.Write(b.Raw)
		}
	}
	var secretRes ipc.ImportResult
	var secretPublic []store.InputBlock
	secretFailed := false
	if secretData.Len() > 0 {
		if err := a.callKeyhelper(true, &ipc.ImportRequest{Data: secretData.Bytes()}, &secretRes); err != nil {
			a.errorf("key import failed: %v", err)
			secretFailed = true
		} else {
			a.recordListing(secretRes.Listing)
			secretPublic, _, _ = store.SplitImport(secretRes.Public)
		}
	}
	unlock, err := a.store.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	org.Updated = a.now.Unix()
	r := &importRun{a: a, batch: a.store.NewBatch(), byKeyID: map[uint64][]byte{}, opts: opts, origin: org}
	c := &r.counts
	c.v3Keys = v3
	r.cleanAll(blocks)
	nextSecret := 0
	for _, b := range blocks {
		switch b.Kind {
		case store.SecretBlock:
			if secretFailed {
				continue
			}
			c.count++
			if nextSecret >= len(secretRes.Keys) || nextSecret >= len(secretPublic) || secretPublic[nextSecret].Keyblock == nil {
				// keyhelper skipped a block it could not parse.
				c.notImported++
				continue
			}
			k, pub := secretRes.Keys[nextSecret], secretPublic[nextSecret].Keyblock
			nextSecret++
			// gpg records no origin for a key that came with its secret
			if !r.importOne(pub, store.Origin{}) {
				c.notImported++
				continue
			}
			fpr := fmt.Sprintf("%X", k.Fingerprint)
			c.secRead++
			a.status.Emit("KEY_CONSIDERED", fpr, "0")
			if k.New {
				c.secImported++
				a.status.Emit("IMPORT_OK", "17", fpr)
			} else {
				c.secDup++
				a.status.Emit("IMPORT_OK", "16", fpr)
			}
			a.infof("key %016X: secret key imported", pub.KeyID())
		case store.PublicBlock:
			c.count++
			r.importOne(b.Keyblock, r.origin)
		case store.RevocationBlock:
			c.count++
			r.importRevocation(b.Raw)
		}
	}
	if err := r.batch.Commit(); err != nil {
		return nil, &exitError{2, fmt.Sprintf("error writing the certificate store: %v", err)}
	}
	if len(r.exported) > 0 {
		if err := a.writeImportExport(r.exported); err != nil {
			return nil, err
		}
	}
	a.forgetCerts()
	if splitErr != nil {
		a.errorf("read_block: read error: %v", splitErr)
	}
	a.importSummary(c)
	a.status.Emit("IMPORT_RES", c.statusArgs()...)
	if c.count+c.v3Keys == 0 {
		return c, &exitError{2, "no valid OpenPGP data found."}
	}
	return c, nil
}

// readKeyData reads armored or binary key material from every input.
func (a *app) readKeyData(args []string) ([]byte, error) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	var all bytes.Buffer
	for _, name := range args {
		in, err := a.openInput(name)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(in, maxImport+1))
		in.Close()
		if err != nil {
			return nil, err
		}
		if len(data) > maxImport {
			return nil, &exitError{2, "input too large"}
		}
		bin, err := pgp.DearmorAll(skipToArmor(data))
		if err != nil {
			return nil, &exitError{2, err.Error()}
		}
		all.Write(bin)
	}
	return all.Bytes(), nil
}

// maxImport caps one import (the Debian keyring is 28.5 MB).
const maxImport = 256 << 20

// skipToArmor drops text before the first armor header line, as gpg's
// armor filter does: a revocation certificate, for one, starts with an
// explanation. Binary data is left alone.
func skipToArmor(data []byte) []byte {
	if pgp.IsArmored(data) || len(data) == 0 || data[0]&0x80 != 0 {
		return data
	}
	if i := bytes.Index(data, []byte("\n-----BEGIN PGP ")); i >= 0 {
		return data[i+1:]
	}
	return data
}

// cleanAll runs gpg's import checks on every public block up front, on all
// cores: verifying self-signatures is most of an import's work (RSA
// verification was 85% of the CPU time importing the Debian keyring).
func (r *importRun) cleanAll(blocks []store.InputBlock) {
	r.cleaned = map[*store.Keyblock]cleanOutcome{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan *store.Keyblock)
	opts := r.cleanOptions(func(id uint64) bool {
		mu.Lock()
		defer mu.Unlock()
		return r.haveSecret(id)
	})
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for kb := range work {
				res, merged := r.check(kb, opts)
				mu.Lock()
				r.cleaned[kb] = cleanOutcome{res, merged}
				mu.Unlock()
			}
		}()
	}
	for _, b := range blocks {
		if b.Kind == store.PublicBlock {
			work <- b.Keyblock
		}
	}
	close(work)
	wg.Wait()
}

// cleanOptions are the import checks' inputs for this run. A certificate
// without user IDs (keys.openpgp.org strips unverified ones) is checked
// too: gpg 2.2.40 merges it into the stored copy of its key (bad input 17).
func (r *importRun) cleanOptions(haveSecret func(uint64) bool) store.CleanOptions {
	return store.CleanOptions{Now: uint32(r.a.now.Unix()), HaveSecret: haveSecret, LocalSigs: r.opts&importLocalSigs != 0,
		AllowNoUserID: true}
}

// check is gpg's import_one_real up to delete_inv_parts: with
// self-sigs-only the third-party signatures go first, as in gpg, so a
// certificate flooded with them (bad input 16) costs no more than its own
// signatures in the checks that follow.
func (r *importRun) check(kb *store.Keyblock, opts store.CleanOptions) (store.CleanResult, bool) {
	if r.opts&importSelfSigsOnly != 0 {
		kb.DropNonSelfSigs()
	}
	return kb.Clean(opts)
}

type cleanOutcome struct {
	res    store.CleanResult
	merged bool
}

func (r *importRun) haveSecret(keyID uint64) bool {
	if r.secretKeyIDs == nil {
		r.secretKeyIDs = map[uint64]bool{}
		for fpr := range r.a.secretKeys() {
			if b, err := hex.DecodeString(fpr); err == nil {
				r.secretKeyIDs[store.KeyIDFromFingerprint(b)] = true
			}
		}
	}
	return r.secretKeyIDs[keyID]
}

// importOne imports one public keyblock of origin org as gpg's import_one
// does; false when nothing could be stored.
func (r *importRun) importOne(kb *store.Keyblock, org store.Origin) bool {
	a, c := r.a, &r.counts
	keyID := kb.KeyID()
	now := uint32(a.now.Unix())
	out, ok := r.cleaned[kb]
	if !ok {
		out.res, out.merged = r.check(kb, r.cleanOptions(r.haveSecret))
	}
	res, merged := out.res, out.merged
	if merged {
		a.infof("key %016X: duplicated user ID detected - merged", keyID)
	}
	switch res {
	case store.NoUserID:
		a.errorf("key %016X: no user ID", keyID)
		return false
	case store.Invalid:
		a.errorf("key %016X: no user ID for signature", keyID)
		return false
	case store.NoValidUserID:
		a.errorf("key %016X: no valid user IDs", keyID)
		a.infof("this may be caused by a missing self-signature")
		c.noUserID++
		return false
	}
	// The import options (gpg's import_one_real): cleaning, showing the
	// key, exporting it instead of importing (self-sigs-only: r.check).
	if r.opts&importClean != 0 {
		kb.CleanUIDs(now, r.opts&importMinimal != 0, r.signers())
		kb.CleanSubkeys(now, store.SubkeyCleanNone)
	}
	if r.opts&importShow != 0 && !(r.opts&importExport != 0 && !a.armor() && a.opts.last("output") == "") {
		if err := a.showKeys(kb.Bytes()); err != nil {
			return false
		}
	}
	if r.opts&importExport != 0 {
		r.exported = append(r.exported, kb.Bytes())
		return true
	}
	fprBytes := kb.Fingerprint()
	fpr := fmt.Sprintf("%X", fprBytes)
	raw, err := r.batch.GetRaw(fprBytes)
	if errors.Is(err, os.ErrNotExist) && r.opts&importMergeOnly != 0 {
		if a.opts.has("verbose") {
			a.infof("key %016X: new key - skipped", keyID)
		}
		c.skippedNew++
		return true
	}
	if res == store.KeyOnly && errors.Is(err, os.ErrNotExist) {
		// a certificate without user IDs only updates a key we have
		a.infof("key %016X: new key but contains no user ID - skipped", keyID)
		c.noUserID++
		return true
	}
	r.byKeyID[keyID] = fprBytes
	var old *store.Keyblock
	if err == nil {
		old, err = store.ParseKeyblock(raw)
		if err != nil {
			a.infof("key %016X: replacing an unreadable stored copy", keyID)
			old = nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		a.infof("key %016X: replacing an unreadable stored copy: %v", keyID, err)
	}
	// gpg's restore mode leaves the origins alone
	recordOrigin := r.opts&importRestore == 0
	if old == nil {
		r.batch.Put(fprBytes, kb.Bytes())
		if recordOrigin {
			r.batch.OriginNew(kb, org)
		}
		name := printable(displayUserID(kb.PrimaryUserID(now)))
		c.imported++
		// the IMPORTED line names the key: a user-ID lookup
		a.userIDLookup(fprBytes)
		a.status.Emit("IMPORTED", fmt.Sprintf("%016X", keyID), status.Escape(name))
		a.status.Emit("IMPORT_OK", "1", fpr)
		a.infof("key %016X: public key \"%s\" imported", keyID, name)
		return true
	}
	if !old.SameKey(kb) {
		a.errorf("key %016X: doesn't match our copy", keyID)
		return false
	}
	m := old.Merge(kb)
	uidsCleaned, sigsCleaned := 0, 0
	if r.opts&importClean != 0 && r.opts&importSelfSigsOnly == 0 {
		uidsCleaned, sigsCleaned = old.CleanUIDs(now, r.opts&importMinimal != 0, r.signers())
		_, n := old.CleanSubkeys(now, store.SubkeyCleanNone)
		sigsCleaned += n
	}
	name := printable(displayUserID(old.PrimaryUserID(now)))
	for _, note := range m.Notes {
		if note == store.NoteRevocationAdded {
			a.infof("key %016X: \"%s\" revocation certificate added", keyID, name)
		} else {
			a.infof("key %016X: direct key signature added", keyID)
		}
	}
	if !m.Changed() && uidsCleaned+sigsCleaned == 0 {
		c.unchanged++
		a.status.Emit("IMPORT_OK", "0", fpr)
		r.nameLookup(fprBytes)
		a.infof("key %016X: \"%s\" not changed", keyID, name)
		return true
	}
	r.batch.Put(fprBytes, old.Bytes())
	if recordOrigin {
		r.batch.OriginMerged(old, org)
	}
	report := func(n int, one, many string) {
		if n == 1 {
			a.infof("key %016X: \"%s\" 1 %s", keyID, name, one)
		} else if n > 1 {
			a.infof("key %016X: \"%s\" %d %s", keyID, name, n, many)
		}
	}
	report(m.UserIDs, "new user ID", "new user IDs")
	report(m.Signatures, "new signature", "new signatures")
	report(m.Subkeys, "new subkey", "new subkeys")
	report(sigsCleaned, "signature cleaned", "signatures cleaned")
	report(uidsCleaned, "user ID cleaned", "user IDs cleaned")
	c.sigsCleaned += sigsCleaned
	c.uidsCleaned += uidsCleaned
	c.newUIDs += m.UserIDs
	c.newSigs += m.Signatures
	c.newSubkeys += m.Subkeys
	r.nameLookup(fprBytes)
	if !r.silent() {
		a.status.Emit("IMPORT_OK", strconv.Itoa(m.Flags()), fpr)
	}
	return true
}

// displayUserID is what gpg shows for a key without a usable user ID.
func displayUserID(uid string) string {
	if uid == "" {
		return "[?]"
	}
	return uid
}

// importRevocation applies a stand-alone key revocation certificate to the
// key that issued it (gpg's import_revoke_cert).
func (r *importRun) importRevocation(raw []byte) {
	a := r.a
	issuer, ok := store.RevocationIssuer(raw)
	if !ok {
		return
	}
	fpr := r.byKeyID[issuer]
	if fpr == nil {
		for _, e := range a.certsFor(store.Query{Kind: store.QueryKeyID, KeyID: issuer}) {
			if e.PrimaryKey.KeyId == issuer {
				fpr = e.PrimaryKey.Fingerprint
				break
			}
		}
	}
	if fpr == nil {
		a.errorf("key %016X: no public key - can't apply revocation certificate", issuer)
		return
	}
	a.keyConsidered(fpr, 0)
	stored, err := r.batch.GetRaw(fpr)
	if err != nil {
		a.errorf("key %016X: can't read original keyblock: %v", issuer, err)
		return
	}
	kb, err := store.ParseKeyblock(stored)
	if err != nil {
		a.errorf("key %016X: can't read original keyblock: %v", issuer, err)
		return
	}
	now := uint32(a.now.Unix())
	if err := kb.VerifyKeyRevocation(raw, now); err != nil {
		a.errorf("key %016X: invalid revocation certificate: %v - rejected", issuer, err)
		return
	}
	if !kb.AddKeyRevocation(raw) {
		return
	}
	r.batch.Put(fpr, kb.Bytes())
	a.infof("key %016X: \"%s\" revocation certificate imported", issuer, printable(displayUserID(kb.PrimaryUserID(now))))
	r.counts.newRevocations++
}

// signers finds the keys of certifications for import-clean: the stored
// certificates and those imported earlier in this run.
func (r *importRun) signers() store.SignerKeys {
	return r.a.signerKeys(func(id uint64) []*store.Keyblock {
		fpr := r.byKeyID[id]
		if fpr == nil {
			return nil
		}
		raw, err := r.batch.GetRaw(fpr)
		if err != nil {
			return nil
		}
		kb, err := store.ParseKeyblock(raw)
		if err != nil {
			return nil
		}
		return []*store.Keyblock{kb}
	})
}

// writeImportExport writes the keyblocks of --import-options import-export
// as gpg's write_keyblock_to_output does: each key on its own, in an armor
// block of its own with --armor.
func (a *app) writeImportExport(blocks [][]byte) error {
	out, err := a.openOutput("")
	if err != nil {
		return err
	}
	for _, b := range blocks {
		if !a.armor() {
			if _, err := out.w.Write(b); err != nil {
				out.abort()
				return err
			}
			continue
		}
		aw, err := armor.Encode(out.w, "PGP PUBLIC KEY BLOCK", nil)
		if err != nil {
			out.abort()
			return err
		}
		aw.Write(b)
		aw.Close()
		io.WriteString(out.w, "\n")
	}
	return out.commit()
}
