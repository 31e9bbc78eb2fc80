package storage

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/lib/pq"
)

// Sentinels callers branch on with errors.Is. Nothing outside storage sees a
// *pq.Error.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrNoDatabase means the server answers but the database does not
	// exist yet; `seatsync migrate` creates it.
	ErrNoDatabase = errors.New("database does not exist")
)

// translate maps driver errors to sentinels once, at the storage boundary.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %s", ErrConflict, pqErr.Message)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w: %s", ErrNotFound, pqErr.Message)
		case "3D000": // invalid_catalog_name
			return fmt.Errorf("%w: %s", ErrNoDatabase, pqErr.Message)
		}
	}
	return err
}

// retryable reports failures that a fresh attempt of the whole transaction
// can succeed at.
func retryable(err error) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	switch pqErr.Code {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	}
	return false
}

// wrapf adds context to a driver error after translating it; nil stays nil.
func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, translate(err))...)
}
