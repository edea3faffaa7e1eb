// Command storegen supports bench/store.sh: it writes a synthetic cert-d
// store of N valid certificates directly (no front involved), and times
// index lookups in a store.
//
//	storegen -gen HOME -n 100000     write HOME/pubring.cert.d
//	storegen -lookup HOME -n 1000    time lookups (fresh Store each time)
package main

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/store"
)

func main() {
	gen := flag.String("gen", "", "home to fill with synthetic certificates")
	lookup := flag.String("lookup", "", "home to time lookups in")
	n := flag.Int("n", 1000, "certificates to write, or lookups to time")
	flag.Parse()
	switch {
	case *gen != "":
		if err := generate(*gen, *n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case *lookup != "":
		timeLookups(*lookup, *n)
	default:
		flag.Usage()
		os.Exit(2)
	}
}

// generate writes n certificates: one ed25519 key, a distinct creation
// time per certificate (so a distinct fingerprint) and a self-signed user
// ID "User i <useri@example.org>".
func generate(home string, n int) error {
	seed, err := openpgp.NewEntity("seed", "", "", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		return err
	}
	key, ok := seed.PrivateKey.PrivateKey.(*eddsa.PrivateKey)
	if !ok {
		return fmt.Errorf("unexpected key type %T", seed.PrivateKey.PrivateKey)
	}
	base := time.Unix(1600000000, 0)
	var wg sync.WaitGroup
	errs := make(chan error, runtime.NumCPU())
	workers := runtime.NumCPU()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if err := writeOne(home, key, base.Add(time.Duration(i)*time.Second), i); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func writeOne(home string, key *eddsa.PrivateKey, created time.Time, i int) error {
	pk := packet.NewEdDSAPrivateKey(created, key)
	e := &openpgp.Entity{PrimaryKey: &pk.PublicKey, PrivateKey: pk, Identities: map[string]*openpgp.Identity{}}
	cfg := &packet.Config{Time: func() time.Time { return created }}
	if err := e.AddUserId(fmt.Sprintf("User %d", i), "", fmt.Sprintf("user%d@example.org", i), cfg); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := e.Serialize(&b); err != nil {
		return err
	}
	h := hex.EncodeToString(e.PrimaryKey.Fingerprint)
	dir := filepath.Join(home, "pubring.cert.d", h[:2])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, h[2:]), b.Bytes(), 0o644)
}

// timeLookups looks up n different certificates by fingerprint, key ID and
// e-mail, each with a new Store (as a new front process would), and loads
// the certificate found.
func timeLookups(home string, n int) {
	fprs, err := (&store.Store{Home: home}).Fingerprints()
	if err != nil || len(fprs) == 0 {
		fmt.Fprintln(os.Stderr, "no certificates:", err)
		os.Exit(1)
	}
	for _, kind := range []string{"fingerprint", "keyid", "email", "substring"} {
		start := time.Now()
		found := 0
		for i := 0; i < n; i++ {
			f := fprs[(i*7919)%len(fprs)]
			s := &store.Store{Home: home}
			var q store.Query
			switch kind {
			case "fingerprint":
				q = store.Query{Kind: store.QueryFingerprint, Fingerprint: f}
			case "keyid":
				q = store.Query{Kind: store.QueryKeyID, KeyID: store.KeyIDFromFingerprint(f)}
			default:
				e, err := s.Get(f)
				if err != nil {
					continue
				}
				for uid := range e.Identities {
					q = store.Query{Kind: store.QueryMail, Text: e.Identities[uid].UserId.Email}
					if kind == "substring" {
						q = store.Query{Kind: store.QuerySubstring, Text: e.Identities[uid].UserId.Name}
					}
				}
				s = &store.Store{Home: home}
			}
			got, err := s.Lookup(q)
			if err == nil && len(got) > 0 {
				if _, err := s.Get(got[0]); err == nil {
					found++
				}
			}
		}
		el := time.Since(start)
		fmt.Printf("lookup by %-11s %d lookups, %d found: %.3f ms per lookup (index open + check + lookup + load)\n", kind, n, found, float64(el.Microseconds())/1000/float64(n))
	}
}
