package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// menuIO is the dialog of gpg's interactive menus (--edit-key,
// --card-edit): answers from the command fd (GET_LINE/GET_BOOL, GOT_IT)
// or the terminal, prompts and listings to tty.
type menuIO struct {
	a   *app
	tty io.Writer
	in  *bufio.Reader // the terminal when there is no command fd
}

// getLine is cpr_get: the command fd, else the terminal; a cancel (end of
// file, Ctrl-D) is Ctrl-D.
func (s *menuIO) getLine(keyword, prompt string) string {
	if s.a.commandFD() {
		ans, canceled := s.a.cprGet("GET_LINE", keyword)
		if canceled {
			return controlDAnswer
		}
		return ans
	}
	if s.in == nil {
		switch {
		case s.a.opts.has("batch"):
			panic(errBatchInput)
		case s.a.opts.has("no-tty"):
			panic(errNoTTYInput)
		}
		return controlDAnswer
	}
	fmt.Fprint(s.tty, prompt)
	line, err := s.in.ReadString('\n')
	if err != nil && line == "" {
		return controlDAnswer
	}
	return strings.TrimRight(line, "\r\n")
}

// askYes is cpr_get_answer_is_yes.
func (s *menuIO) askYes(keyword, prompt string) bool {
	if s.a.commandFD() {
		return s.a.cprGetBool(keyword)
	}
	ans := strings.ToLower(strings.TrimSpace(s.getLine(keyword, prompt)))
	return ans == "y" || ans == "yes"
}

// openTerminal gives the session gpg's terminal (its tty_printf and
// tty_get): prompts and listings go to /dev/tty, answers come from it
// unless there is a command fd. --no-tty silences that output, batch mode
// sends it to stderr (gpg's ttyio rules); without a /dev/tty it goes to
// stderr as well. The returned function closes the terminal.
func (s *menuIO) openTerminal() func() {
	s.tty = s.a.stderr
	if s.a.opts.has("no-tty") {
		s.tty = io.Discard
	}
	if s.a.opts.has("no-tty") || s.a.opts.has("batch") {
		return func() {}
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return func() {}
	}
	s.tty = tty
	if !s.a.commandFD() {
		s.in = bufio.NewReader(tty)
	}
	return func() { tty.Close() }
}
