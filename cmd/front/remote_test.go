package main

import (
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/frontpgp/front/ipc"
)

func TestSplitSSHArgs(t *testing.T) {
	for _, c := range []struct {
		args    []string
		opts    []string
		host    string
		command []string
		wantErr bool
	}{
		{args: []string{"host"}, host: "host"},
		{args: []string{"-t", "-p", "2222", "host", "ls", "-l"}, opts: []string{"-t", "-p", "2222"}, host: "host", command: []string{"ls", "-l"}},
		{args: []string{"-p2222", "-vJ", "jump", "-o", "User=x", "h", "cmd"}, opts: []string{"-p2222", "-vJ", "jump", "-o", "User=x"}, host: "h", command: []string{"cmd"}},
		{args: []string{"-F", "cfg", "--", "-odd", "x"}, opts: []string{"-F", "cfg"}, host: "-odd", command: []string{"x"}},
		{args: []string{"-i"}, wantErr: true},
		{args: []string{"-t"}, wantErr: true},
		{args: nil, wantErr: true},
	} {
		opts, host, command, err := splitSSHArgs(c.args)
		if (err != nil) != c.wantErr || !reflect.DeepEqual(opts, c.opts) || host != c.host || fmt.Sprint(command) != fmt.Sprint(c.command) {
			t.Errorf("splitSSHArgs(%q) = %q %q %q %v", c.args, opts, host, command, err)
		}
	}
}

// TestRemoteScript runs the remote script under sh: the command sees the
// socket path, the socket file is gone after it, its status passes.
func TestRemoteScript(t *testing.T) {
	sock := t.TempDir() + "/it's.sock"
	script := remoteScript(sock, []string{"test -n \"$FRONT_REMOTE_SIGNER\" && touch \"$FRONT_REMOTE_SIGNER\" && echo \"$FRONT_REMOTE_SIGNER\";", "exit 3"})
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = []string{"SHELL=/bin/sh"}
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("exit: %v", err)
	}
	if strings.TrimSpace(string(out)) != sock {
		t.Fatalf("the command saw %q", out)
	}
	if _, err := exec.Command("test", "-e", sock).Output(); err == nil {
		t.Fatalf("%s left behind", sock)
	}
}

// TestRemoteCardError: a card failure on the signing machine, sent as
// remoteCardError's ipc error, is the same gpg error on the remote side
// (cardCallFailed); a PIN not given is a cancelled request.
func TestRemoteCardError(t *testing.T) {
	a := &app{}
	for _, cf := range []*cardFailure{
		{gpgError(srcSCD, errBadPIN), "Bad PIN"},
		{gpgError(srcSCD, errPINBlocked), "PIN blocked"},
		{gpgError(srcSCD, errCardNotPresent), "Card not present"},
		{gpgError(srcSCD, errCardRemoved), "Card removed"},
		{gpgError(srcSCD, errCard), "Card error: the reader is used exclusively by another program"},
	} {
		got := a.cardCallFailed(remoteCardError(cf))
		if g, ok := got.(*cardFailure); !ok || *g != *cf {
			t.Errorf("%q: remote side got %#v", cf.msg, got)
		}
	}
	// the local agent's "Card not present" (no pinentry to ask for the
	// card) arrives with scdaemon's source: the code says only "no card"
	got := a.cardCallFailed(remoteCardError(&cardFailure{gpgError(srcAgent, errCardNotPresent), "Card not present"}))
	if g, ok := got.(*cardFailure); !ok || g.msg != "Card not present" {
		t.Errorf("card not present: %#v", got)
	}
	e, ok := remoteCardError(&cardFailure{gpgError(srcPinentry, errCanceled), "Operation cancelled"}).(*ipc.Error)
	if !ok || e.Code != ipc.ErrCodeCanceled {
		t.Errorf("cancelled PIN: %#v", e)
	}
	if err := remoteCardError(errNoPassphrase); err != errNoPassphrase {
		t.Errorf("not a card failure: %v", err)
	}
}
