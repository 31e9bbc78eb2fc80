package scim

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/seatsync/seatsync/storage"
)

// createUser provisions a user: a seatsync user whose external id is the
// SCIM id assigned here, seated by automatic assignment when a mapping
// entitles them, or waiting when the pool is full: provisioning never
// fails for want of seats.
func (h *Handler) createUser(c *gin.Context) {
	doc, err := readObject(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	doc = normalize(doc).(map[string]any)
	f, err := extractUser(doc)
	if err != nil {
		h.fail(c, err)
		return
	}
	id := uuid.NewString()
	in, err := storedUser(id, f, doc)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx, tok := c.Request.Context(), token(c)
	err = h.db.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := tx.LockExistingCustomer(ctx, tok.CustomerExternalID); err != nil {
			return err
		}
		if err := tx.InsertSCIMUser(ctx, tok.CustomerID, in); err != nil {
			return userNameTaken(err)
		}
		active := f.active == nil || *f.active
		_, err := h.engine.UpsertUser(ctx, tx, seatsyncUser(c, id, f, active), storage.CurrentState)
		return err
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	h.answerUser(c, http.StatusCreated, id)
}

// seatsyncUser is the seatsync user a SCIM user is.
func seatsyncUser(c *gin.Context, id string, f userFields, active bool) storage.UserInput {
	status := storage.UserActive
	if !active {
		status = storage.UserDeactivated
	}
	return storage.UserInput{Customer: customerRef(c), ExternalID: id, Email: f.email, Name: f.name, Status: status}
}

func userNameTaken(err error) error {
	if errors.Is(err, storage.ErrConflict) {
		return uniqueness("userName is already taken in this customer")
	}
	return err
}

func (h *Handler) getUser(c *gin.Context) {
	h.answerUser(c, http.StatusOK, c.Param("id"))
}

// answerUser reads a user back and answers it.
func (h *Handler) answerUser(c *gin.Context, status int, id string) {
	u, err := h.db.SCIMUser(c.Request.Context(), token(c).CustomerID, id)
	if errors.Is(err, storage.ErrNotFound) {
		err = notFound("user " + clip(id) + " not found")
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	out, err := renderUser(c, u)
	if err != nil {
		h.fail(c, err)
		return
	}
	if status == http.StatusCreated {
		c.Header("Location", location(c, "Users", id))
	}
	writeSCIM(c, status, out)
}

func (h *Handler) listUsers(c *gin.Context) {
	p, err := parsePage(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	raw, _ := queryParam(c, "filter")
	preds, err := parseFilter(raw, userSchema, userFilters)
	if err != nil {
		h.fail(c, err)
		return
	}
	users, total, err := h.db.ListSCIMUsers(c.Request.Context(), token(c).CustomerID, preds, p.startIndex-1, p.count)
	if err != nil {
		h.fail(c, err)
		return
	}
	resources := make([]any, 0, len(users))
	for _, u := range users {
		out, err := renderUser(c, u)
		if err != nil {
			h.fail(c, err)
			return
		}
		resources = append(resources, out)
	}
	writeSCIM(c, http.StatusOK, listResponse(p, total, resources))
}

// replaceUser is PUT: the body is the whole user. An omitted active leaves
// the status as it is; Okta deactivates with PUT and active false.
func (h *Handler) replaceUser(c *gin.Context) {
	doc, err := readObject(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	doc = normalize(doc).(map[string]any)
	h.updateUser(c, func(storage.SCIMUser) (map[string]any, error) { return doc, nil })
}

// patchUser applies a PatchOp to the stored user, then treats the result
// as PUT does. Entra deactivates with Replace active false ("False"), Okta
// with replace {"active": false}.
func (h *Handler) patchUser(c *gin.Context) {
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
	h.updateUser(c, func(u storage.SCIMUser) (map[string]any, error) {
		doc, err := userDocument(u)
		if err != nil {
			return nil, err
		}
		return doc, applyPatch(doc, ops, userSchema)
	})
}

// updateUser writes the document next makes of the locked user, with the
// seat consequences: deactivating revokes the user's seats (rule 4),
// reactivating lets automatic assignment seat them again.
func (h *Handler) updateUser(c *gin.Context, next func(storage.SCIMUser) (map[string]any, error)) {
	ctx, tok, id := c.Request.Context(), token(c), c.Param("id")
	err := h.db.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := tx.LockExistingCustomer(ctx, tok.CustomerExternalID); err != nil {
			return err
		}
		cur, err := tx.LockSCIMUser(ctx, tok.CustomerID, id)
		if errors.Is(err, storage.ErrNotFound) {
			return notFound("user " + clip(id) + " not found")
		}
		if err != nil {
			return err
		}
		doc, err := next(cur)
		if err != nil {
			return err
		}
		f, err := extractUser(doc)
		if err != nil {
			return err
		}
		in, err := storedUser(id, f, doc)
		if err != nil {
			return err
		}
		if err := tx.UpdateSCIMUser(ctx, tok.CustomerID, in); err != nil {
			return userNameTaken(err)
		}
		active := cur.Active
		if f.active != nil {
			active = *f.active
		}
		_, err = h.engine.UpsertUser(ctx, tx, seatsyncUser(c, id, f, active), storage.CurrentState)
		return err
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	h.answerUser(c, http.StatusOK, id)
}

// deleteUser deprovisions a user: the seatsync user is deactivated (its
// seats revoked, rule 4) and leaves its groups, and the SCIM resource is
// gone (404 from then on, its userName free again). The seatsync user
// itself stays, deactivated, with its history.
func (h *Handler) deleteUser(c *gin.Context) {
	ctx, tok, id := c.Request.Context(), token(c), c.Param("id")
	err := h.db.InTx(ctx, func(tx *storage.Tx) error {
		if _, err := tx.LockExistingCustomer(ctx, tok.CustomerExternalID); err != nil {
			return err
		}
		if _, err := tx.LockSCIMUser(ctx, tok.CustomerID, id); errors.Is(err, storage.ErrNotFound) {
			return notFound("user " + clip(id) + " not found")
		} else if err != nil {
			return err
		}
		groups, err := tx.SCIMGroupsOfUser(ctx, tok.CustomerID, id)
		if err != nil {
			return err
		}
		at := storage.CurrentState
		// Deactivated first, so that leaving the groups frees no seat
		// twice and moves nobody up the line for a seat this user keeps.
		if _, err := h.engine.DeactivateUser(ctx, tx, customerRef(c), id, at); err != nil {
			return err
		}
		for _, g := range groups {
			if _, err := h.engine.ChangeUserGroup(ctx, tx, customerRef(c), id, g.DisplayName, false, at); err != nil {
				return err
			}
		}
		return tx.DeleteSCIMUser(ctx, tok.CustomerID, id)
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
