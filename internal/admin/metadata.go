package admin

import (
	"bytes"
	"encoding/json"
	"errors"
)

var errNotObject = errors.New("admin: metadata must be a JSON object")

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
