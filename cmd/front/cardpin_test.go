package main

import (
	"bytes"
	"errors"
	"testing"
)

// TestAskPINTwice: a new PIN is asked until the repetition matches, with
// gpg-agent's note after a mismatch; a PIN without repeat is asked once;
// a cancel ends the dialog.
func TestAskPINTwice(t *testing.T) {
	canceled := errors.New("canceled")
	answers := []string{"111111", "222222", "333333", "333333"}
	var descs []string
	ask := func(desc string) ([]byte, error) {
		descs = append(descs, desc)
		if len(answers) == 0 {
			return nil, canceled
		}
		a := answers[0]
		answers = answers[1:]
		return []byte(a), nil
	}
	pin, err := askPINTwice(pinNewUser, ask)
	if err != nil || string(pin) != "333333" || len(descs) != 4 {
		t.Fatalf("%q %v after %q", pin, err, descs)
	}
	if descs[2] != "PIN not correctly repeated; try again\nNew PIN" || descs[1] != "Repeat this PIN" {
		t.Fatalf("prompts %q", descs)
	}
	answers, descs = []string{"12345678"}, nil
	if pin, err := askPINTwice(pinAdmin, ask); err != nil || !bytes.Equal(pin, []byte("12345678")) || len(descs) != 1 {
		t.Fatalf("admin PIN: %q %v %q", pin, err, descs)
	}
	answers = []string{"abcdefgh"}
	if _, err := askPINTwice(pinNewResetCode, ask); !errors.Is(err, canceled) {
		t.Fatalf("cancel at the repetition: %v", err)
	}
}
