// Package password hashes people's passwords with argon2id and checks them,
// in the PHC string format other tools read
// ($argon2id$v=19$m=65536,t=3,p=2$salt$hash).
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's costs. Default follows RFC 9106's second
// recommended option (64 MiB, 3 passes), with 2 lanes for small machines.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Default is what Hash uses.
var Default = Params{Memory: 64 * 1024, Time: 3, Threads: 2}

const (
	saltLen = 16
	keyLen  = 32
	// MinLength is the shortest password accepted: NIST SP 800-63B asks for
	// at least 8 characters and no composition rules.
	MinLength = 12
	// MaxLength bounds the work one sign-in can cause.
	MaxLength = 1024
)

// ErrMismatch is a password that does not match the hash.
var ErrMismatch = errors.New("password does not match")

// Check says whether pw is acceptable as a new password.
func Check(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLength:
		return fmt.Errorf("a password needs at least %d characters", MinLength)
	case len(pw) > MaxLength:
		return fmt.Errorf("a password has at most %d bytes", MaxLength)
	}
	return nil
}

// Hash hashes pw with a fresh random salt.
func Hash(pw string, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify checks pw against a hash made by Hash, in constant time.
func Verify(pw, hash string) error {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return errors.New("verify password: not an argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return errors.New("verify password: unsupported argon2 version")
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 1<<22 || p.Time > 100 {
		return errors.New("verify password: bad argon2 parameters")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return fmt.Errorf("verify password: salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return errors.New("verify password: bad hash")
	}
	if len(pw) > MaxLength {
		return ErrMismatch
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// dummy is verified against when the account does not exist, so that
// a sign-in for an unknown name takes as long as one for a known name.
// It is made on first use, not at start-up, which it would slow down.
var dummy = sync.OnceValue(func() string {
	h, _ := Hash("no account has this password", Default)
	return h
})

// VerifyNothing costs what Verify costs, and always fails.
func VerifyNothing(pw string) error {
	_ = Verify(pw, dummy())
	return ErrMismatch
}
