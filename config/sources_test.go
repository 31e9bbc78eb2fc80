package config

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	testSecret1 = "whsec_" + base64.StdEncoding.EncodeToString([]byte("first-secret-of-24-bytes"))
	testSecret2 = "whsec_" + base64.StdEncoding.EncodeToString([]byte("second-secret-24-bytes!!"))
	// 15 bytes: one short of the minimum.
	testShortSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("fifteen-bytes!!"))
)

func TestLoadSources(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		environ []string
		want    []Source
	}{
		{"none", nil, nil},
		{"one secret, default tolerance", []string{
			"SEATSYNC_SOURCE_CRM_KIND=standard",
			"SEATSYNC_SOURCE_CRM_SECRETS=" + testSecret1,
		}, []Source{{Name: "crm", Kind: "standard", Secrets: []string{testSecret1}}}},
		{"two secrets with spaces, tolerance", []string{
			"SEATSYNC_SOURCE_CRM_SECRETS= " + testSecret1 + " , " + testSecret2 + " ",
			"SEATSYNC_SOURCE_CRM_KIND=standard",
			"SEATSYNC_SOURCE_CRM_TOLERANCE=30s",
		}, []Source{{Name: "crm", Kind: "standard", Secrets: []string{testSecret1, testSecret2}, Tolerance: 30 * time.Second}}},
		{"underscored name, sorted", []string{
			"SEATSYNC_SOURCE_ZED_KIND=standard",
			"SEATSYNC_SOURCE_ZED_SECRETS=" + testSecret2,
			"SEATSYNC_SOURCE_MY_CRM_KIND=standard",
			"SEATSYNC_SOURCE_MY_CRM_SECRETS=" + testSecret1,
			"SEATSYNC_SOURCE_BILLING2_KIND=standard",
			"SEATSYNC_SOURCE_BILLING2_SECRETS=" + testSecret1,
		}, []Source{
			{Name: "billing2", Kind: "standard", Secrets: []string{testSecret1}},
			{Name: "my_crm", Kind: "standard", Secrets: []string{testSecret1}},
			{Name: "zed", Kind: "standard", Secrets: []string{testSecret2}},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustLoad(t, tt.environ)
			if !reflect.DeepEqual(c.Sources, tt.want) {
				t.Errorf("Sources = %+v\nwant %+v", c.Sources, tt.want)
			}
			for _, s := range tt.want {
				if got, ok := c.Source(s.Name); !ok || !reflect.DeepEqual(got, s) {
					t.Errorf("Source(%q) = %+v, %v; want %+v, true", s.Name, got, ok, s)
				}
			}
			if _, ok := c.Source("MY_CRM"); ok {
				t.Error(`Source("MY_CRM") found a source; lookups must be exact`)
			}
		})
	}
}

func TestProviderSecretsAreTakenAsTheyAre(t *testing.T) {
	t.Parallel()
	c, err := Load([]string{"SEATSYNC_SOURCE_BILLING_KIND=stripe", "SEATSYNC_SOURCE_BILLING_SECRETS=whsec_not-base64!"})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Source("billing"); s.Kind != "stripe" || s.Secrets[0] != "whsec_not-base64!" || s.Tolerance != 0 {
		t.Errorf("source = %+v", s)
	}
}

func TestLoadSourceErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		environ []string
		want    []string
	}{
		{"missing secrets", []string{"SEATSYNC_SOURCE_CRM_KIND=standard"},
			[]string{`SEATSYNC_SOURCE_CRM_SECRETS: not set; source "crm" needs at least one secret`}},
		{"secrets without kind", []string{"SEATSYNC_SOURCE_CRN_SECRETS=" + testSecret1},
			[]string{"SEATSYNC_SOURCE_CRN_SECRETS: set without SEATSYNC_SOURCE_CRN_KIND"}},
		{"tolerance without kind", []string{"SEATSYNC_SOURCE_CRM_TOLERANCE=1m"},
			[]string{"SEATSYNC_SOURCE_CRM_TOLERANCE: set without SEATSYNC_SOURCE_CRM_KIND"}},
		{"unknown kind", []string{"SEATSYNC_SOURCE_CRM_KIND=pigeon", "SEATSYNC_SOURCE_CRM_SECRETS=sk_live_abc"},
			[]string{`SEATSYNC_SOURCE_CRM_KIND: "pigeon" is not a supported kind (supported: standard, stripe, paddle, polar, workos, okta)`}},
		{"no whsec prefix", []string{"SEATSYNC_SOURCE_CRM_KIND=standard", "SEATSYNC_SOURCE_CRM_SECRETS=" + strings.TrimPrefix(testSecret1, "whsec_")},
			[]string{`SEATSYNC_SOURCE_CRM_SECRETS: secret 1 of 1 is not "whsec_" followed by standard base64`}},
		{"bad base64", []string{"SEATSYNC_SOURCE_CRM_KIND=standard", "SEATSYNC_SOURCE_CRM_SECRETS=" + testSecret1 + ",whsec_not*base64!!"},
			[]string{"SEATSYNC_SOURCE_CRM_SECRETS: secret 2 of 2 is not"}},
		{"short key", []string{"SEATSYNC_SOURCE_CRM_KIND=standard", "SEATSYNC_SOURCE_CRM_SECRETS=" + testShortSecret},
			[]string{"SEATSYNC_SOURCE_CRM_SECRETS: secret 1 of 1 is not", "at least 16 bytes"}},
		{"empty entry", []string{"SEATSYNC_SOURCE_CRM_KIND=standard", "SEATSYNC_SOURCE_CRM_SECRETS=" + testSecret1 + ", ,"},
			[]string{"secret 2 of 3 is empty", "secret 3 of 3 is empty"}},
		{"bad tolerance", []string{"SEATSYNC_SOURCE_CRM_KIND=standard", "SEATSYNC_SOURCE_CRM_SECRETS=" + testSecret1, "SEATSYNC_SOURCE_CRM_TOLERANCE=5"},
			[]string{`SEATSYNC_SOURCE_CRM_TOLERANCE: "5" is not a duration`}},
		{"tolerance out of range", []string{"SEATSYNC_SOURCE_CRM_KIND=standard", "SEATSYNC_SOURCE_CRM_SECRETS=" + testSecret1, "SEATSYNC_SOURCE_CRM_TOLERANCE=2h"},
			[]string{"SEATSYNC_SOURCE_CRM_TOLERANCE: 2h0m0s is out of range (1s..1h0m0s)"}},
		{"misspelt suffix", []string{"SEATSYNC_SOURCE_CRM_SECRET=" + testSecret1},
			[]string{"SEATSYNC_SOURCE_CRM_SECRET: unknown variable"}},
		{"lower case name", []string{"SEATSYNC_SOURCE_crm_KIND=standard"},
			[]string{`SEATSYNC_SOURCE_crm_KIND: source name "crm" must match [A-Z0-9_]+`}},
		{"empty name", []string{"SEATSYNC_SOURCE__KIND=standard"},
			[]string{`SEATSYNC_SOURCE__KIND: source name "" must match`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(tt.environ)
			if err == nil {
				t.Fatalf("Load = %+v, want an error", c)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			// Error messages reach logs: they must never quote a secret.
			for _, kv := range tt.environ {
				if k, v, _ := strings.Cut(kv, "="); strings.HasSuffix(k, "_SECRETS") && strings.Contains(err.Error(), strings.TrimSpace(v)) {
					t.Errorf("error quotes the value of %s:\n%v", k, err)
				}
			}
		})
	}
}
