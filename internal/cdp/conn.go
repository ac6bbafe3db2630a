package cdp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// message is every frame of the protocol: a command (ID, Method, Params),
// its reply (ID, Result or Error) or an event (Method, Params). SessionID
// names the page a command is for, or an event came from.
type message struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *ProtocolError  `json:"error,omitempty"`
}

// ProtocolError is an error reply from the browser.
type ProtocolError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data,omitempty"`
}

func (e *ProtocolError) Error() string {
	if e.Data != "" {
		return fmt.Sprintf("cdp: %s (%d): %s", e.Message, e.Code, e.Data)
	}
	return fmt.Sprintf("cdp: %s (%d)", e.Message, e.Code)
}

// ErrClosed is returned for commands after the connection ended.
var ErrClosed = errors.New("cdp: connection to the browser closed")

// eventBuffer bounds the events queued for one subscriber; a subscriber
// that falls behind loses the oldest, never blocks the reader.
const eventBuffer = 64

type subscription struct {
	sessionID, method string
	ch                chan json.RawMessage
}

// conn multiplexes commands and events over one pipe pair.
type conn struct {
	wmu sync.Mutex // serialises frames on w
	w   io.Writer

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan message
	subs    map[*subscription]struct{}
	err     error         // why the connection ended
	done    chan struct{} // closed when the reader stops
}

func newConn(r io.Reader, w io.Writer) *conn {
	c := &conn{w: w, pending: map[int64]chan message{}, subs: map[*subscription]struct{}{}, done: make(chan struct{})}
	go c.read(bufio.NewReaderSize(r, 1<<20))
	return c
}

// read dispatches frames until the browser closes its end.
func (c *conn) read(r *bufio.Reader) {
	var err error
	for {
		var frame []byte
		frame, err = r.ReadBytes(0)
		if err != nil {
			break
		}
		var m message
		if jerr := json.Unmarshal(frame[:len(frame)-1], &m); jerr != nil {
			err = fmt.Errorf("cdp: undecodable frame: %w", jerr)
			break
		}
		c.dispatch(m)
	}
	// However the connection ended (the browser quit, Close closed the
	// pipe, a frame was garbled), nothing more will be answered.
	if errors.Is(err, io.EOF) {
		err = ErrClosed
	} else {
		err = fmt.Errorf("%w: %v", ErrClosed, err)
	}
	c.mu.Lock()
	c.err = err
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	for s := range c.subs {
		close(s.ch)
		delete(c.subs, s)
	}
	c.mu.Unlock()
	close(c.done)
}

func (c *conn) dispatch(m message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.ID != 0 {
		if ch, ok := c.pending[m.ID]; ok {
			delete(c.pending, m.ID)
			ch <- m // buffered: never blocks
		}
		return
	}
	for s := range c.subs {
		if s.method != m.Method || s.sessionID != m.SessionID {
			continue
		}
		select {
		case s.ch <- m.Params:
		default: // full: drop the oldest
			select {
			case <-s.ch:
			default:
			}
			select {
			case s.ch <- m.Params:
			default:
			}
		}
	}
}

// call sends a command and waits for its reply; result may be nil.
func (c *conn) call(ctx context.Context, sessionID, method string, params, result any) error {
	var raw json.RawMessage
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return err
		}
		raw = b
	}
	ch := make(chan message, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()

	if err := c.write(message{ID: id, Method: method, Params: raw, SessionID: sessionID}); err != nil {
		c.forget(id)
		return err
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return c.closedErr()
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %w", method, m.Error)
		}
		if result != nil && len(m.Result) > 0 {
			if err := json.Unmarshal(m.Result, result); err != nil {
				return fmt.Errorf("cdp: %s result: %w", method, err)
			}
		}
		return nil
	case <-ctx.Done():
		c.forget(id)
		return fmt.Errorf("cdp: %s: %w", method, ctx.Err())
	}
}

func (c *conn) write(m message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.w.Write(append(b, 0)); err != nil {
		return fmt.Errorf("cdp: write %s: %w", m.Method, err)
	}
	return nil
}

func (c *conn) forget(id int64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

func (c *conn) closedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	return ErrClosed
}

// subscribe queues the events named method from sessionID until cancel is
// called. The channel is closed when the connection ends.
func (c *conn) subscribe(sessionID, method string) (events <-chan json.RawMessage, cancel func()) {
	s := &subscription{sessionID: sessionID, method: method, ch: make(chan json.RawMessage, eventBuffer)}
	c.mu.Lock()
	if c.err != nil {
		close(s.ch)
	} else {
		c.subs[s] = struct{}{}
	}
	c.mu.Unlock()
	return s.ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.subs[s]; ok {
			delete(c.subs, s)
			close(s.ch)
		}
	}
}
