package jobstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ServerVar names the redis-server binary to start; by default the one on
// PATH, else /usr/bin/redis-server.
const ServerVar = "SEATSYNC_TEST_REDIS_SERVER"

// privateDatabases is how many database indexes the private server has:
// more than the tests of one package ever hold at once.
const privateDatabases = 64

// privateServer is this test binary's own redis-server.
type privateServer struct {
	addr string
	free chan int // database indexes no test holds
}

var private = sync.OnceValues(startPrivate)

// leasePrivate hands t a database index of the private server, started on
// first use, and takes it back when t ends.
func leasePrivate(t testing.TB) (string, int, error) {
	s, err := private()
	if err != nil {
		return "", 0, err
	}
	select {
	case db := <-s.free:
		t.Cleanup(func() { s.free <- db })
		return s.addr, db, nil
	case <-time.After(waitForIndex):
		return "", 0, fmt.Errorf("all %d databases of the private redis-server stayed in use for %s", privateDatabases, waitForIndex)
	}
}

func startPrivate() (*privateServer, error) {
	bin, err := serverBinary()
	if err != nil {
		return nil, err
	}
	// A free port can be taken between the probe and the server's bind;
	// another try takes another port.
	var errs []error
	for range 5 {
		addr, err := start(bin)
		if err == nil {
			s := &privateServer{addr: addr, free: make(chan int, privateDatabases)}
			for db := range privateDatabases {
				s.free <- db
			}
			return s, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("start a private redis-server (or set %s): %w", AddrVar, errors.Join(errs...))
}

func serverBinary() (string, error) {
	if bin := os.Getenv(ServerVar); bin != "" {
		return bin, nil
	}
	if bin, err := exec.LookPath("redis-server"); err == nil {
		return bin, nil
	}
	const fallback = "/usr/bin/redis-server"
	if _, err := os.Stat(fallback); err != nil {
		return "", fmt.Errorf("no redis-server on PATH or at %s (make services installs it; or set %s or %s)", fallback, ServerVar, AddrVar)
	}
	return fallback, nil
}

// start runs redis-server on a free loopback port and waits until it
// answers. The server keeps nothing on disk and writes its log to stdout,
// which goes nowhere.
func start(bin string) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--databases", strconv.Itoa(privateDatabases),
		"--dir", os.TempDir(), "--logfile", "")
	cmd.SysProcAttr = dieWithParent()
	exited := make(chan error, 1)
	started := make(chan error, 1)
	go func() {
		// The kernel's parent-death signal follows the thread that started
		// the process, so that thread must live as long as the binary:
		// this goroutine keeps it locked, waiting for the server.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return "", fmt.Errorf("%s: %w", bin, err)
	}
	rc := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 100 * time.Millisecond})
	defer rc.Close()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-exited:
			return "", fmt.Errorf("redis-server on port %d exited: %v", port, err)
		default:
		}
		if rc.Ping(context.Background()).Err() == nil {
			return addr, nil
		}
	}
	_ = cmd.Process.Kill()
	return "", fmt.Errorf("redis-server on port %d did not answer within 10 s", port)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
