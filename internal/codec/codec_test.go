package codec_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/takedown-oss/takedown/internal/codec"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, codec.KeySize) }

func TestRoundTripHidesThePlaintext(t *testing.T) {
	c, err := codec.New(key(1))
	if err != nil {
		t.Fatal(err)
	}
	dc := c.DataConverter()
	secret := "https://t.me/victimchannel/42"
	p, err := dc.ToPayload(map[string]string{"url": secret})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.Data, []byte("victimchannel")) || string(p.Metadata["encoding"]) != codec.Encoding {
		t.Fatalf("payload not sealed: %q", p.Data)
	}
	var back map[string]string
	if err := dc.FromPayload(p, &back); err != nil {
		t.Fatal(err)
	}
	if back["url"] != secret {
		t.Errorf("round trip gave %v", back)
	}
	// Two encodings of the same value differ (fresh nonce each time).
	p2, _ := dc.ToPayload(map[string]string{"url": secret})
	if bytes.Equal(p.Data, p2.Data) {
		t.Error("nonce reused")
	}
}

func TestWrongKeyAndTamperingAreRefused(t *testing.T) {
	a, _ := codec.New(key(1))
	b, _ := codec.New(key(2))
	p, err := a.DataConverter().ToPayload("x")
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := b.DataConverter().FromPayload(p, &s); err == nil || !strings.Contains(err.Error(), "sealed under key") {
		t.Errorf("other key: %v", err)
	}
	p.Data[len(p.Data)-1] ^= 1
	if err := a.DataConverter().FromPayload(p, &s); err == nil {
		t.Error("tampered payload accepted")
	}
}

func TestPlainPayloadsAreRefused(t *testing.T) {
	c, _ := codec.New(key(1))
	p, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"role": "supervisor"})
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := c.DataConverter().FromPayload(p, &v); !errors.Is(err, codec.ErrUnsealed) || v != nil {
		t.Errorf("plain payload: %v %v, want ErrUnsealed", v, err)
	}
	// One plain payload among sealed ones spoils the lot.
	sealed, _ := c.Encode([]*commonpb.Payload{p})
	if _, err := c.Decode([]*commonpb.Payload{sealed[0], p}); !errors.Is(err, codec.ErrUnsealed) {
		t.Errorf("mixed payloads: %v", err)
	}
	if !codec.Sealed(sealed[0]) || codec.Sealed(p) {
		t.Error("Sealed is wrong")
	}
}

func TestKeys(t *testing.T) {
	if _, err := codec.New([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
	path := filepath.Join(t.TempDir(), "payload.key")
	k1, err := codec.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := codec.LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("key not reused: %v", err)
	}
	if _, err := codec.ParseKey("not a key"); err == nil {
		t.Error("bad key accepted")
	}
	hexKey := strings.Repeat("ab", codec.KeySize)
	if k, err := codec.ParseKey(hexKey); err != nil || k[0] != 0xab {
		t.Errorf("hex key: %v", err)
	}
}
