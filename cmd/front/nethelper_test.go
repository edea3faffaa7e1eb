package main

import (
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/frontpgp/front/ipc"
)

// withNethelper builds the real nethelper into a temporary libexec
// directory that helperPath finds from the test binary, for this test.
func withNethelper(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", dir, "../nethelper").CombinedOutput(); err != nil {
		t.Fatalf("build nethelper: %v\n%s", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if r, err := filepath.EvalSymlinks(self); err == nil {
		self = r
	}
	rel, err := filepath.Rel(filepath.Dir(self), dir)
	if err != nil {
		t.Fatal(err)
	}
	old := libexecDir
	libexecDir = rel
	t.Cleanup(func() { libexecDir = old })
}

// fetch starts nethelper through helperPath, under its sandbox, and maps
// its errors to the errNet* kinds; $SSL_CERT_FILE stands in for CACerts.
func TestFetchThroughNethelper(t *testing.T) {
	withNethelper(t)
	t.Setenv("FRONTPGP_UNSAFE_NO_SANDBOX", "")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/key":
			io.WriteString(w, "KEY")
		case "/auth":
			w.WriteHeader(http.StatusUnauthorized)
		default:
			http.NotFound(w, r)
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	req := func(path string) *ipc.FetchRequest {
		return &ipc.FetchRequest{Method: "GET", URLs: []string{fmt.Sprintf("https://openpgpkey.example.com:%d%s", port, path)},
			HTTPSOnly: true, MaxRedirects: 2, MaxBytes: 1 << 20, TimeoutMillis: 10000, CACerts: ca,
			Resolve: []string{fmt.Sprintf("openpgpkey.example.com:%d:127.0.0.1", port)}}
	}
	a := &app{}

	res, err := a.fetch(req("/key"))
	if err != nil || res.Status != 200 || string(res.Body) != "KEY" {
		t.Fatalf("fetch: %+v %v", res, err)
	}
	res, err = a.fetch(req("/nothing"))
	if err != nil || res.Status != 404 {
		t.Errorf("404 is a result: %+v %v", res, err)
	}
	_, err = a.fetch(req("/auth"))
	if !errors.Is(err, errNetUnauthorized) {
		t.Errorf("401: %v", err)
	}
	r := req("/key")
	r.Resolve = nil
	r.URLs = []string{"https://openpgpkey.nx.invalid/key"}
	if _, err = a.fetch(r); !errors.Is(err, errNetHostNotFound) {
		t.Errorf("unresolvable host: %v", err)
	}
	if _, err = a.fetch(&ipc.FetchRequest{Method: "GET", URLs: []string{"ftp://x/"}}); !errors.Is(err, errNetBadRequest) {
		t.Errorf("ftp URL: %v", err)
	}

	// Without CACerts, $SSL_CERT_FILE's certificates replace the system's:
	// first the positive control (not trusted without it).
	r = req("/key")
	r.CACerts = nil
	t.Setenv("SSL_CERT_FILE", "")
	if _, err = a.fetch(r); !errors.Is(err, errNetTLS) {
		t.Fatalf("untrusted server: %v", err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, ca, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", file)
	if res, err = a.fetch(r); err != nil || string(res.Body) != "KEY" {
		t.Errorf("with SSL_CERT_FILE: %+v %v", res, err)
	}
	if r.CACerts != nil {
		t.Error("fetch changed the caller's request")
	}
}
