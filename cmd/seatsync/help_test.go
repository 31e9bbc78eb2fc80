package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHelpExitsZeroEverywhere asks every subcommand, and every action of
// one (taken from its usage line, so a new action is covered too), for
// help: the answer is its usage and no error, never `flag: help requested`
// with a usage exit code.
func TestHelpExitsZeroEverywhere(t *testing.T) {
	t.Parallel()
	var lines [][]string
	for _, cmd := range commands() {
		for _, h := range []string{"--help", "-h", "help"} {
			lines = append(lines, []string{cmd.name, h})
		}
		for _, alt := range strings.Split(cmd.args, "|") {
			action := strings.Fields(alt)
			if len(action) == 0 || strings.HasPrefix(action[0], "-") || strings.HasPrefix(action[0], "[") {
				continue
			}
			lines = append(lines, []string{cmd.name, action[0], "--help"}, []string{cmd.name, action[0], "-h"})
		}
	}
	if len(lines) < 30 {
		t.Fatalf("only %d help command lines; the usage lines changed shape", len(lines))
	}
	for _, args := range lines {
		var out bytes.Buffer
		err := run(context.Background(), args, nil, &out)
		if err != nil || !strings.Contains(out.String(), "Usage: seatsync "+args[0]) {
			t.Errorf("seatsync %s: error %v, output %q; want its usage and no error", strings.Join(args, " "), err, out.String())
		}
	}
}
