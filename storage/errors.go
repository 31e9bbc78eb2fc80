package storage

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"

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
	// ErrUnavailable means Postgres could not be reached or is shutting
	// down: the request may succeed when retried later.
	ErrUnavailable = errors.New("postgres unavailable")
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
		case "57P01", "57P02", "57P03", "53300": // shutting down, cannot connect now, too many connections
			return fmt.Errorf("%w: %s", ErrUnavailable, pqErr.Message)
		}
		if pqErr.Code.Class() == "08" { // connection_exception
			return fmt.Errorf("%w: %s", ErrUnavailable, pqErr.Message)
		}
		return err
	}
	// Without a server there is no *pq.Error: the dial fails, or a
	// connection dies under a query.
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
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
