package tlv

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseNested(t *testing.T) {
	// 7F49 { 86 point } as GENERATE returns it, after a primitive 5B.
	point := bytes.Repeat([]byte{0xAB}, 32)
	in := Append(Encode(0x5B, []byte("Doe<<John")), 0x7F49, Encode(0x86, point))
	objs, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].Tag != 0x5B || string(objs[0].Value) != "Doe<<John" {
		t.Fatalf("objs = %+v", objs)
	}
	if !Constructed(0x7F49) || Constructed(0x5F50) || !Constructed(0x6E) || Constructed(0xC5) {
		t.Fatal("Constructed is wrong")
	}
	o, ok := Find(objs, 0x86)
	if !ok || !bytes.Equal(o.Value, point) {
		t.Fatalf("Find(86) = %+v, %v", o, ok)
	}
	if _, ok := Find(objs, 0xC5); ok {
		t.Fatal("found an absent tag")
	}
}

func TestLengthForms(t *testing.T) {
	for _, n := range []int{0, 0x7F, 0x80, 0xFF, 0x100, 0x1234} {
		v := bytes.Repeat([]byte{1}, n)
		enc := Encode(0xC1, v)
		objs, err := Parse(enc)
		if err != nil || len(objs) != 1 || len(objs[0].Value) != n {
			t.Fatalf("len %d: %v %d", n, err, len(objs))
		}
	}
}

func TestMalformed(t *testing.T) {
	deep := []byte{}
	for i := 0; i < MaxDepth+2; i++ {
		deep = Encode(0x73, deep)
	}
	for name, in := range map[string][]byte{
		"truncated value":  {0x5B, 0x05, 'a'},
		"truncated length": {0x5F, 0x50},
		"81 without byte":  {0x5B, 0x81},
		"83 length":        {0x5B, 0x83, 0, 0, 1, 0},
		"three-byte tag":   {0x7F, 0x81, 0x01, 0x00},
		"lone byte":        {0x5B},
		"too deep":         deep,
		"bad child":        {0x6E, 0x02, 0xC5, 0x05},
	} {
		if _, err := Parse(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Append(Encode(0x4F, make([]byte, 16)), 0x73, Encode(0xC5, make([]byte, 60))))
	f.Add([]byte{0x7F, 0x49, 0x82, 0x01, 0x09, 0x81, 0x82, 0x01, 0x00})
	f.Add([]byte{0x6E, 0x81, 0x03, 0x73, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, err := Parse(b)
		if err != nil {
			return
		}
		// Re-encoding what was parsed must parse to the same tags.
		var enc []byte
		for _, o := range objs {
			enc = Append(enc, o.Tag, o.Value)
		}
		again, err := Parse(enc)
		if err != nil || len(again) != len(objs) {
			t.Fatalf("re-parse: %v", err)
		}
	})
}
