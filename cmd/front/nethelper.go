package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/frontpgp/front/ipc"
)

// Errors of fetch, for the network commands to map to gpg's messages. Every
// error fetch returns wraps exactly one of these (test with errors.Is); its
// text is one line that names at most a host, never server text:
//
//	errNetBadRequest    the request is invalid (an option value, or a bug)
//	errNetHostNotFound  the (last) host does not resolve: NXDOMAIN or no address
//	errNetResolve       name resolution failed otherwise (SERVFAIL, no DNS server)
//	errNetConnect       connection refused, unreachable, reset, or not permitted
//	errNetTimeout       the request's deadline passed
//	errNetTLS           TLS handshake or certificate verification failed
//	errNetTooLarge      the body is larger than the request's MaxBytes
//	errNetRedirect      a redirect was refused (to http, too many, 303, 308, other 3xx)
//	errNetUnauthorized  the server answered 401 (never answered with credentials)
//	errNetBadResponse   the server's answer is not valid HTTP
//	errNetHelper        nethelper was not found, did not start, broke the
//	                    protocol, failed internally or refused to run unsandboxed
var (
	errNetBadRequest   = errors.New("invalid network request")
	errNetHostNotFound = errors.New("host not found")
	errNetResolve      = errors.New("name resolution failed")
	errNetConnect      = errors.New("connection failed")
	errNetTimeout      = errors.New("timeout")
	errNetTLS          = errors.New("TLS failure")
	errNetTooLarge     = errors.New("response too large")
	errNetRedirect     = errors.New("redirect refused")
	errNetUnauthorized = errors.New("authentication required")
	errNetBadResponse  = errors.New("invalid response")
	errNetHelper       = errors.New("nethelper failed")
)

// netErrorKinds maps nethelper's error codes to the errors above; any other
// code is errNetHelper.
var netErrorKinds = map[ipc.ErrorCode]error{
	ipc.ErrCodeBadRequest:    errNetBadRequest,
	ipc.ErrCodeHostNotFound:  errNetHostNotFound,
	ipc.ErrCodeResolveFailed: errNetResolve,
	ipc.ErrCodeConnect:       errNetConnect,
	ipc.ErrCodeTimeout:       errNetTimeout,
	ipc.ErrCodeTLS:           errNetTLS,
	ipc.ErrCodeTooLarge:      errNetTooLarge,
	ipc.ErrCodeRedirect:      errNetRedirect,
	ipc.ErrCodeUnauthorized:  errNetUnauthorized,
	ipc.ErrCodeBadResponse:   errNetBadResponse,
}

// netError is a failed fetch: kind is one of the errNet* values, msg the
// line to show.
type netError struct {
	kind error
	msg  string
}

func (e *netError) Error() string { return e.msg }
func (e *netError) Unwrap() error { return e.kind }

// fetch runs req in a fresh nethelper, which is started with exactly the
// TCP ports req names (req.Ports) and, unless req brings CA certificates,
// loads the system's. If req has no CACerts and $SSL_CERT_FILE is set, that
// file's certificates are used instead of the system's: nethelper reads
// the file before its lockdown and parses it only if a connection uses
// TLS, so a plain-HTTP keyserver request does not carry a 200 KiB bundle
// through the pipe (about 0.5 ms). A result with any HTTP status but 401
// is a result; see the errNet* values for the failures.
func (a *app) fetch(req *ipc.FetchRequest) (*ipc.FetchResult, error) {
	r := *req
	ports, err := r.Ports()
	if err != nil {
		return nil, &netError{errNetBadRequest, err.Error()}
	}
	list := make([]string, len(ports))
	for i, p := range ports {
		list[i] = strconv.Itoa(int(p))
	}
	args := []string{"--ports", strings.Join(list, ","), "--roots", "system"}
	if len(r.CACerts) > 0 {
		args[3] = "request"
	} else if file := os.Getenv("SSL_CERT_FILE"); file != "" {
		if _, err := os.Stat(file); err != nil {
			return nil, &netError{errNetBadRequest, fmt.Sprintf("reading SSL_CERT_FILE: %v", err)}
		}
		args[3] = "file"
		args = append(args, "--roots-file", file)
	}
	// As for keyhelper, no collection until the heap nears the limit; a
	// body at the cap (32 MiB, held two or three times) passes it, and
	// then the collector runs: the limit is soft. One P, as keyhelper:
	// a fetch waits on the network, and fewer threads start faster.
	h, err := startHelper("nethelper", []string{"GOGC=off", "GOMEMLIMIT=64MiB", "GOMAXPROCS=1"}, args...)
	if err != nil {
		return nil, &netError{errNetHelper, err.Error()}
	}
	h.reapLater = true // nethelper writes nothing: its answer is all of its work
	var res ipc.FetchResult
	err = h.session(ipc.RoleNet, &r, &res, func(*ipc.Inquiry) ([]byte, bool, error) {
		return nil, false, errors.New("nethelper asks nothing")
	})
	var e *ipc.Error
	switch {
	case errors.As(err, &e):
		kind, ok := netErrorKinds[e.Code]
		if !ok {
			kind = errNetHelper
		}
		return nil, &netError{kind, e.Message}
	case err != nil:
		return nil, &netError{errNetHelper, err.Error()}
	}
	return &res, nil
}
