package command

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// defaultInterpreter is what @pulumi/command documents for Linux and macOS.
var defaultInterpreter = []string{"/bin/sh", "-c"}

// runResult is the captured output of one command.
type runResult struct {
	Stdout, Stderr string
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
	var stdout, stderr bytes.Buffer
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
		return res, fmt.Errorf("%w: running %q:\n%s", err, cmd, joinOutput(res))
	}
	return res, nil
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
