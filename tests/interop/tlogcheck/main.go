// Command tlogcheck checks coi-ledger's C2SP checkpoints, signed notes and RFC 6962 proofs with Go's
// original implementation (golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog, the code the
// Go checksum database runs on), and produces the same artefacts for coi to check.
//
// It is built offline from Debian's golang-go and golang-golang-x-mod-dev packages, in GOPATH mode
// (see tests/tlog_go.rs, which builds and drives it):
//
//	mkdir -p "$T/src/tlogcheck" && cp main.go "$T/src/tlogcheck/"
//	GOPATH="$T:/usr/share/gocode" GO111MODULE=off GOFLAGS= go build -o "$T/tlogcheck" tlogcheck
//
// Usage:
//
//	tlogcheck verify DIR   check DIR/checkpoint.note (signed by DIR/vkey.txt) and DIR/proofs.json
//	                       against the leaves in DIR/lines.txt
//	tlogcheck make DIR     write DIR/go-vkey.txt, DIR/go-checkpoint.note and DIR/go-proofs.json
//	                       for DIR/lines.txt, signed by a fresh key, and that throwaway key's
//	                       signer key (note.NewSigner format) to DIR/go-skey.txt, so the caller can
//	                       sign the same text with the same seed and compare the bytes
//
// A leaf is one line of lines.txt without its LF. proofs.json is
//
//	{"inclusion":[{"index":I,"size":N,"proof":["BASE64",...]}],
//	 "consistency":[{"old":M,"new":N,"old_root":"BASE64","new_root":"BASE64","proof":["BASE64",...]}]}
//
// Exit codes: 0 every check passed (verify) or the files were written (make); 1 a check failed (one
// line per check says which); 2 usage or an input that could not be read.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// goOrigin is the origin line (and key name) of the checkpoints `make` signs.
const goOrigin = "example.org/go-log"

type inclusion struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Proof []string `json:"proof"`
}

type consistency struct {
	Old     int64    `json:"old"`
	New     int64    `json:"new"`
	OldRoot string   `json:"old_root"`
	NewRoot string   `json:"new_root"`
	Proof   []string `json:"proof"`
}

type proofs struct {
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
}

// checkpoint is a parsed C2SP tlog-checkpoint body.
type checkpoint struct {
	origin     string
	size       int64
	root       tlog.Hash
	extensions []string
}

// memLog is the whole log in memory: its leaves and every stored hash, as a tlog.HashReader.
type memLog struct {
	leaves [][]byte
	stored []tlog.Hash
}

func (l *memLog) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(l.stored)) {
			return nil, fmt.Errorf("stored hash %d not in a log of %d leaves", x, len(l.leaves))
		}
		out[i] = l.stored[x]
	}
	return out, nil
}

func (l *memLog) size() int64 { return int64(len(l.leaves)) }

// root is the RFC 6962 root of the first n leaves.
func (l *memLog) root(n int64) (tlog.Hash, error) {
	if n < 0 || n > l.size() {
		return tlog.Hash{}, fmt.Errorf("size %d: the log has %d leaves", n, l.size())
	}
	if n == 0 {
		// tlog.TreeHash(0) is the zero hash; RFC 6962's empty tree hash is SHA-256 of nothing.
		return tlog.Hash(sha256.Sum256(nil)), nil
	}
	return tlog.TreeHash(n, l)
}

func fatal(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogcheck: "+format+"\n", args...)
	os.Exit(2)
}

// readLog reads DIR/lines.txt: every line is a leaf, so the file must end with LF (or be empty).
func readLog(dir string) *memLog {
	data, err := os.ReadFile(filepath.Join(dir, "lines.txt"))
	if err != nil {
		fatal("%v", err)
	}
	l := &memLog{}
	if len(data) > 0 {
		if data[len(data)-1] != '\n' {
			fatal("%s: the last line has no LF", filepath.Join(dir, "lines.txt"))
		}
		l.leaves = bytes.Split(data[:len(data)-1], []byte("\n"))
	}
	for i, leaf := range l.leaves {
		hashes, err := tlog.StoredHashes(int64(i), leaf, l)
		if err != nil {
			fatal("stored hashes of leaf %d: %v", i, err)
		}
		l.stored = append(l.stored, hashes...)
	}
	return l
}

func readFile(dir, name string) []byte {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		fatal("%v", err)
	}
	return data
}

// parseCheckpoint parses a tlog-checkpoint body strictly: origin, decimal size with no leading zero,
// a canonical standard-base64 32-byte root, then non-empty extension lines.
func parseCheckpoint(text string) (checkpoint, error) {
	var c checkpoint
	if !strings.HasSuffix(text, "\n") {
		return c, errors.New("checkpoint text does not end with LF")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return c, fmt.Errorf("checkpoint has %d lines, want at least 3", len(lines))
	}
	c.origin = lines[0]
	if c.origin == "" {
		return c, errors.New("checkpoint origin is empty")
	}
	sz := lines[1]
	if sz == "" || (len(sz) > 1 && sz[0] == '0') || strings.TrimLeft(sz, "0123456789") != "" {
		return c, fmt.Errorf("checkpoint size %q is not a canonical decimal", sz)
	}
	n, err := strconv.ParseInt(sz, 10, 64)
	if err != nil {
		return c, fmt.Errorf("checkpoint size %q: %v", sz, err)
	}
	c.size = n
	root, err := decodeHash(lines[2])
	if err != nil {
		return c, fmt.Errorf("checkpoint root: %v", err)
	}
	c.root = root
	for _, ext := range lines[3:] {
		if ext == "" {
			return c, errors.New("checkpoint has an empty extension line")
		}
	}
	c.extensions = lines[3:]
	return c, nil
}

func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("%q is not standard base64: %v", s, err)
	}
	if len(b) != len(h) {
		return h, fmt.Errorf("%q decodes to %d bytes, want %d", s, len(b), len(h))
	}
	if base64.StdEncoding.EncodeToString(b) != s {
		return h, fmt.Errorf("%q is not canonical base64", s)
	}
	copy(h[:], b)
	return h, nil
}

func decodeHashes(ss []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		h, err := decodeHash(s)
		if err != nil {
			return nil, fmt.Errorf("proof hash %d: %v", i, err)
		}
		out[i] = h
	}
	return out, nil
}

func encodeHashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// verify runs every check, printing "ok ..." or "FAIL ..." for each, and returns how many failed.
func verify(dir string) int {
	log := readLog(dir)
	vkey := strings.TrimSpace(string(readFile(dir, "vkey.txt")))
	msg := readFile(dir, "checkpoint.note")
	var ps proofs
	dec := json.NewDecoder(bytes.NewReader(readFile(dir, "proofs.json")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ps); err != nil {
		fatal("proofs.json: %v", err)
	}

	failed := 0
	check := func(what string, err error) bool {
		if err != nil {
			fmt.Printf("FAIL %s: %v\n", what, err)
			failed++
			return false
		}
		fmt.Printf("ok %s\n", what)
		return true
	}

	verifier, err := note.NewVerifier(vkey)
	if !check("vkey parses", err) {
		return failed
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if !check(fmt.Sprintf("note opens with the key of %s", verifier.Name()), err) {
		return failed
	}
	c, err := parseCheckpoint(n.Text)
	if check("checkpoint parses", err) {
		fmt.Printf("   origin %q size %d root %s extensions %d\n", c.origin, c.size, c.root, len(c.extensions))
		root, err := log.root(c.size)
		if err == nil && root != c.root {
			err = fmt.Errorf("lines.txt's first %d lines have root %s, the checkpoint says %s", c.size, root, c.root)
		}
		check(fmt.Sprintf("checkpoint root is the RFC 6962 root of the first %d lines", c.size), err)
	}

	for _, p := range ps.Inclusion {
		what := fmt.Sprintf("inclusion of leaf %d in tree %d (%d hashes)", p.Index, p.Size, len(p.Proof))
		check(what, func() error {
			proof, err := decodeHashes(p.Proof)
			if err != nil {
				return err
			}
			if p.Index < 0 || p.Index >= log.size() {
				return fmt.Errorf("index %d: the log has %d leaves", p.Index, log.size())
			}
			root, err := log.root(p.Size)
			if err != nil {
				return err
			}
			return tlog.CheckRecord(proof, p.Size, root, p.Index, tlog.RecordHash(log.leaves[p.Index]))
		}())
	}
	for _, p := range ps.Consistency {
		what := fmt.Sprintf("consistency of tree %d with tree %d (%d hashes)", p.Old, p.New, len(p.Proof))
		check(what, func() error {
			proof, err := decodeHashes(p.Proof)
			if err != nil {
				return err
			}
			oldRoot, err := decodeHash(p.OldRoot)
			if err != nil {
				return fmt.Errorf("old_root: %v", err)
			}
			newRoot, err := decodeHash(p.NewRoot)
			if err != nil {
				return fmt.Errorf("new_root: %v", err)
			}
			// The roots given must be the log's own, so that a proof between two forged roots fails.
			for _, r := range []struct {
				size int64
				root tlog.Hash
				name string
			}{{p.Old, oldRoot, "old_root"}, {p.New, newRoot, "new_root"}} {
				want, err := log.root(r.size)
				if err != nil {
					return err
				}
				if want != r.root {
					return fmt.Errorf("%s %s is not the root %s of the first %d lines", r.name, r.root, want, r.size)
				}
			}
			return tlog.CheckTree(proof, p.New, newRoot, p.Old, oldRoot)
		}())
	}
	if failed == 0 {
		fmt.Println("all checks passed")
	} else {
		fmt.Printf("%d check(s) FAILED\n", failed)
	}
	return failed
}

// someSizes are the distinct values of xs within [lo, hi], in order.
func someSizes(lo, hi int64, xs ...int64) []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, x := range xs {
		if x >= lo && x <= hi && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func makeFiles(dir string) {
	log := readLog(dir)
	n := log.size()
	skey, vkey, err := note.GenerateKey(rand.Reader, goOrigin)
	if err != nil {
		fatal("generate key: %v", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fatal("signer: %v", err)
	}
	root, err := log.root(n)
	if err != nil {
		fatal("root: %v", err)
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", goOrigin, n, base64.StdEncoding.EncodeToString(root[:]))
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		fatal("sign: %v", err)
	}

	ps := proofs{Inclusion: []inclusion{}, Consistency: []consistency{}}
	for _, i := range someSizes(0, n-1, 0, n/2, n-1) {
		p, err := tlog.ProveRecord(n, i, log)
		if err != nil {
			fatal("prove leaf %d in %d: %v", i, n, err)
		}
		ps.Inclusion = append(ps.Inclusion, inclusion{Index: i, Size: n, Proof: encodeHashes(p)})
	}
	for _, m := range someSizes(1, n, 1, n/2, n-1) {
		p, err := tlog.ProveTree(n, m, log)
		if err != nil {
			fatal("prove tree %d in %d: %v", m, n, err)
		}
		old, err := log.root(m)
		if err != nil {
			fatal("root %d: %v", m, err)
		}
		ps.Consistency = append(ps.Consistency, consistency{
			Old: m, New: n,
			OldRoot: base64.StdEncoding.EncodeToString(old[:]),
			NewRoot: base64.StdEncoding.EncodeToString(root[:]),
			Proof:   encodeHashes(p),
		})
	}
	js, err := json.MarshalIndent(ps, "", " ")
	if err != nil {
		fatal("json: %v", err)
	}
	for name, data := range map[string][]byte{
		"go-skey.txt":        []byte(skey + "\n"),
		"go-vkey.txt":        []byte(vkey + "\n"),
		"go-checkpoint.note": msg,
		"go-proofs.json":     append(js, '\n'),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			fatal("%v", err)
		}
	}
	fmt.Printf("wrote go-skey.txt, go-vkey.txt, go-checkpoint.note (size %d), go-proofs.json (%d inclusion, %d consistency)\n",
		n, len(ps.Inclusion), len(ps.Consistency))
}

func main() {
	if len(os.Args) != 3 {
		fatal("usage: tlogcheck verify DIR | tlogcheck make DIR")
	}
	switch dir := os.Args[2]; os.Args[1] {
	case "verify":
		if verify(dir) > 0 {
			os.Exit(1)
		}
	case "make":
		makeFiles(dir)
	default:
		fatal("unknown subcommand %q; usage: tlogcheck verify DIR | tlogcheck make DIR", os.Args[1])
	}
}
