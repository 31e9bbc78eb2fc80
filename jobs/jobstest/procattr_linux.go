package jobstest

import "syscall"

// dieWithParent has the kernel kill the server when the test binary exits,
// however it exits: a test package has no hook that runs after its last
// test, and a crashed binary runs none at all.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
