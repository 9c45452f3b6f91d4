package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // the decoders CheckImage asks
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// Images: a post's images are stored on its author's node and served at
// MediaPath<sha256 of the content>; images of other nodes (their posts'
// images, their members' photos) are shown through this node's proxy
// (ProxyPath), which fetches only from the nodes the registry lists, only
// images, only up to twinfed.MaxImageBytes, and caches them for a day, so
// that the pages keep the Content-Security-Policy img-src 'self' and no
// one else learns who reads what.

// MediaPath is where a node serves its members' post images.
const MediaPath = "/media/"

// ProxyPath is the proxy of other nodes' images: ProxyPath?url=<image URL>.
const ProxyPath = "/media/proxy"

// The largest picture CheckImage decodes.
const (
	maxSide   = 12000
	maxPixels = 40_000_000
)

// proxyTTL is how long a proxied image is kept.
const proxyTTL = 24 * time.Hour

func hashHex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// CheckImage returns the content type of data when it is an image a post
// accepts (twinfed.PostImageTypes, by its content, not its name) of at
// most twinfed.MaxImageBytes; EINVALID or ETOOLARGE saying what is wrong
// otherwise. JPEG, PNG and GIF must also decode, within bounded
// dimensions; WebP is known by its signature.
func CheckImage(data []byte) (string, error) {
	if len(data) > twinfed.MaxImageBytes {
		return "", twinfed.Errorf(twinfed.ETOOLARGE, "An image may be at most 2 MiB.")
	}
	ct := http.DetectContentType(data)
	if !slices.Contains(twinfed.PostImageTypes, ct) {
		return "", twinfed.Errorf(twinfed.EINVALID, "This file is not an image: upload a JPEG, PNG, GIF or WebP image.")
	}
	if ct == "image/webp" {
		return ct, nil // no decoder in the standard library: its signature only
	}
	// The header first, so that a small file claiming a huge picture is
	// refused before anything is allocated; then the whole image.
	bad := twinfed.Errorf(twinfed.EINVALID, "This file is not an image: upload a JPEG, PNG, GIF or WebP image.")
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxSide || cfg.Height > maxSide || cfg.Width*cfg.Height > maxPixels {
		return "", bad
	}
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return "", bad
	}
	return ct, nil
}

// split reads a stored image: content type, NUL, bytes.
func split(raw []byte) ([]byte, string, error) {
	i := bytes.IndexByte(raw, 0)
	if i < 0 {
		return nil, "", errors.New("feed: malformed stored image")
	}
	return raw[i+1:], string(raw[:i]), nil
}

// Media returns an image of a local member's post by its hash. Its URL,
// the hash of its content, is known only to who was shown the post.
func (s *Service) Media(ctx context.Context, hash string) ([]byte, string, error) {
	var out []byte
	var ct string
	err := s.store.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(store.PrefixMedia + hash))
		if err != nil {
			return err
		}
		raw, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		out, ct, err = split(raw)
		return err
	})
	if err != nil {
		return nil, "", twinfed.Errorf(twinfed.ENOTFOUND, "There is no such image.")
	}
	return out, ct, nil
}

// Proxy returns an image of another node of the federation, from the
// cache or fetched once (signed requests are not needed: an image's URL
// is the hash of its content). ENOTFOUND for a URL that is not on a
// registered node, or that answers with something that is not an image
// or is too large.
func (s *Service) Proxy(ctx context.Context, raw string) ([]byte, string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, "", twinfed.Errorf(twinfed.EINVALID, "Give the URL of an image on a node of the federation.")
	}
	if s.acts.IsLocal(raw) {
		if h, ok := strings.CutPrefix(u.Path, MediaPath); ok {
			return s.Media(ctx, h)
		}
		return nil, "", twinfed.Errorf(twinfed.ENOTFOUND, "There is no such image.")
	}
	key := store.PrefixMediaCache + hashHex([]byte(raw))
	var data []byte
	var ct string
	_ = s.store.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(key))
		if err != nil {
			return nil
		}
		if b, err := item.ValueCopy(nil); err == nil {
			data, ct, _ = split(b)
		}
		return nil
	})
	if data != nil {
		return data, ct, nil
	}
	if s.nodes == nil {
		return nil, "", twinfed.Errorf(twinfed.ENOTFOUND, "There is no such image.")
	}
	if _, err := s.nodes.CountryByHost(ctx, u.Host); err != nil {
		return nil, "", twinfed.Errorf(twinfed.ENOTFOUND, "Images are shown only from the nodes of the federation.")
	}
	data, ct, err = s.fetchImage(ctx, raw)
	if err != nil {
		s.log.Info("image proxy", "url", raw, "err", err)
		return nil, "", twinfed.Errorf(twinfed.ENOTFOUND, "There is no such image.")
	}
	_ = s.store.Update(func(txn *badger.Txn) error {
		return txn.SetEntry(badger.NewEntry([]byte(key), append([]byte(ct+"\x00"), data...)).WithTTL(proxyTTL))
	})
	return data, ct, nil
}

// fetchImage GETs an image, at most twinfed.MaxImageBytes, and checks it.
func (s *Service) fetchImage(ctx context.Context, raw string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "image/*")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, twinfed.MaxImageBytes+1))
	if err != nil {
		return nil, "", err
	}
	ct, err := CheckImage(data)
	return data, ct, err
}

// Src is the address a page shows an image at: this node's own images at
// their path, other nodes' through the proxy.
func (s *Service) Src(raw string) string {
	if raw == "" {
		return ""
	}
	if s.acts.IsLocal(raw) {
		if u, err := url.Parse(raw); err == nil {
			return u.RequestURI()
		}
	}
	if strings.HasPrefix(raw, "/") {
		return raw
	}
	return ProxyPath + "?url=" + url.QueryEscape(raw)
}
