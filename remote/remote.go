// Package remote carries sign and decrypt requests from a front on a
// remote machine to the front that holds the keys, over a unix socket that
// ssh forwards: Call is the remote side, Endpoint the local one.
//
// A connection is one session of the pipe protocol (ipc) with the local
// endpoint in the helper's place: its hello, the one request, the Result
// or Error. Only requests that need no secret to leave the local machine
// are accepted (sign, decrypt, the public listing of which keys have
// secrets), and no inquiry ever travels over the connection: every
// passphrase is asked for on the local side.
package remote

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/frontpgp/front/ipc"
)

// EnvVar names the variable that holds the forwarded socket's path on the
// remote machine.
const EnvVar = "FRONT_REMOTE_SIGNER"

// requests is the closed set a remote signer accepts.
var requests = map[ipc.MsgType]func() ipc.Message{
	ipc.TypeSignRequest:    func() ipc.Message { return new(ipc.SignRequest) },
	ipc.TypeDecryptRequest: func() ipc.Message { return new(ipc.DecryptRequest) },
	ipc.TypeListRequest:    func() ipc.Message { return new(ipc.ListRequest) },
}

// Allowed reports whether a request of type t may go over a remote signer.
func Allowed(t ipc.MsgType) bool {
	_, ok := requests[t]
	return ok
}

// ErrInquiry is a local endpoint that asked the remote side for a secret:
// a protocol violation, never answered.
var ErrInquiry = errors.New("the remote signer asked for a passphrase over the connection")

// Call sends req to the local endpoint forwarded to path and decodes its
// answer into res. A refusal or failure on the local side is an *ipc.Error.
func Call(path string, req, res ipc.Message) error {
	if !Allowed(req.Type()) {
		return fmt.Errorf("request type %#x is not allowed over a remote signer", uint16(req.Type()))
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		return fmt.Errorf("remote signer: %w", err)
	}
	defer c.Close()
	conn := ipc.NewConn(c, c)
	if err := conn.ReadHello(ipc.RoleKey); err != nil {
		return fmt.Errorf("remote signer did not answer: %w", err)
	}
	if err := conn.WriteHello(ipc.RoleKey); err != nil {
		return err
	}
	return conn.Call(req, res, func(*ipc.Inquiry) ([]byte, bool, error) { return nil, false, ErrInquiry })
}

// Handler answers one request on the local side.
type Handler func(req ipc.Message) (ipc.Message, error)

// Endpoint is the per-session local socket, alone in a fresh 0700
// directory on a local filesystem.
type Endpoint struct {
	dir  string
	ln   *net.UnixListener
	wg   sync.WaitGroup
	once sync.Once
}

// Listen makes the endpoint in base (a local directory; "" means the
// user's runtime directory when there is one, else the temp directory).
func Listen(base string) (*Endpoint, error) {
	if base == "" {
		base = os.Getenv("XDG_RUNTIME_DIR")
		if st, err := os.Stat(base); base == "" || err != nil || !st.IsDir() {
			base = os.TempDir()
		}
	}
	dir, err := os.MkdirTemp(base, "front-ssh-")
	if err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "S.signer"), Net: "unix"})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &Endpoint{dir: dir, ln: ln}, nil
}

// Path is the endpoint's socket path.
func (e *Endpoint) Path() string { return e.ln.Addr().String() }

// Serve answers each connection with h, each in its own goroutine, until
// Close. It returns after Close.
func (e *Endpoint) Serve(h Handler) {
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			defer c.Close()
			serveConn(ipc.NewConn(c, c), h)
		}()
	}
}

// serveConn is one session: hellos, the request, its answer.
func serveConn(conn *ipc.Conn, h Handler) {
	if conn.WriteHello(ipc.RoleKey) != nil || conn.ReadHello(ipc.RoleKey) != nil {
		return
	}
	req, err := conn.ReadRequest(requests)
	if err != nil {
		conn.Write(ipc.AsError(err))
		return
	}
	res, err := h(req)
	if err != nil {
		conn.Write(ipc.AsError(err))
		return
	}
	conn.Write(res)
}

// Close stops accepting, waits for the sessions being served and removes
// the socket and its directory.
func (e *Endpoint) Close() error {
	var err error
	e.once.Do(func() {
		err = e.ln.Close()
		e.wg.Wait()
		if rerr := os.RemoveAll(e.dir); err == nil {
			err = rerr
		}
	})
	return err
}
