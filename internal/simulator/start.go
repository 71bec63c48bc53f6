package simulator

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	smtp "github.com/emersion/go-smtp"
)

// Running is a simulator serving HTTP and SMTP on real sockets.
type Running struct {
	httpURL  string
	smtpAddr string
	http     *http.Server
	smtp     *smtp.Server

	once sync.Once
	err  error
}

// Start serves the simulator's HTTP routes on httpAddr and its SMTP server
// on smtpAddr (":0" picks a free port; an empty address serves nothing)
// until Close is called. No context: a caller's start-up deadline must not
// close the servers while the system still uses them.
func (s *Simulator) Start(httpAddr, smtpAddr string) (*Running, error) {
	run := &Running{}
	var hl, sl net.Listener
	var err error
	if httpAddr != "" {
		if hl, err = net.Listen("tcp", httpAddr); err != nil {
			return nil, fmt.Errorf("start simulator http: %w", err)
		}
		run.httpURL = "http://" + dialable(hl.Addr())
	}
	if smtpAddr != "" {
		if sl, err = net.Listen("tcp", smtpAddr); err != nil {
			if hl != nil {
				hl.Close()
			}
			return nil, fmt.Errorf("start simulator smtp: %w", err)
		}
		if run.smtp, err = s.newSMTPServer(sl); err != nil {
			if hl != nil {
				hl.Close()
			}
			return nil, err
		}
		run.smtpAddr = dialable(sl.Addr())
		go func() {
			if err := run.smtp.Serve(sl); err != nil {
				s.log.Error("simulator smtp stopped", "err", err)
			}
		}()
	}
	if hl != nil {
		run.http = &http.Server{
			Handler:           s.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		}
		go func() {
			if err := run.http.Serve(hl); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("simulator http stopped", "err", err)
			}
		}()
	}
	return run, nil
}

// dialable turns a listener's address into one a client on this machine can
// dial: an unspecified host (":0", "0.0.0.0", "::") becomes 127.0.0.1.
func dialable(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// HTTPURL is the base URL of the HTTP routes, e.g. http://127.0.0.1:41234;
// an adapter's base URL adds the platform prefix (/youtube/v3, /x, …).
func (r *Running) HTTPURL() string { return r.httpURL }

// SMTPAddr is the host:port of the SMTP server.
func (r *Running) SMTPAddr() string { return r.smtpAddr }

// Close stops both servers. Answers still hanging are cut off. The
// Simulator itself stays usable; close it separately.
func (r *Running) Close() error {
	r.once.Do(func() {
		var errs []error
		if r.http != nil {
			errs = append(errs, r.http.Close())
		}
		if r.smtp != nil {
			if err := r.smtp.Close(); !errors.Is(err, smtp.ErrServerClosed) {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			r.err = fmt.Errorf("stop simulator: %w", err)
		}
	})
	return r.err
}
