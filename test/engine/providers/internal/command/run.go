package command

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// defaultInterpreter is what @pulumi/command documents for Linux and macOS.
var defaultInterpreter = []string{"/bin/sh", "-c"}

// runResult is the captured output of one command.
type runResult struct {
	Stdout, Stderr string
}

// maxOutputBytes bounds what is kept of each of a command's output streams (state and errors alike);
// the rest is counted, not kept.
const maxOutputBytes = 4 << 20

// maxErrorOutputBytes is how much of the output (its end) an error carries.
const maxErrorOutputBytes = 8 << 10

// cappedBuffer keeps the first maxOutputBytes written to it and counts the rest.
type cappedBuffer struct {
	buf     bytes.Buffer
	dropped int
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	room := maxOutputBytes - c.buf.Len()
	switch {
	case room >= len(p):
		c.buf.Write(p)
	case room > 0:
		c.buf.Write(p[:room])
		c.dropped += len(p) - room
	default:
		c.dropped += len(p)
	}
	return len(p), nil
}

func (c *cappedBuffer) String() string {
	if c.dropped == 0 {
		return c.buf.String()
	}
	return fmt.Sprintf("%s\n[... %d more bytes not kept: output is capped at %d bytes]", c.buf.String(), c.dropped, maxOutputBytes)
}

// run executes cmd with s's interpreter, environment, stdin and dir. extraEnv
// is added after s.Environment (used for PULUMI_COMMAND_STDOUT/STDERR). A
// non-zero exit is an error that carries the command's output.
func run(ctx context.Context, cmd string, s spec, extraEnv map[string]string) (runResult, error) {
	interp := s.Interpreter
	if len(interp) == 0 {
		interp = defaultInterpreter
	}
	args := append(append([]string{}, interp[1:]...), cmd)
	c := exec.CommandContext(ctx, interp[0], args...)
	c.Env = os.Environ()
	for _, k := range sortedKeys(s.Environment) {
		c.Env = append(c.Env, k+"="+s.Environment[k])
	}
	for _, k := range sortedKeys(extraEnv) {
		c.Env = append(c.Env, k+"="+extraEnv[k])
	}
	if s.Dir != nil && *s.Dir != "" {
		c.Dir = *s.Dir
	}
	if s.Stdin != nil {
		c.Stdin = strings.NewReader(*s.Stdin)
	}
	var stdout, stderr cappedBuffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	// As upstream does, drop one trailing newline.
	res := runResult{
		Stdout: strings.TrimSuffix(stdout.String(), "\n"),
		Stderr: strings.TrimSuffix(stderr.String(), "\n"),
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, ctx.Err())
		}
		return res, runError(err, cmd, s, res)
	}
	return res, nil
}

// runError is a failed run as the engine, the CLI and the run bundle see it. It never carries a
// secret input: with any secret input the command's text and output are withheld (its stdout and
// stderr are secret outputs then); otherwise stdin and every environment value are cut out of the
// command and the output wherever they appear, and only the output's end is kept.
func runError(err error, cmd string, s spec, res runResult) error {
	if s.Secret {
		return fmt.Errorf("%w: the command failed; its text and output are not shown because it ran with secret inputs", err)
	}
	redact := redactor(s)
	out := joinOutput(res)
	if len(out) > maxErrorOutputBytes {
		out = "[...]" + out[len(out)-maxErrorOutputBytes:]
	}
	return fmt.Errorf("%w: running %q:\n%s", err, redact(cmd), redact(out))
}

// minRedacted is the shortest stdin line or environment value cut out of an error (shorter ones
// would cut ordinary words and digits out of every message).
const minRedacted = 4

// redactor replaces the command's stdin (whole and line by line) and environment values.
func redactor(s spec) func(string) string {
	var words []string
	add := func(w string) {
		if len(strings.TrimSpace(w)) >= minRedacted {
			words = append(words, w)
		}
	}
	if s.Stdin != nil {
		add(*s.Stdin)
		add(strings.TrimSuffix(*s.Stdin, "\n"))
		for _, l := range strings.Split(*s.Stdin, "\n") {
			add(strings.TrimSpace(l))
		}
	}
	for _, v := range s.Environment {
		add(v)
	}
	sort.Slice(words, func(i, j int) bool { return len(words[i]) > len(words[j]) })
	return func(text string) string {
		for _, w := range words {
			text = strings.ReplaceAll(text, w, "[redacted]")
		}
		return text
	}
}

func joinOutput(r runResult) string {
	switch {
	case r.Stdout == "":
		return r.Stderr
	case r.Stderr == "":
		return r.Stdout
	}
	return r.Stdout + "\n" + r.Stderr
}
