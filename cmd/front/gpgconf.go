package main

// front invoked as gpgconf: what GPGME and other gpg front-ends ask gpgconf
// to find gpg and its directories (--list-dirs, --list-components), and
// the agent management commands they run (--kill, --launch, --reload),
// which are no-ops because front has no agent and no dirmngr. The socket
// paths --list-dirs prints follow gpg's layout but no socket is ever
// created there.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/frontpgp/front/secretcache"
)

// gpgconfOptions is gpgconf 2.2.40's option table (tools/gpgconf.c). Its
// commands do not combine: the last one given counts, as in gpgconf.
var gpgconfOptions = &optTable{specs: []optSpec{
	flag(implemented, "list-components", 0),
	flag(implemented, "check-programs", 0),
	flag(notImplemented, "list-options", 0),
	flag(notImplemented, "change-options", 0),
	flag(notImplemented, "check-options", 0),
	flag(notImplemented, "apply-defaults", 0),
	flag(notImplemented, "apply-profile", 0),
	flag(implemented, "list-dirs", 'L'),
	flag(notImplemented, "list-config", 0),
	flag(notImplemented, "check-config", 0),
	flag(notImplemented, "query-swdb", 0),
	flag(implemented, "reload", 'R'),
	flag(implemented, "launch", 0),
	flag(implemented, "kill", 'K'),
	flag(implemented, "create-socketdir", 0),
	flag(implemented, "remove-socketdir", 0),
	flag(notImplemented, "show-versions", 'V'),
	flag(notImplemented, "show-configs", 'X'),
	str(implemented, "output", 'o'),
	flag(noEffect, "verbose", 'v'),
	flag(noEffect, "quiet", 'q'),
	flag(noEffect, "dry-run", 'n'),
	flag(noEffect, "runtime", 'r'),
	integer(noEffect, "status-fd", 0),
	str(implemented, "homedir", 0),
	str(noEffect, "build-prefix", 0),
	flag(implemented, "null", '0'),
	flag(noEffect, "no-verbose", 0),
	flag(implemented, "show-socket", 0),
	internal("help", specialHelp),
	internal("version", specialVersion),
	internal("warranty", specialWarranty),
	{name: "dump-option-table", support: notImplemented, cmdlineOnly: true},
	internal("dump-options", specialDumpOptions),
}}

// gpgconfCommands are the options of gpgconfOptions that are commands.
var gpgconfCommands = map[string]bool{
	"list-components": true, "check-programs": true, "list-options": true, "change-options": true,
	"check-options": true, "apply-defaults": true, "apply-profile": true, "list-dirs": true,
	"list-config": true, "check-config": true, "query-swdb": true, "reload": true, "launch": true,
	"kill": true, "create-socketdir": true, "remove-socketdir": true, "show-versions": true,
	"show-configs": true,
}

// gpgComponents are the component names gpgconf knows; front provides gpg
// only, the others have nothing to kill, launch or reload.
var gpgComponents = []string{"gpg", "gpgsm", "gpg-agent", "scdaemon", "dirmngr", "pinentry"}

// runGPGConf is main for the gpgconf personality. invokedAs is argv[0]:
// bindir is where this gpgconf (a symlink to front) was found.
func (a *app) runGPGConf(invokedAs string, argv []string) int {
	p := newParsed()
	err := gpgconfOptions.parseCommandLine(p, argv)
	a.opts = p
	if err == nil && p.special == notSpecial {
		err = p.checkSupport()
	}
	if err != nil {
		var oe *optionError
		if errors.As(err, &oe) {
			fmt.Fprintln(a.stderr, oe.msg)
		} else {
			fmt.Fprintf(a.stderr, "gpgconf: %v\n", err)
		}
		return 2
	}
	home, err := homeDirectory(p.last("homedir"), optionsSource{getenv: os.Getenv, homeDir: os.UserHomeDir})
	if err != nil {
		a.errorf("%v", err)
		return 2
	}
	a.home = home
	if a.answerSpecial(p.special, gpgconfUsage, gpgconfOptions) {
		return 0
	}
	if !p.has("quiet") {
		for _, w := range p.argsLookLikeOptions {
			fmt.Fprintf(a.stderr, "gpgconf: Note: '%s' is not considered an option\n", w)
		}
	}
	cmd := "list-components"
	for _, it := range p.items {
		if gpgconfCommands[it.spec.name] {
			cmd = it.spec.name
		}
	}
	out := a.stdout
	if o := p.last("output"); o != "" && o != "-" {
		f, err := os.Create(o)
		if err != nil {
			a.errorf("can't create '%s': %s", o, errText(err))
			return 2
		}
		defer f.Close()
		out = f
	}
	dirs := a.gpgconfDirs(invokedAs)
	args := p.args
	switch cmd {
	case "list-components", "check-programs":
		gpg := filepath.Join(dirs.bindir, "gpg")
		if !fileExists(gpg) {
			if self, err := os.Executable(); err == nil {
				gpg = self
			}
		}
		if cmd == "check-programs" {
			fmt.Fprintf(out, "gpg:OpenPGP:%s:1:1:\n", percentEscape(gpg))
		} else {
			fmt.Fprintf(out, "gpg:OpenPGP:%s\n", percentEscape(gpg))
		}
	case "list-dirs":
		dirs.list(out, args, p.has("null"))
	case "kill", "launch":
		if len(args) == 0 {
			fmt.Fprintf(a.stderr, "usage: gpgconf [options] \nNeed one component argument\n")
			return 2
		}
		if args[0] != "all" && !knownComponent(args[0]) {
			fmt.Fprintln(a.stderr, "Component not found")
			return 1
		}
		// Nothing runs, so there is nothing to kill but the cached
		// passphrases, which a killed gpg-agent forgets; launching the
		// agent or dirmngr would start a daemon front does not have.
		if cmd == "kill" && (args[0] == "all" || args[0] == "gpg-agent") {
			a.forgetPassphrases(dirs.homedir)
		}
		if cmd == "launch" && p.has("show-socket") {
			switch args[0] {
			case "gpg-agent":
				dirs.list(out, []string{"agent-socket"}, p.has("null"))
			case "dirmngr":
				dirs.list(out, []string{"dirmngr-socket"}, p.has("null"))
			}
		}
	case "reload":
		if len(args) > 0 && args[0] != "all" && !knownComponent(args[0]) {
			fmt.Fprintln(a.stderr, "Component not found")
			return 1
		}
		// a reloaded gpg-agent forgets its cached passphrases
		if len(args) == 0 || args[0] == "all" || args[0] == "gpg-agent" {
			a.forgetPassphrases(dirs.homedir)
		}
	case "create-socketdir", "remove-socketdir":
		// No sockets, so no socket directory to manage.
	}
	return 0
}

// forgetPassphrases drops the home's cached passphrases from every cache
// backend that can be reached; a failure is a warning, as the command
// itself has nothing else to do.
func (a *app) forgetPassphrases(home string) {
	if err := secretcache.ForgetAll(secretcache.ScopeOf(home)); err != nil {
		fmt.Fprintf(a.stderr, "gpgconf: forgetting cached passphrases: %v\n", err)
	}
}

const gpgconfUsage = `Usage: gpgconf [options]
Manage configuration options for tools of the GnuPG system (this is front as gpgconf).

Commands: --list-components, --check-programs, -L --list-dirs [NAMES],
 -K --kill COMPONENT, --launch COMPONENT, -R --reload [COMPONENT]
(front runs no agent or dirmngr: kill and reload of gpg-agent forget the
cached passphrases of the home; nothing else is done.)
`

func knownComponent(name string) bool {
	for _, c := range gpgComponents {
		if c == name {
			return true
		}
	}
	return false
}

// gpgconfDirs are the directories --list-dirs reports.
type gpgconfDirs struct {
	sysconfdir, bindir, libexecdir, libdir, datadir, localedir, socketdir, homedir string
}

// gpgconfDirs derives front's layout from where it runs: bindir is the
// directory of the gpgconf that was invoked (where gpg is next to it),
// libexecdir where keyhelper is, the rest under the same prefix. front
// has no system configuration file and no sockets; the socket directory
// is the home, as gpg's is when /run/user/UID does not exist.
func (a *app) gpgconfDirs(invokedAs string) gpgconfDirs {
	bindir := ""
	if strings.Contains(invokedAs, "/") {
		bindir = filepath.Dir(invokedAs)
	} else if p, err := exec.LookPath(invokedAs); err == nil {
		bindir = filepath.Dir(p)
	}
	if abs, err := filepath.Abs(bindir); err == nil {
		bindir = abs
	}
	prefix := filepath.Dir(bindir)
	libexec := filepath.Join(prefix, "libexec", "frontpgp")
	if hp, err := helperPath("keyhelper"); err == nil {
		libexec = filepath.Dir(hp)
	}
	home := a.home
	if abs, err := filepath.Abs(home); err == nil {
		home = abs
	}
	return gpgconfDirs{
		sysconfdir: filepath.Join(prefix, "etc", "frontpgp"),
		bindir:     bindir,
		libexecdir: libexec,
		libdir:     filepath.Join(prefix, "lib", "frontpgp"),
		datadir:    filepath.Join(prefix, "share", "frontpgp"),
		localedir:  filepath.Join(prefix, "share", "locale"),
		socketdir:  home,
		homedir:    home,
	}
}

// list prints the directories as gpgconf --list-dirs does: all of them as
// NAME:VALUE (percent-escaped) in gpgconf's order, or only the values of
// the named ones, still in that order, one a line (NUL-terminated with
// --null). Unknown names print nothing.
func (d gpgconfDirs) list(w io.Writer, names []string, null bool) {
	entries := []struct{ name, value string }{
		{"sysconfdir", d.sysconfdir},
		{"bindir", d.bindir},
		{"libexecdir", d.libexecdir},
		{"libdir", d.libdir},
		{"datadir", d.datadir},
		{"localedir", d.localedir},
		{"socketdir", d.socketdir},
		{"dirmngr-socket", filepath.Join(d.socketdir, "S.dirmngr")},
		{"agent-ssh-socket", filepath.Join(d.socketdir, "S.gpg-agent.ssh")},
		{"agent-extra-socket", filepath.Join(d.socketdir, "S.gpg-agent.extra")},
		{"agent-browser-socket", filepath.Join(d.socketdir, "S.gpg-agent.browser")},
		{"agent-socket", filepath.Join(d.socketdir, "S.gpg-agent")},
		{"homedir", d.homedir},
	}
	end := "\n"
	if null {
		end = "\x00"
	}
	for _, e := range entries {
		if names == nil {
			fmt.Fprintf(w, "%s:%s\n", e.name, percentEscape(e.value))
			continue
		}
		for _, n := range names {
			if n == e.name {
				fmt.Fprint(w, e.value, end)
			}
		}
	}
}

// percentEscape escapes a value for gpgconf's colon format: '%', ':', ','
// and a newline become %25, %3a, %2c and %0a.
func percentEscape(s string) string {
	r := strings.NewReplacer("%", "%25", ":", "%3a", ",", "%2c", "\n", "%0a")
	return r.Replace(s)
}
