//go:build !linux

package jobstest

import "syscall"

// dieWithParent is Linux's parent-death signal elsewhere: there is none, so
// the private server outlives the test binary; set SEATSYNC_TEST_REDIS_ADDR
// to use a Redis of your own instead.
func dieWithParent() *syscall.SysProcAttr { return nil }
