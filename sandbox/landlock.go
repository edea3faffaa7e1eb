package sandbox

import (
	"fmt"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// minLandlockABI is the lowest landlock ABI a helper accepts.
//
// ABI 1 already confines open(2) to the policy's directories, which is the
// landlock half of every current policy. What later ABIs add is either
// covered by seccomp (ABI 3 truncate: read-only policies cannot open with
// O_TRUNC/O_CREAT/write access and have no truncate(2); ABI 6 signal
// scoping: foreign kill(2) is a seccomp errno rule), not needed (ABI 2
// refer: cross-directory renames stay denied, as ABI 1 denies them
// implicitly), or used where present: ABI 4's TCP port rules confine
// nethelper's connect(2) to Policy.ConnectTCPPorts, and without them
// seccomp still confines it to TCP and UDP sockets (Debian 12's kernel
// has ABI 3). landlock.V7.BestEffort() uses everything the kernel offers.
const minLandlockABI = 1

// checkLandlockABI decides whether a kernel reporting abi (or err, when the
// query itself failed) is good enough. It fails closed: an error, ABI 0
// (landlock compiled out or disabled at boot) or anything below min is
// refused, because landlock.BestEffort() would silently restrict nothing.
func checkLandlockABI(abi int, err error, min int) error {
	if err != nil {
		return fmt.Errorf("kernel does not support landlock (need ABI >= %d): %w", min, err)
	}
	if abi < min {
		return fmt.Errorf("kernel landlock ABI %d is below the required ABI %d", abi, min)
	}
	return nil
}

// Rights for WriteDirs: read, plus regular files may be created, written,
// truncated and removed. Rename within one directory needs only MakeReg
// (target) and RemoveFile (source and a replaced target); refer is not
// granted, so nothing can be moved between directories.
const (
	readRights  = llsys.AccessFSReadFile | llsys.AccessFSReadDir
	writeRights = readRights | llsys.AccessFSWriteFile | llsys.AccessFSTruncate |
		llsys.AccessFSMakeReg | llsys.AccessFSRemoveFile
)

func applyLandlock(p Policy) error {
	abi, err := llsys.LandlockGetABIVersion()
	if err := checkLandlockABI(abi, err, minLandlockABI); err != nil {
		return err
	}
	var rules []landlock.Rule
	if len(p.ReadDirs) > 0 {
		rules = append(rules, landlock.PathAccess(readRights, p.ReadDirs...))
	}
	if len(p.WriteDirs) > 0 {
		rules = append(rules, landlock.PathAccess(writeRights, p.WriteDirs...))
	}
	for _, port := range p.ConnectTCPPorts {
		rules = append(rules, landlock.ConnectTCP(port))
	}
	// Restrict covers file system, TCP (every bind, and every connect to
	// a port not named above, is denied) and the IPC scopes (abstract
	// unix sockets and signals to processes outside this domain).
	return landlock.V7.BestEffort().Restrict(rules...)
}
