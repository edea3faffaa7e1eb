package main

import "testing"

// GPGME passes its data as "-&N" file arguments (gpg --sign -- -&11):
// like gpg's iobuf_is_pipe_filename, such a name is a pipe, so the output
// goes to stdout (not to a file "-&11.asc") and the literal packet gets
// no file name.
func TestSpecialNamesArePipes(t *testing.T) {
	p, _ := parseArgs([]string{"--enable-special-filenames"})
	a := &app{opts: p}
	for name, want := range map[string]bool{"": true, "-": true, "-&11": true, "-&0": true, "-&x": false, "msg.txt": false} {
		if got := a.isPipeName(name); got != want {
			t.Errorf("isPipeName(%q) = %v, want %v", name, got, want)
		}
	}
	if got := a.literalName([]string{"-&11"}); got != "" {
		t.Errorf("literal name of -&11: %q, want none", got)
	}
	if got := a.literalName([]string{"dir/msg.txt"}); got != "msg.txt" {
		t.Errorf("literal name of dir/msg.txt: %q", got)
	}
	a.opts, _ = parseArgs(nil)
	if a.isPipeName("-&11") {
		t.Error("-&11 is a file name without --enable-special-filenames")
	}
	if got := a.literalName([]string{"-&11"}); got != "-&11" {
		t.Errorf("literal name of -&11 without special file names: %q", got)
	}
}
