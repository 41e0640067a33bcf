// Command bench measures the figures the performance issue names against a
// real `portal serve` process and prints each with its target:
//
//	make bench
//	go run ./internal/bench -binary bin/portal [-only jwks,handshake] [-duration 5s]
//
// (-h lists the flags.) It spawns the binary on SQLite in a fresh temporary directory and drives it
// over loopback from this process, which shares the machine's cores with the
// server. A missed target prints FAIL; the exit status is non-zero only when
// the harness itself could not run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// benchNames are the values -only accepts, in the order they run.
var benchNames = []string{"startup", "idle", "signin-page", "jwks", "handshake", "password", "burst"}

type options struct {
	binary   string
	only     map[string]bool
	duration time.Duration
	warmup   time.Duration
	workers  int
	sessions int
	burst    int
	raw      bool
	keep     bool

	quietWait time.Duration
	retries   int
	pairs     int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	only := fs.String("only", "", "comma-separated benchmarks to run: "+strings.Join(benchNames, ","))
	gen := fs.String("gen", "raw", "load generator: raw (keep-alive TCP, prepared requests) or nethttp (http.Transport)")
	fs.StringVar(&o.binary, "binary", "bin/portal", "portal binary to measure (make bench builds it)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "timed window of each throughput benchmark (password sign-in runs 1.6x this)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "untimed warm-up before each window")
	fs.IntVar(&o.workers, "c", 32, "concurrent connections for the GET and handshake benchmarks")
	fs.IntVar(&o.sessions, "sessions", 200, "distinct signed-in sessions for the handshake benchmark")
	fs.IntVar(&o.burst, "burst", 500, "sign-in attempts released at once in the burst benchmark")
	fs.DurationVar(&o.quietWait, "quiet", 30*time.Second, "before each benchmark, wait up to this long for other processes to go idle (0: don't)")
	fs.IntVar(&o.pairs, "pairs", 5, "rounds of the paired ratio figures (the operation alone, then the load on the portal); 0 skips them")
	fs.IntVar(&o.retries, "retries", 2, "re-run a timed window up to this many times when other processes took >= 0.15 cores during it; the least disturbed run counts")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (database and portal.log)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	o.raw = *gen == "raw"
	if !o.raw && *gen != "nethttp" {
		return fmt.Errorf("-gen must be raw or nethttp, not %q", *gen)
	}
	o.only = map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !slices.Contains(benchNames, n) {
			return fmt.Errorf("-only: unknown benchmark %q (have %s)", n, strings.Join(benchNames, ", "))
		}
		o.only[n] = true
	}
	bin, err := filepath.Abs(o.binary)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%w (run `make build` first, or use `make bench`)", err)
	}
	o.binary = bin

	printHeader(out, args, o)
	b := &bench{opt: o, out: out}
	runErr := b.run(ctx)
	printTable(out, b.results)
	if runErr != nil {
		return runErr
	}
	return nil
}

func (o options) want(name string) bool { return len(o.only) == 0 || o.only[name] }

func printHeader(out io.Writer, args []string, o options) {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	fmt.Fprintf(out, "command: go run ./internal/bench %s\n", strings.Join(args, " "))
	fmt.Fprintf(out, "         (`make bench` builds bin/portal, then runs: go run ./internal/bench -binary bin/portal)\n")
	fmt.Fprintf(out, "machine: %d cores (%s), GOMAXPROCS %d, %s %s/%s\n", runtime.NumCPU(), cpu,
		runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if nice := niceness(); nice != 0 {
		fmt.Fprintf(out, "priority: nice %d (inherited by the portal; lowers interference from other processes)\n", nice)
	}
	gen := "raw keep-alive TCP connections with prepared requests"
	if !o.raw {
		gen = "net/http Transport"
	}
	fmt.Fprintf(out, "setup:   %s serve on SQLite in a fresh temp dir; load from this process (%s) over loopback.\n", o.binary, gen)
	fmt.Fprintf(out, "         The generator shares the %d cores with the server, so throughput figures are lower bounds\n", runtime.NumCPU())
	fmt.Fprintf(out, "         for the server alone; each line shows how many cores each side used.\n\n")
}

// result is one row of the final table.
type result struct {
	metric   string
	measured string
	target   string
	bound    string
	pass     *bool   // nil: informational
	others   float64 // cores other processes used during the timed window

	boundNoisy bool // the bound was timed under other load
	// ceiling, for a ratio to a bound, is what the bound's operation
	// alone reaches with every core at once, as a fraction of the bound
	// (the cores' own scaling); need is the ratio the target asks. A
	// ceiling under need means no server could meet the target on this
	// host: the verdict says so beside FAIL.
	ceiling, need float64
}

func verdict(ok bool) *bool { return &ok }

// noisy is the other load above which a figure is not trusted.
const noisy = 0.15

func printTable(out io.Writer, rs []result) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintln(out, "\nRESULTS")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tmeasured\ttarget\tbound / reference\tother load\tverdict")
	failed, unsure, capped := 0, 0, false
	for _, r := range rs {
		v := "info"
		switch {
		case r.pass == nil:
		case r.boundNoisy:
			// A bound timed under load is too low, which can turn a miss
			// into a pass: no verdict either way.
			v, unsure = "NO VERDICT (bound disturbed)", unsure+1
		case *r.pass:
			v = "PASS"
		case r.others >= noisy:
			v, failed = "FAIL (disturbed)", failed+1
		case r.ceiling > 0 && r.ceiling < r.need:
			v, failed, capped = fmt.Sprintf("FAIL (cores reach %.0f%%)", 100*r.ceiling), failed+1, true
		default:
			v, failed = "FAIL", failed+1
		}
		noise := "-"
		if r.others >= 0.05 {
			noise = fmt.Sprintf("%.2f cores", r.others)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.metric, r.measured, orDash(r.target), orDash(r.bound), noise, v)
	}
	tw.Flush()
	switch {
	case failed > 0:
		fmt.Fprintf(out, "%d target(s) missed.\n", failed)
	case unsure == 0:
		fmt.Fprintln(out, "All measured targets met.")
	}
	if unsure > 0 {
		fmt.Fprintf(out, "%d target(s) without a verdict: run again on a quieter machine.\n", unsure)
	}
	if capped {
		fmt.Fprintln(out, "cores reach N%: the operation alone, on every core at once and with no HTTP, reached only N% of the")
		fmt.Fprintln(out, "bound (cores × one operation alone), under the target ratio: on this host the cores do not scale")
		fmt.Fprintln(out, "enough for any server to meet it. Compare the portal with that figure (\"of what parallel … alone reaches\").")
	}
	fmt.Fprintln(out, "other load: CPU that processes other than the portal and this program (or the hypervisor) took during")
	fmt.Fprintln(out, "the timed window or while timing a bound (for start-up and idle RSS: just before). A PASS under it")
	fmt.Fprintf(out, "stands; a FAIL under %.2f cores or more may be the machine's doing rather than the portal's.\n", noisy)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// niceness is this process's nice value, from /proc/self/stat.
func niceness() int {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	rest := string(b)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) < 17 {
		return 0
	}
	n, _ := strconv.Atoi(f[16]) // the 19th field of the whole line
	return n
}
