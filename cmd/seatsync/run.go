package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// errUsage marks a mistake in the command line, answered with exit code 2.
var errUsage = errors.New("usage")

// command is one subcommand. setup declares its flags on fs; run does the
// work once they are parsed.
type command struct {
	name    string
	args    string
	summary string
	setup   func(fs *flag.FlagSet) func(ctx context.Context, env *environment, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "", "run the HTTP side: webhook receiver, management API, dashboard, metrics", serveCommand},
		{"worker", "", "run the Asynq worker that applies events, and the inbox sweeper", workerCommand},
		{"all", "", "migrate, then serve and work in one process (for a laptop)", allCommand},
		{"migrate", "", "create the database if missing and apply the schema migrations", migrateCommand},
		{"apikey", "create --name NAME | list | revoke ID", "manage management API keys", apikeyCommand},
		{"scim-token", "create --customer EXT [--name N] | list --customer EXT | revoke ID", "manage customers' SCIM provisioning tokens", scimTokenCommand},
		{"endpoint", "create --url URL [--event-type T ...] [--customer EXT] | list | rotate ID | delete ID", "manage outbound webhook endpoints", endpointCommand},
		{"events", eventsArgs, "list inbound events; replay failed or stale ones", eventsCommand},
		{"send", "--source NAME (--type TYPE --data JSON | --body JSON)", "sign an event as the source's provider does (any kind) and post it", sendCommand},
	}
}

// run is the whole program: main only adds the signal context and the exit
// code, so tests drive seatsync exactly as a user does.
func run(ctx context.Context, args, environ []string, stdout io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) {
		usage(stdout)
		if len(args) == 0 {
			return fmt.Errorf("%w: a subcommand is required", errUsage)
		}
		return nil
	}
	for _, cmd := range commands() {
		if cmd.name != args[0] {
			continue
		}
		fs := flag.NewFlagSet("seatsync "+cmd.name, flag.ContinueOnError)
		fs.SetOutput(stdout)
		fs.Usage = func() {
			fmt.Fprintf(stdout, "Usage: seatsync %s %s\n\n%s.\n", cmd.name, cmd.args, capitalize(cmd.summary))
			fmt.Fprintf(stdout, "Configuration comes from SEATSYNC_* environment variables; see the README.\n")
			if hasFlags(fs) {
				fmt.Fprintln(stdout, "\nFlags:")
				fs.PrintDefaults()
			}
		}
		do := cmd.setup(fs)
		if err := fs.Parse(args[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		if rest := fs.Args(); len(rest) > 0 && isHelp(rest[0]) { // `seatsync apikey help`
			fs.Usage()
			return nil
		}
		env := &environment{environ: environ, stdout: stdout}
		// Subcommands with actions parse their flags again after the action
		// (`apikey create --help`); asking for help there is no mistake
		// either, and its usage is printed already.
		if err := do(ctx, env, fs.Args()); !errors.Is(err, flag.ErrHelp) {
			return err
		}
		return nil
	}
	usage(stdout)
	return fmt.Errorf("%w: unknown subcommand %q", errUsage, args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "seatsync keeps paid seats in step with billing and identity providers.")
	fmt.Fprintln(w, "\nUsage: seatsync <subcommand> [flags]\n\nSubcommands:")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintln(w, "\nRun `seatsync <subcommand> --help` for its flags.")
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
