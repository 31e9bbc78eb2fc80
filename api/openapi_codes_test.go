package api_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/seatsync/seatsync/api"
)

// listedCode is a code as the document's descriptions list them.
var listedCode = regexp.MustCompile("`([a-z_]+)`")

// apiErrorCodes reads the error codes the api package can answer from its
// source: the code of every apiError literal and of every row of the
// errorCodes table. Reading the source rather than a list kept by hand is
// what makes a new code fail TestOpenAPIListsEveryErrorCode until it is
// documented.
func apiErrorCodes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no api sources: %v", err)
	}
	codes := []string{"internal"} // the answer of an unexpected error
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			switch typ := lit.Type.(type) {
			case *ast.Ident: // apiError{status, code, message}
				if typ.Name == "apiError" {
					codes = appendStringAt(codes, lit, 1)
				}
			case *ast.ArrayType: // the errorCodes table: rows of {err, status, code}
				if row, ok := typ.Elt.(*ast.StructType); ok && row.Fields.NumFields() == 3 {
					for _, e := range lit.Elts {
						if r, ok := e.(*ast.CompositeLit); ok {
							codes = appendStringAt(codes, r, 2)
						}
					}
				}
			}
			return true
		})
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

// appendStringAt appends the i-th element of lit when it is a string.
func appendStringAt(to []string, lit *ast.CompositeLit, i int) []string {
	if i >= len(lit.Elts) {
		return to
	}
	if s, ok := lit.Elts[i].(*ast.BasicLit); ok && s.Kind == token.STRING {
		v, _ := strconv.Unquote(s.Value)
		to = append(to, v)
	}
	return to
}

// TestOpenAPIListsEveryErrorCode checks the codes of the document against
// the code: every error answer lists its codes, every code is listed
// somewhere, and no listed code is one the API never answers.
func TestOpenAPIListsEveryErrorCode(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIDocument())
	if err != nil {
		t.Fatal(err)
	}
	known := apiErrorCodes(t)
	if len(known) < 25 {
		t.Fatalf("found only %d error codes in the api package: %v", len(known), known)
	}
	var listed []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, r := range op.Responses.Map() {
				code, _ := strconv.Atoi(status)
				if code < http.StatusBadRequest {
					continue
				}
				desc := ""
				if r.Value.Description != nil {
					desc = *r.Value.Description
				}
				_, list, ok := strings.Cut(desc, "Codes:")
				if !ok {
					t.Errorf("%s %s %s: the description lists no codes: %q", method, path, status, desc)
					continue
				}
				for _, m := range listedCode.FindAllStringSubmatch(list, -1) {
					if !slices.Contains(known, m[1]) {
						t.Errorf("%s %s %s: lists %s, which the api package never answers", method, path, status, m[1])
					}
					listed = append(listed, m[1])
				}
			}
		}
	}
	for _, c := range known {
		// no_free_seat has a row so that the engine's sentinel has a code
		// wherever it shows, but every API write names its seat, so no
		// operation answers it.
		if !slices.Contains(listed, c) && c != "no_free_seat" {
			t.Errorf("code %s is answered by the api package but listed by no operation", c)
		}
	}
}
