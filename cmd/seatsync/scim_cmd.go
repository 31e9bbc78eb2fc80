package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"text/tabwriter"
	"time"
)

func scimTokenCommand(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
	customer := fs.String("customer", "", "external id of the customer the token provisions")
	name := fs.String("name", "", "what the token is for, such as okta or entra")
	const usage = "scim-token create --customer EXT [--name N] | list --customer EXT | revoke ID"
	return func(ctx context.Context, env *environment, args []string) error {
		if len(args) == 0 {
			return fmt.Errorf("%w: scim-token needs an action: create, list or revoke", errUsage)
		}
		// Flags may also follow the action: `scim-token create --customer x`.
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		action, rest := args[0], fs.Args()
		if (action == "create" || action == "list") && (*customer == "" || len(rest) != 0) {
			return fmt.Errorf("%w: %s", errUsage, usage)
		}
		if action == "revoke" && len(rest) != 1 || action != "create" && action != "list" && action != "revoke" {
			return fmt.Errorf("%w: %s", errUsage, usage)
		}
		d, err := connect(env)
		if err != nil {
			return err
		}
		defer d.close()
		switch action {
		case "create":
			t, secret, err := d.db.CreateSCIMToken(ctx, *customer, *name)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Created SCIM token %s for customer %s. Its SCIM base URL is <this server>/scim/v2/%s\nThe token is shown only this once:\n\n%s\n",
				t.ID, t.CustomerExternalID, url.PathEscape(t.CustomerExternalID), secret)
			return nil
		case "list":
			tokens, err := d.db.ListSCIMTokens(ctx, *customer)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tCREATED\tREVOKED")
			for _, t := range tokens {
				revoked := "-"
				if t.RevokedAt != nil {
					revoked = t.RevokedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s…\t%s\t%s\n", t.ID, t.Name, t.Prefix, t.CreatedAt.UTC().Format(time.RFC3339), revoked)
			}
			return tw.Flush()
		}
		t, err := d.db.RevokeSCIMToken(ctx, "", rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "Revoked SCIM token %s of customer %s\n", t.ID, t.CustomerExternalID)
		return nil
	}
}
