//go:build frontpgp_patched

package store

import (
	"sync"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/frontpgp/front/sigmemo"
)

var installMemo sync.Once

// installVerifyMemo makes go-crypto consult m for RSA signature checks
// (packet.VerifyMemo exists in front's builds of go-crypto: _patched/).
// The first store a process opens provides it; a check's result does not
// depend on the store, only what Commit saves does.
func installVerifyMemo(m *sigmemo.Memo) {
	installMemo.Do(func() { packet.VerifyMemo = m })
}
