// Package codec encrypts the payloads the Temporal engine stores: workflow
// inputs, activity arguments and results carry the URLs of victims' content
// and staff notes, and the engine's database should hold none of it in the
// clear. Payloads are sealed with AES-256-GCM under a key only the workers,
// the API and auditors' tools hold.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

const (
	// Encoding marks an encrypted payload, as Temporal's samples do, so that
	// tools recognise it.
	Encoding     = "binary/encrypted"
	metaKeyID    = "encryption-key-id"
	metaEncoding = "encoding"
	// KeySize is the AES-256 key length in bytes.
	KeySize = 32
)

// Codec is a converter.PayloadCodec that encrypts every payload.
type Codec struct {
	aead  cipher.AEAD
	keyID string
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New builds a codec from a 32-byte key.
func New(key []byte) (*Codec, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("payload key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("payload key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("payload key: %w", err)
	}
	sum := sha256.Sum256(key)
	// The key id names the key without revealing it, so a payload sealed
	// under another key is refused with a clear message.
	return &Codec{aead: aead, keyID: hex.EncodeToString(sum[:6])}, nil
}

// KeyID identifies the key.
func (c *Codec) KeyID() string { return c.keyID }

// DataConverter wraps Temporal's default converter with this codec.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// Encode seals each payload, metadata included.
func (c *Codec) Encode(ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(ps))
	for i, p := range ps {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		nonce := make([]byte, c.aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{metaEncoding: []byte(Encoding), metaKeyID: []byte(c.keyID)},
			Data:     c.aead.Seal(nonce, nonce, plain, []byte(c.keyID)),
		}
	}
	return out, nil
}

// ErrUnsealed is a payload that was not sealed with a key. Workers refuse
// it: the engine's frontend can be reached around the API (the temporal CLI
// sends plain JSON), and a workflow must act only on what this deployment's
// own processes sealed.
var ErrUnsealed = errors.New("payload is not sealed: this deployment accepts only payloads sealed with its payload key")

// Sealed reports whether p is sealed by a codec (with whatever key).
func Sealed(p *commonpb.Payload) bool {
	return string(p.GetMetadata()[metaEncoding]) == Encoding
}

// Decode opens sealed payloads and refuses any other (ErrUnsealed).
func (c *Codec) Decode(ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(ps))
	for i, p := range ps {
		if !Sealed(p) {
			return nil, ErrUnsealed
		}
		if id := string(p.GetMetadata()[metaKeyID]); id != c.keyID {
			return nil, fmt.Errorf("payload sealed under key %q, but this key is %q", id, c.keyID)
		}
		n := c.aead.NonceSize()
		if len(p.Data) < n {
			return nil, errors.New("decode payload: too short")
		}
		plain, err := c.aead.Open(nil, p.Data[:n], p.Data[n:], []byte(c.keyID))
		if err != nil {
			return nil, fmt.Errorf("decode payload: %w", err)
		}
		var dp commonpb.Payload
		if err := proto.Unmarshal(plain, &dp); err != nil {
			return nil, fmt.Errorf("decode payload: %w", err)
		}
		out[i] = &dp
	}
	return out, nil
}

// ParseKey reads a key written as base64 (standard or URL alphabet) or hex.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if b, err := dec(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("payload key must be %d bytes in base64 or hex", KeySize)
}

// LoadOrCreateKey reads the key file at path, creating it with a fresh
// random key (readable by its owner only) the first time. For development:
// production keys come from the operator.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return ParseKey(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read payload key: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("create payload key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create payload key: %w", err)
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("create payload key: %w", err)
	}
	return key, nil
}
