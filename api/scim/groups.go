package scim

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seatsync/seatsync/storage"
)

// createGroup makes a group; its members join the seatsync group of its
// displayName, so a mapping of that group seats (or queues) them.
func (h *Handler) createGroup(c *gin.Context) {
	doc, err := readObject(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	f, err := extractGroup(normalize(doc).(map[string]any))
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx, tok := c.Request.Context(), token(c)
	var id string
	err = h.db.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := tx.LockExistingCustomer(ctx, tok.CustomerExternalID); err != nil {
			return err
		}
		if err := h.checkMembers(c, tx, f.members); err != nil {
			return err
		}
		var err error
		if id, err = tx.InsertSCIMGroup(ctx, tok.CustomerID, f.displayName, f.externalID); err != nil {
			return displayNameTaken(err)
		}
		return h.changeMembers(c, tx, id, "", f.displayName, nil, f.members, storage.CurrentState)
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	h.answerGroup(c, http.StatusCreated, id)
}

func displayNameTaken(err error) error {
	if errors.Is(err, storage.ErrConflict) {
		return uniqueness("displayName is already taken in this customer")
	}
	return err
}

// checkMembers refuses members that are not live users of the customer.
func (h *Handler) checkMembers(c *gin.Context, tx *storage.Tx, members []string) error {
	if len(members) == 0 {
		return nil
	}
	live, err := tx.LiveSCIMUsers(c.Request.Context(), token(c).CustomerID, members)
	if err != nil {
		return err
	}
	for _, m := range members {
		if !live[m] {
			return invalidValue(fmt.Sprintf("member %s is not a user of this customer", clip(m)))
		}
	}
	return nil
}

// changeMembers moves the group from (oldName, old members) to (newName,
// new members) in seatsync's groups. On a rename a member joins the new
// name before leaving the old one, so a member whose seat both names
// entitle keeps it.
func (h *Handler) changeMembers(c *gin.Context, tx *storage.Tx, groupID, oldName, newName string, old, next []string, at time.Time) error {
	ctx, cust, custID := c.Request.Context(), customerRef(c), token(c).CustomerID
	for _, m := range next {
		stays := slices.Contains(old, m)
		if !stays {
			if err := tx.SetSCIMGroupMember(ctx, custID, groupID, m, true); err != nil {
				return err
			}
		}
		if !stays || oldName != newName {
			if _, err := h.engine.ChangeUserGroup(ctx, tx, cust, m, newName, true, at); err != nil {
				return err
			}
		}
		if stays && oldName != newName {
			if _, err := h.engine.ChangeUserGroup(ctx, tx, cust, m, oldName, false, at); err != nil {
				return err
			}
		}
	}
	for _, m := range old {
		if slices.Contains(next, m) {
			continue
		}
		if err := tx.SetSCIMGroupMember(ctx, custID, groupID, m, false); err != nil {
			return err
		}
		if _, err := h.engine.ChangeUserGroup(ctx, tx, cust, m, oldName, false, at); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) getGroup(c *gin.Context) {
	h.answerGroup(c, http.StatusOK, c.Param("id"))
}

func (h *Handler) answerGroup(c *gin.Context, status int, id string) {
	withMembers := !excludesMembers(c)
	g, err := h.db.SCIMGroup(c.Request.Context(), token(c).CustomerID, id, withMembers)
	if errors.Is(err, storage.ErrNotFound) {
		err = notFound("group " + clip(id) + " not found")
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if status == http.StatusCreated {
		c.Header("Location", location(c, "Groups", id))
	}
	writeSCIM(c, status, renderGroup(c, g, withMembers))
}

func (h *Handler) listGroups(c *gin.Context) {
	p, err := parsePage(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	raw, _ := queryParam(c, "filter")
	preds, err := parseFilter(raw, groupSchema, groupFilters)
	if err != nil {
		h.fail(c, err)
		return
	}
	withMembers := !excludesMembers(c)
	groups, total, err := h.db.ListSCIMGroups(c.Request.Context(), token(c).CustomerID, preds, p.startIndex-1, p.count, withMembers)
	if err != nil {
		h.fail(c, err)
		return
	}
	resources := make([]any, 0, len(groups))
	for _, g := range groups {
		resources = append(resources, renderGroup(c, g, withMembers))
	}
	writeSCIM(c, http.StatusOK, listResponse(p, total, resources))
}

// replaceGroup is PUT. A body without members leaves the membership as it
// is (an empty array empties the group): a rename sent without the member
// list must not unseat everyone.
func (h *Handler) replaceGroup(c *gin.Context) {
	doc, err := readObject(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	doc = normalize(doc).(map[string]any)
	if h.updateGroup(c, func(g storage.SCIMGroup) (map[string]any, error) {
		if _, ok := lookup(doc, "members"); !ok {
			doc["members"] = groupDocument(g)["members"]
		}
		return doc, nil
	}) {
		h.answerGroup(c, http.StatusOK, c.Param("id"))
	}
}

// patchGroup applies a PatchOp and answers 204 No Content, as Entra and
// Okta expect of group PATCH: membership changes of large groups need not
// echo the whole member list.
func (h *Handler) patchGroup(c *gin.Context) {
	body, err := readObject(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ops, err := readPatch(body)
	if err != nil {
		h.fail(c, err)
		return
	}
	if h.updateGroup(c, func(g storage.SCIMGroup) (map[string]any, error) {
		doc := groupDocument(g)
		return doc, applyPatch(doc, ops, groupSchema)
	}) {
		c.Status(http.StatusNoContent)
	}
}

// updateGroup writes the document next makes of the locked group and moves
// memberships to match; it reports whether it succeeded (else it
// answered the error).
func (h *Handler) updateGroup(c *gin.Context, next func(storage.SCIMGroup) (map[string]any, error)) bool {
	ctx, tok, id := c.Request.Context(), token(c), c.Param("id")
	err := h.db.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := tx.LockExistingCustomer(ctx, tok.CustomerExternalID); err != nil {
			return err
		}
		cur, err := tx.LockSCIMGroup(ctx, tok.CustomerID, id)
		if errors.Is(err, storage.ErrNotFound) {
			return notFound("group " + clip(id) + " not found")
		}
		if err != nil {
			return err
		}
		doc, err := next(cur)
		if err != nil {
			return err
		}
		f, err := extractGroup(doc)
		if err != nil {
			return err
		}
		old := make([]string, len(cur.Members))
		for i, m := range cur.Members {
			old[i] = m.Value
		}
		var added []string
		for _, m := range f.members {
			if !slices.Contains(old, m) {
				added = append(added, m)
			}
		}
		if err := h.checkMembers(c, tx, added); err != nil {
			return err
		}
		if err := tx.UpdateSCIMGroup(ctx, tok.CustomerID, id, f.displayName, f.externalID); err != nil {
			return displayNameTaken(err)
		}
		return h.changeMembers(c, tx, id, cur.DisplayName, f.displayName, old, f.members, storage.CurrentState)
	})
	if err != nil {
		h.fail(c, err)
		return false
	}
	return true
}

// deleteGroup deletes a group: its members leave the seatsync group, and
// lose the automatic seats it gave them.
func (h *Handler) deleteGroup(c *gin.Context) {
	ctx, tok, id := c.Request.Context(), token(c), c.Param("id")
	err := h.db.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := tx.LockExistingCustomer(ctx, tok.CustomerExternalID); err != nil {
			return err
		}
		cur, err := tx.LockSCIMGroup(ctx, tok.CustomerID, id)
		if errors.Is(err, storage.ErrNotFound) {
			return notFound("group " + clip(id) + " not found")
		}
		if err != nil {
			return err
		}
		at := storage.CurrentState
		for _, m := range cur.Members {
			if _, err := h.engine.ChangeUserGroup(ctx, tx, customerRef(c), m.Value, cur.DisplayName, false, at); err != nil {
				return err
			}
		}
		return tx.DeleteSCIMGroup(ctx, tok.CustomerID, id)
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
