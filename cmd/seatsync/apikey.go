package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"
)

func apikeyCommand(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
	name := fs.String("name", "", "name of the key to create (who or what uses it)")
	return func(ctx context.Context, env *environment, args []string) error {
		if len(args) == 0 {
			return fmt.Errorf("%w: apikey needs an action: create, list or revoke", errUsage)
		}
		// Flags may also follow the action: `apikey create --name x`.
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		d, err := connect(env)
		if err != nil {
			return err
		}
		defer d.close()
		switch action, rest := args[0], fs.Args(); {
		case action == "create" && len(rest) == 0:
			if *name == "" {
				return fmt.Errorf("%w: apikey create needs --name", errUsage)
			}
			key, secret, err := d.db.CreateAPIKey(ctx, *name)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Created API key %s (%s). It is shown only this once:\n\n%s\n", key.ID, key.Name, secret)
			return nil
		case action == "list" && len(rest) == 0:
			keys, err := d.db.ListAPIKeys(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tCREATED\tREVOKED")
			for _, k := range keys {
				revoked := "-"
				if k.RevokedAt != nil {
					revoked = k.RevokedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s…\t%s\t%s\n", k.ID, k.Name, k.Prefix, k.CreatedAt.UTC().Format(time.RFC3339), revoked)
			}
			return tw.Flush()
		case action == "revoke" && len(rest) == 1:
			if err := d.db.RevokeAPIKey(ctx, rest[0]); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Revoked API key %s\n", rest[0])
			return nil
		}
		return fmt.Errorf("%w: apikey create --name NAME | list | revoke ID", errUsage)
	}
}
