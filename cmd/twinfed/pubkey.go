package main

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/twinfed/twinfed"
)

// parsePublicKeys reads the public keys of a key file as `country add-key`
// takes it: PEM blocks (PUBLIC KEY, or a node's PRIVATE KEY, whose public
// half alone is kept), a JWK, or the NodeKey JSON `twinfed key show`
// prints. id names the key when the file does not (it is refused for a
// file of several keys); else the id is the key's fingerprint.
func parsePublicKeys(raw []byte, id string) ([]twinfed.NodeKey, error) {
	var keys []twinfed.NodeKey
	trimmed := bytes.TrimSpace(raw)
	switch {
	case bytes.HasPrefix(trimmed, []byte("{")):
		k, err := parseJSONKey(trimmed)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	default:
		rest := trimmed
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			k, err := pemKey(block)
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
		if len(keys) == 0 {
			return nil, errors.New("no key found: give a PEM public key (BEGIN PUBLIC KEY), a JWK, the JSON `twinfed key show` prints, or the node's key file")
		}
	}
	if id != "" {
		if len(keys) > 1 {
			return nil, fmt.Errorf("the file holds %d keys: --key-id names one key only; leave it out", len(keys))
		}
		keys[0].ID = id
	}
	for i := range keys {
		if keys[i].ID == "" {
			keys[i].ID = fingerprint(keys[i])
		}
	}
	return keys, nil
}

func pemKey(block *pem.Block) (twinfed.NodeKey, error) {
	var pub crypto.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		p, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return twinfed.NodeKey{}, fmt.Errorf("the PEM public key is not a SubjectPublicKeyInfo: %w", err)
		}
		pub = p
	case "PRIVATE KEY":
		p, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return twinfed.NodeKey{}, fmt.Errorf("the PEM private key is not PKCS #8: %w", err)
		}
		s, ok := p.(crypto.Signer)
		if !ok {
			return twinfed.NodeKey{}, fmt.Errorf("unsupported private key type %T", p)
		}
		pub = s.Public()
	default:
		return twinfed.NodeKey{}, fmt.Errorf("a PEM block of type %q is not a key this command reads (PUBLIC KEY or PRIVATE KEY)", block.Type)
	}
	k, err := nodeKey(pub)
	k.ID = block.Headers["Key-Id"]
	return k, err
}

// nodeKey is the registry's record of pub, without an id.
func nodeKey(pub crypto.PublicKey) (twinfed.NodeKey, error) {
	var alg string
	switch pub.(type) {
	case ed25519.PublicKey:
		alg = twinfed.KeyEd25519
	case *rsa.PublicKey:
		alg = twinfed.KeyRSA
	default:
		return twinfed.NodeKey{}, fmt.Errorf("a %T key cannot sign for a node: use Ed25519 or RSA", pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return twinfed.NodeKey{}, err
	}
	return twinfed.NodeKey{Algorithm: alg, PublicPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}, nil
}

// parseJSONKey reads a JWK (RFC 7517/8037) or a NodeKey as `twinfed key
// show` prints it.
func parseJSONKey(raw []byte) (twinfed.NodeKey, error) {
	var j struct {
		Kty, Crv, X, N, E, Kid string
		ID, Algorithm          string
		PublicPEM              string `json:"public_pem"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return twinfed.NodeKey{}, fmt.Errorf("the file is not valid JSON: %w", err)
	}
	if j.PublicPEM != "" {
		block, _ := pem.Decode([]byte(j.PublicPEM))
		if block == nil {
			return twinfed.NodeKey{}, errors.New("public_pem is not PEM")
		}
		k, err := pemKey(block)
		k.ID = j.ID
		return k, err
	}
	b64 := func(field, s string) ([]byte, error) {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("the JWK's %q must be base64url", field)
		}
		return b, nil
	}
	var pub crypto.PublicKey
	switch {
	case j.Kty == "OKP" && j.Crv == "Ed25519":
		x, err := b64("x", j.X)
		if err != nil {
			return twinfed.NodeKey{}, err
		}
		if len(x) != ed25519.PublicKeySize {
			return twinfed.NodeKey{}, fmt.Errorf("the JWK's \"x\" is %d bytes; an Ed25519 key has %d", len(x), ed25519.PublicKeySize)
		}
		pub = ed25519.PublicKey(x)
	case j.Kty == "RSA":
		n, err := b64("n", j.N)
		if err != nil {
			return twinfed.NodeKey{}, err
		}
		e, err := b64("e", j.E)
		if err != nil {
			return twinfed.NodeKey{}, err
		}
		if len(e) > 4 {
			return twinfed.NodeKey{}, errors.New("the JWK's \"e\" is too large")
		}
		pub = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	default:
		return twinfed.NodeKey{}, fmt.Errorf("a JWK of kty %q crv %q is not a key a node signs with: use kty OKP with crv Ed25519, or kty RSA", j.Kty, j.Crv)
	}
	k, err := nodeKey(pub)
	k.ID = j.Kid
	return k, err
}

// fingerprint names a key that came without an id: its algorithm and the
// start of the SHA-256 of its PEM.
func fingerprint(k twinfed.NodeKey) string {
	sum := sha256.Sum256([]byte(k.PublicPEM))
	return k.Algorithm + "-" + hex.EncodeToString(sum[:8])
}
