package main

import (
	"fmt"

	"github.com/frontpgp/front/pgp"
	"github.com/frontpgp/front/store"
)

// fetchCardKey is --card-edit's fetch (gpg's fetch_url): the key at the
// card's URL, else the signature key by its fingerprint from the
// keyserver; both through nethelper, imported as keys from the network.
func (s *cardEditSession) fetchCardKey() {
	a := s.a
	if !s.read() {
		return
	}
	var err error
	switch {
	case s.st.URL != "":
		err = a.fetchKeyURL(s.st.URL)
	case cardFprSet(s.st.Keys[0].Fingerprint):
		err = a.recvKeysCmd([]string{fmt.Sprintf("%X", s.st.Keys[0].Fingerprint)})
	}
	if err != nil {
		a.errorf("%s", err)
	}
}

// fetchKeyURL imports the keys at url (gpg's keyserver_fetch, origin url).
func (a *app) fetchKeyURL(url string) error {
	o, err := a.keyserverOptions()
	if err != nil {
		return err
	}
	r, err := a.netRequest(o, []string{url}, maxKeyAnswer, nil)
	if err != nil {
		return err
	}
	a.infof("requesting key from '%s'", url)
	res, err := a.fetch(r)
	if err != nil {
		return fmt.Errorf("WARNING: unable to fetch URI %s: %v", url, err)
	}
	if res.Status != 200 {
		return fmt.Errorf("WARNING: unable to fetch URI %s: HTTP status %d", url, res.Status)
	}
	data, err := pgp.DearmorAll(res.Body)
	if err != nil {
		return err
	}
	return a.importKeyData(data, a.netImportOptions(o), store.Origin{Kind: store.OriginURL, URL: url})
}
