package main

// gpg-agent.conf in the home: front has no agent, but a user's agent
// settings for pinentry and the passphrase cache keep their meaning. The
// file is read only when a passphrase is needed. Its bad lines are not
// reported on gpg's stderr (gpg-agent logs them, gpg never shows them),
// except with --verbose.

import (
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/frontpgp/front/secretcache"
)

// agentOptions is gpg-agent 2.2.40's option table (gpg-agent
// --dump-options): the options front acts on are implemented, the rest are
// accepted so that a real gpg-agent.conf reads without complaint.
// passphrase-cache and remote-confirm are front's own; a home shared with
// a real gpg-agent needs "ignore-invalid-option NAME" before them.
//
// Built on first use (a sync.OnceValue): a run reads gpg-agent.conf only
// when it may ask a passphrase, and the appended flag list makes this the
// one table that cannot be static data.
var agentOptions = sync.OnceValue(func() *optTable {
	return newOptTable(append([]optSpec{
		str(implemented, "pinentry-program", 0),
		integer(implemented, "pinentry-timeout", 0),
		integer(implemented, "default-cache-ttl", 0),
		integer(implemented, "max-cache-ttl", 0),
		flag(implemented, "ignore-cache-for-signing", 0),
		flag(implemented, "allow-loopback-pinentry", 0),
		flag(implemented, "no-allow-loopback-pinentry", 0),
		str(implemented, "passphrase-cache", 0),
		flag(implemented, "remote-confirm", 0),
		str(noEffect, "ignore-invalid-option", 0),
		str(noEffect, "display", 0), str(noEffect, "ttyname", 0), str(noEffect, "ttytype", 0),
		str(noEffect, "lc-ctype", 0), str(noEffect, "lc-messages", 0), str(noEffect, "xauthority", 0),
		str(noEffect, "debug", 0), str(noEffect, "debug-level", 0), integer(noEffect, "debug-wait", 0),
		str(noEffect, "log-file", 0), str(noEffect, "scdaemon-program", 0),
		str(noEffect, "extra-socket", 0), str(noEffect, "browser-socket", 0),
		str(noEffect, "ssh-fingerprint-digest", 0), integer(noEffect, "listen-backlog", 0),
		str(noEffect, "faked-system-time", 0), integer(noEffect, "default-cache-ttl-ssh", 0),
		integer(noEffect, "max-cache-ttl-ssh", 0), str(noEffect, "sys-trustlist-name", 0),
		integer(noEffect, "s2k-count", 0), integer(noEffect, "s2k-calibration", 0),
		integer(noEffect, "min-passphrase-len", 0), integer(noEffect, "min-passphrase-nonalpha", 0),
		str(noEffect, "check-passphrase-pattern", 0), str(noEffect, "check-sym-passphrase-pattern", 0),
		integer(noEffect, "max-passphrase-days", 0), str(noEffect, "pinentry-touch-file", 0),
		str(noEffect, "pinentry-invisible-char", 0),
	}, agentFlags(
		"verbose", "quiet", "debug-all", "debug-pinentry", "debug-quick-random", "disable-scdaemon",
		"disable-check-own-socket", "keep-tty", "keep-display", "enable-ssh-support",
		"enable-putty-support", "disable-extended-key-format", "enable-extended-key-format",
		"auto-expand-secmem", "no-allow-external-cache", "no-allow-mark-trusted",
		"allow-mark-trusted", "no-user-trustlist", "allow-preset-passphrase",
		"enforce-passphrase-constraints", "enable-passphrase-history", "batch", "grab", "no-grab",
		"pinentry-formatted-passphrase", "allow-emacs-pinentry", "use-standard-socket",
		"no-use-standard-socket", "no-detach", "sh", "csh", "steal-socket", "supervised",
	)...))
})

func agentFlags(names ...string) []optSpec {
	specs := make([]optSpec, len(names))
	for i, n := range names {
		specs[i] = flag(noEffect, n, 0)
	}
	return specs
}

// agentConfig is what front takes from gpg-agent.conf.
type agentConfig struct {
	pinentryProgram  string
	pinentryTimeout  time.Duration
	policy           secretcache.Policy
	ignoreForSigning bool
	loopbackAllowed  bool
	cache            string // secretcache backend name
	remoteConfirm    bool   // front ssh asks the pinentry before each request (front's own option)
}

// defaultPinentry is gpg-agent's default on Debian.
const defaultPinentry = "/usr/bin/pinentry"

// agentConf reads gpg-agent.conf once per run.
func (a *app) agentConf() *agentConfig {
	if a.agent != nil {
		return a.agent
	}
	p := newParsed()
	warn := func(line string) {
		if a.opts.has("verbose") {
			fmt.Fprintln(a.stderr, line)
		}
	}
	_ = readOptionsFile(p, agentOptions(), filepath.Join(a.home, "gpg-agent.conf"), false, warn)
	c := &agentConfig{
		pinentryProgram: defaultPinentry,
		policy:          secretcache.DefaultPolicy,
		// gpg-agent 2.2 allows loopback unless told not to; the last of
		// the two options wins
		loopbackAllowed: true,
		cache:           secretcache.Auto,
	}
	if v := p.last("pinentry-program"); v != "" {
		c.pinentryProgram = v
	}
	seconds := func(name string, into *time.Duration) {
		if n, err := strconv.Atoi(p.last(name)); err == nil && n >= 0 {
			*into = time.Duration(n) * time.Second
		}
	}
	seconds("pinentry-timeout", &c.pinentryTimeout)
	seconds("default-cache-ttl", &c.policy.TTL)
	seconds("max-cache-ttl", &c.policy.MaxTTL)
	c.ignoreForSigning = p.has("ignore-cache-for-signing")
	c.remoteConfirm = p.has("remote-confirm")
	for _, name := range p.order {
		switch name {
		case "allow-loopback-pinentry":
			c.loopbackAllowed = true
		case "no-allow-loopback-pinentry":
			c.loopbackAllowed = false
		}
	}
	if v := p.last("passphrase-cache"); v != "" {
		c.cache = v
	}
	// the command line wins over the file
	if v := a.opts.last("passphrase-cache"); v != "" {
		c.cache = v
	}
	a.agent = c
	return c
}
