package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seatsync/seatsync/storage"
	"github.com/seatsync/seatsync/webhooks"
)

// stringsFlag is a flag that may be given more than once.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }

func (s *stringsFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// endpointListPage is how many endpoints `endpoint list` reads at a time.
const endpointListPage = 200

func endpointCommand(fs *flag.FlagSet) func(context.Context, *environment, []string) error {
	url := fs.String("url", "", "URL the endpoint receives deliveries at (create)")
	var eventTypes stringsFlag
	fs.Var(&eventTypes, "event-type", "event `type` to deliver, repeatable (create; default: every type)")
	customer := fs.String("customer", "", "deliver only events about the customer with this external id (create)")
	return func(ctx context.Context, env *environment, args []string) error {
		if len(args) == 0 {
			return fmt.Errorf("%w: endpoint needs an action: create, list, rotate or delete", errUsage)
		}
		// Flags may also follow the action: `endpoint create --url U`.
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		action, rest := args[0], fs.Args()
		if action == "create" && *url == "" {
			return fmt.Errorf("%w: endpoint create needs --url", errUsage)
		}
		if !(action == "create" && len(rest) == 0 || action == "list" && len(rest) == 0 ||
			(action == "rotate" || action == "delete") && len(rest) == 1) {
			return fmt.Errorf("%w: endpoint create --url URL [--event-type T ...] [--customer EXT] | list | rotate ID | delete ID", errUsage)
		}
		d, err := connect(env)
		if err != nil {
			return err
		}
		defer d.close()
		switch action {
		case "create":
			types, err := webhooks.CheckEndpoint(*url, eventTypes, d.cfg.OutboundAllowPrivateNetworks)
			if err != nil {
				return fmt.Errorf("%w: %w", errUsage, err)
			}
			secret, err := webhooks.NewEndpointSecret()
			if err != nil {
				return err
			}
			e, err := d.db.CreateEndpoint(ctx, storage.EndpointInput{
				URL: *url, EventTypes: types, CustomerExternalID: *customer, Secret: secret,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Created webhook endpoint %s for %s. Its signing secret is shown only this once:\n\n%s\n", e.ID, e.URL, e.Secret)
			return nil
		case "list":
			return listEndpoints(ctx, env, d.db)
		case "rotate":
			secret, err := webhooks.NewEndpointSecret()
			if err != nil {
				return err
			}
			e, err := d.db.RotateEndpointSecret(ctx, rest[0], secret, d.cfg.OutboundSecretGrace)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Rotated the secret of webhook endpoint %s; the previous one keeps signing until %s. The new one is shown only this once:\n\n%s\n",
				e.ID, e.PreviousSecretExpiresAt.UTC().Format(time.RFC3339), e.Secret)
			return nil
		default: // delete
			if err := d.db.DeleteEndpoint(ctx, rest[0]); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Deleted webhook endpoint %s\n", rest[0])
			return nil
		}
	}
}

// listEndpoints prints every endpoint, reading them a page at a time.
func listEndpoints(ctx context.Context, env *environment, db *storage.DB) error {
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tURL\tEVENT TYPES\tCUSTOMER\tENABLED\tCREATED")
	after := ""
	for {
		es, err := db.ListEndpoints(ctx, after, endpointListPage)
		if err != nil {
			return err
		}
		for _, e := range es {
			types, customer, enabled := "all", "all", "yes"
			if len(e.EventTypes) > 0 {
				types = strings.Join(e.EventTypes, ",")
			}
			if e.CustomerExternalID != nil {
				customer = *e.CustomerExternalID
			}
			if !e.Enabled {
				enabled = "no: " + e.DisabledReason
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.URL, types, customer, enabled, e.CreatedAt.UTC().Format(time.RFC3339))
		}
		if len(es) < endpointListPage {
			return tw.Flush()
		}
		after = es[len(es)-1].ID
	}
}
