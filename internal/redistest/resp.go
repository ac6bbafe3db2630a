package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// The harness speaks just enough RESP2 to check readiness (AUTH, PING,
// CLUSTER INFO) without depending on the Redis client the code under test
// uses: a bug in that client must not make the harness report a healthy
// server.

// ReplyError is an error reply from the server, such as "NOAUTH
// Authentication required." or "WRONGPASS invalid username-password pair".
type ReplyError struct{ Msg string }

func (e *ReplyError) Error() string { return "redis: " + e.Msg }

// maxBulk bounds a bulk reply the harness accepts; its own commands get a
// few hundred bytes.
const maxBulk = 1 << 20

// roundTrip dials addr, sends AUTH when auth is not empty (one element:
// password; two: user and password), then one command, and returns its
// reply. Array replies are refused: the harness never needs them.
func roundTrip(addr string, auth []string, timeout time.Duration, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	if len(auth) > 0 {
		if _, err := command(c, r, append([]string{"AUTH"}, auth...)...); err != nil {
			return "", err
		}
	}
	return command(c, r, args...)
}

func command(w io.Writer, r *bufio.Reader, args ...string) (string, error) {
	if _, err := w.Write(encodeCommand(args)); err != nil {
		return "", err
	}
	return readReply(r)
}

// encodeCommand renders args as a RESP array of bulk strings.
func encodeCommand(args []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

// readReply reads one RESP2 reply: simple string, error, integer (as its
// decimal text) or bulk string (a nil bulk string is an error).
func readReply(r *bufio.Reader) (string, error) {
	line, err := readLine(r)
	if err != nil {
		return "", err
	}
	if line == "" {
		return "", errors.New("redistest: empty reply line")
	}
	body := line[1:]
	switch line[0] {
	case '+', ':':
		return body, nil
	case '-':
		return "", &ReplyError{Msg: body}
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > maxBulk {
			return "", fmt.Errorf("redistest: bad bulk length %q", body)
		}
		if n == -1 {
			return "", errors.New("redistest: nil reply")
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return "", errors.New("redistest: bulk string not terminated by CRLF")
		}
		return string(buf[:n]), nil
	case '*':
		return "", errors.New("redistest: array reply (use a Redis client for such commands)")
	default:
		return "", fmt.Errorf("redistest: unknown reply type %q", line[0])
	}
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", errors.New("redistest: reply line not terminated by CRLF")
	}
	return line[:len(line)-2], nil
}
