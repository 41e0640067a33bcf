// Package metadata handles what apps attach to users, organizations and
// invitations through the Backend API: JSON objects, merged deeply, Clerk's
// public, private and unsafe metadata.
package metadata

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/portalhq/portal/internal/apperr"
)

var errNotObject = errors.New("metadata: must be a JSON object")

// Merge merges the JSON object patch into base, recursing into objects
// present in both; a key whose patched value is null is removed. base may
// be empty. Numbers keep their exact text.
func Merge(base, patch json.RawMessage) (json.RawMessage, error) {
	dst := map[string]any{}
	if len(bytes.TrimSpace(base)) > 0 {
		if err := decode(base, &dst); err != nil {
			return nil, err
		}
	}
	var src map[string]any
	if err := decode(patch, &src); err != nil {
		return nil, err
	}
	if src == nil {
		return nil, errNotObject // "null" is not an object either
	}
	mergeInto(dst, src)
	return json.Marshal(dst)
}

func decode(b []byte, v *map[string]any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return errNotObject
	}
	if d.More() {
		return errNotObject
	}
	return nil
}

func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			if have, ok := dst[k].(map[string]any); ok {
				mergeInto(have, sub)
				continue
			}
			clean := map[string]any{}
			mergeInto(clean, sub)
			dst[k] = clean
			continue
		}
		dst[k] = v
	}
}

// MaxBytes bounds each stored metadata object, as Clerk does.
const MaxBytes = 8 << 10

// Set checks in as a whole new object for the parameter field: a JSON
// object of at most MaxBytes, in its compact form.
func Set(field string, in json.RawMessage) (json.RawMessage, error) {
	return Patch(field, nil, in)
}

// Patch merges patch into base (see Merge) for the parameter field and
// checks the result as Set does.
func Patch(field string, base, patch json.RawMessage) (json.RawMessage, error) {
	out, err := Merge(base, patch)
	if err != nil {
		return nil, apperr.Field(apperr.Invalid, field, "Give a JSON object.")
	}
	if len(out) > MaxBytes {
		return nil, apperr.Field(apperr.Invalid, field, "Metadata can hold at most 8 KB.")
	}
	return out, nil
}

// OrEmpty is m, or an empty object when nothing is stored.
func OrEmpty(m json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(m)) == 0 {
		return json.RawMessage("{}")
	}
	return m
}
