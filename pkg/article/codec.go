package article

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// ContentType is the value of the content-type header on article messages.
const ContentType = "application/json"

// maxMessageBytes bounds what Decode accepts; a larger message is hostile
// or broken, never an article.
const maxMessageBytes = 8 << 20

// Encode returns the JSON form of a, with schema_version set to
// SchemaVersion.
func Encode(a *Article) ([]byte, error) {
	a.SchemaVersion = SchemaVersion
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encoding article %s: %w", a.ID, err)
	}
	return b, nil
}

// Decode parses one article message. It rejects what no producer of ours
// writes: oversize messages, unknown fields' wrong types, a newer major
// schema version, and an article without an id. The error says what and
// where.
func Decode(b []byte) (*Article, error) {
	if len(b) > maxMessageBytes {
		return nil, fmt.Errorf("decoding article: message of %d bytes exceeds the %d-byte limit", len(b), maxMessageBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var a Article
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("decoding article: %w", describeJSONError(b, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("decoding article: trailing data after the JSON object")
	}
	if a.SchemaVersion == 0 {
		return nil, fmt.Errorf("decoding article %q: schema_version is missing", a.ID)
	}
	if a.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("decoding article %q: schema_version %d is newer than %d, which this build reads", a.ID, a.SchemaVersion, SchemaVersion)
	}
	if a.ID == "" {
		return nil, fmt.Errorf("decoding article: id is missing")
	}
	return &a, nil
}

// describeJSONError adds the byte offset to JSON syntax and type errors.
func describeJSONError(b []byte, err error) error {
	switch e := err.(type) {
	case *json.SyntaxError:
		return fmt.Errorf("invalid JSON at byte %d: %w", e.Offset, err)
	case *json.UnmarshalTypeError:
		return fmt.Errorf("field %q at byte %d: %s is not a %s", e.Field, e.Offset, e.Value, e.Type)
	}
	if len(b) == 0 {
		return fmt.Errorf("empty message")
	}
	return err
}

// SchemaVersionHeader is the value of the schema-version header for
// messages this build writes.
func SchemaVersionHeader() string { return strconv.Itoa(SchemaVersion) }
