package directory

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// Server is one directory server.
type Server struct {
	URL    string // as configured, for logs
	Scheme string // "ldap" or "ldaps"
	Host   string // host name, for certificate verification
	Addr   string // host:port to dial
}

// ParseServer parses an ldap:// or ldaps:// URL with nothing after the
// port. Its errors never repeat the URL: a URL may carry a password in its
// userinfo, which is refused without echoing it.
func ParseServer(raw string) (Server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Server{}, errors.New("not a URL")
	}
	if u.User != nil {
		return Server{}, errors.New("must not contain a user name or password (set bind_dn and bind_password instead)")
	}
	var port string
	switch u.Scheme {
	case "ldap":
		port = "389"
	case "ldaps":
		port = "636"
	default:
		return Server{}, errors.New("scheme must be ldap:// or ldaps://")
	}
	if u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Server{}, errors.New("must be scheme://host[:port] with nothing after the port")
	}
	host := u.Hostname()
	if p := u.Port(); p != "" {
		port = p
	}
	return Server{URL: raw, Scheme: u.Scheme, Host: host, Addr: net.JoinHostPort(host, port)}, nil
}

// Encrypted reports whether the server's URL is ldaps://.
func (s Server) Encrypted() bool { return s.Scheme == "ldaps" }

// IsLoopback reports whether the server is on this machine, where a
// plaintext connection cannot be observed on the network.
func (s Server) IsLoopback() bool {
	if strings.EqualFold(s.Host, "localhost") {
		return true
	}
	ip := net.ParseIP(s.Host)
	return ip != nil && ip.IsLoopback()
}
