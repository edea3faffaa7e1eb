package remote

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/frontpgp/front/ipc"
)

func listen(t *testing.T, h Handler) *Endpoint {
	t.Helper()
	e, err := Listen(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	go e.Serve(h)
	t.Cleanup(func() { e.Close() })
	return e
}

func TestCallServed(t *testing.T) {
	e := listen(t, func(req ipc.Message) (ipc.Message, error) {
		s := req.(*ipc.SignRequest)
		return &ipc.SignResult{Signature: append([]byte("sig:"), s.KeyFingerprint...)}, nil
	})
	st, err := os.Stat(filepath.Dir(e.Path()))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("endpoint directory: %v %v", st, err)
	}
	var res ipc.SignResult
	if err := Call(e.Path(), &ipc.SignRequest{KeyFingerprint: []byte("K")}, &res); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Signature, []byte("sig:K")) {
		t.Fatalf("got %q", res.Signature)
	}
	dir := filepath.Dir(e.Path())
	e.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("endpoint directory left after Close: %v", err)
	}
}

func TestHandlerErrorReachesCaller(t *testing.T) {
	e := listen(t, func(ipc.Message) (ipc.Message, error) {
		return nil, &ipc.Error{Code: ipc.ErrCodeCanceled, Message: "cancelled"}
	})
	var res ipc.DecryptResult
	err := Call(e.Path(), &ipc.DecryptRequest{KeyFingerprint: []byte("K")}, &res)
	var ie *ipc.Error
	if !errors.As(err, &ie) || ie.Code != ipc.ErrCodeCanceled {
		t.Fatalf("got %v", err)
	}
}

func TestOtherRequestsRefused(t *testing.T) {
	served := false
	e := listen(t, func(ipc.Message) (ipc.Message, error) { served = true; return &ipc.ExportResult{}, nil })
	var res ipc.ExportResult
	if err := Call(e.Path(), &ipc.ExportRequest{}, &res); err == nil {
		t.Fatal("Call sent an export request")
	}
	// A client that sends one anyway gets NotPermitted and no service.
	c, err := net.Dial("unix", e.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn := ipc.NewConn(c, c)
	if err := conn.ReadHello(ipc.RoleKey); err != nil {
		t.Fatal(err)
	}
	conn.WriteHello(ipc.RoleKey)
	err = conn.Call(&ipc.ExportRequest{}, &res, func(*ipc.Inquiry) ([]byte, bool, error) { return nil, false, nil })
	var ie *ipc.Error
	if !errors.As(err, &ie) || ie.Code != ipc.ErrCodeNotPermitted || served {
		t.Fatalf("export over the endpoint: %v, served %v", err, served)
	}
}
