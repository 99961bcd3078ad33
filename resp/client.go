package resp

import (
	"bufio"
	"net"
	"time"
)

// Client is a small synchronous RESP client for tests and tools: it sends
// commands and returns each reply's exact bytes.
type Client struct {
	Conn    net.Conn
	r       *bufio.Reader
	Timeout time.Duration // per Do/Read; 5s when zero
}

// Dial connects to addr.
func Dial(addr string) (*Client, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return NewClient(c), nil
}

// NewClient wraps an established connection.
func NewClient(c net.Conn) *Client { return &Client{Conn: c, r: bufio.NewReader(c)} }

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 5 * time.Second
}

// Send writes one command without reading its reply.
func (c *Client) Send(args ...string) error {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout()))
	_, err := c.Conn.Write(AppendCommand(nil, args...))
	return err
}

// Read returns the raw bytes of the next reply.
func (c *Client) Read() (string, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout()))
	b, err := ReadReply(c.r, nil)
	return string(b), err
}

// Do sends one command and returns its raw reply.
func (c *Client) Do(args ...string) (string, error) {
	if err := c.Send(args...); err != nil {
		return "", err
	}
	return c.Read()
}

// Close closes the connection.
func (c *Client) Close() error { return c.Conn.Close() }
