package sandbox

import (
	"fmt"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// minLandlockABI is the lowest landlock ABI a helper accepts.
//
// ABI 1 already confines open(2) to the policy's directories, which is the
// landlock half of every current policy. What later ABIs add is either
// covered by seccomp (ABI 3 truncate: read-only policies cannot open with
// O_TRUNC/O_CREAT/write access and have no truncate(2); ABI 4 TCP and ABI 6
// signal scoping: sockets and foreign kill(2) are seccomp errno rules) or
// not needed (ABI 2 refer: cross-directory renames stay denied, as ABI 1
// denies them implicitly). landlock.V7.BestEffort() still uses everything
// the kernel offers.
const minLandlockABI = 1

// requiredLandlockABI is the minimum ABI for p; below it Apply fails closed.
func requiredLandlockABI(p Policy) int {
	for _, d := range p.SocketDomains {
		if d == unix.AF_INET || d == unix.AF_INET6 {
			// Without ABI 4, landlock cannot restrict TCP ports at all.
			return 4
		}
	}
	return minLandlockABI
}

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
	if err := checkLandlockABI(abi, err, requiredLandlockABI(p)); err != nil {
		return err
	}
	var rules []landlock.Rule
	if len(p.ReadDirs) > 0 {
		rules = append(rules, landlock.PathAccess(readRights, p.ReadDirs...))
	}
	if len(p.WriteDirs) > 0 {
		rules = append(rules, landlock.PathAccess(writeRights, p.WriteDirs...))
	}
	// Restrict covers file system, TCP (no port rules: every TCP bind and
	// connect is denied) and the IPC scopes (abstract unix sockets and
	// signals to processes outside this domain).
	return landlock.V7.BestEffort().Restrict(rules...)
}
