// Command portal runs the Portal account portal.
//
//	portal [serve] [flags]   start the server (the default)
//	portal migrate [flags]   apply database migrations and exit
//	portal backup FILE       write a consistent copy of the SQLite database to FILE
//	portal keys rotate       publish a new signing key, signing from 10 minutes on (--now: at once)
//	portal version           print the version, commit and Go version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/app"
	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/token"
)

func main() {
	stops := []os.Signal{os.Interrupt, syscall.SIGTERM}
	switch hangupMeans() {
	case hangupStops:
		stops = append(stops, syscall.SIGHUP)
	case hangupWarns:
		// Caught from the start, so that a SIGHUP during start-up does
		// not end the process either; serve logs each one.
		signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP)
	}
	ctx, stop := signal.NotifyContext(context.Background(), stops...)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Environ(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "portal:", err)
		os.Exit(1)
	}
}

// commands heads portal help and --help.
const commands = `usage: portal [command] [flags]

Commands:
  serve          start the server (the default)
  migrate        apply pending database migrations and exit
  backup FILE    write a consistent copy of the SQLite database to FILE (PostgreSQL: use pg_dump)
  keys rotate    publish a new signing key, signing from 10 minutes on (--now: at once)
  version        print the version, the commit it was built from and the Go version
  help           print this

`

// databaseHelp is the --help of each command that uses only the database:
// the whole settings table would have a person think it needs them all.
var databaseHelp = map[string]string{
	"migrate": `usage: portal migrate [--database-url URL] [--config PATH]

Applies the migrations the database lacks, names them (or says it is up to date) and exits.
portal serve applies them too as it starts; run this ahead of a deploy.
`,
	"backup": `usage: portal backup FILE [--database-url URL] [--config PATH]

Writes a consistent copy of the SQLite database to FILE, a new file readable by its owner only,
while portals run. PostgreSQL: use pg_dump (README, "Operating it").
`,
	"keys": `usage: portal keys rotate [--now] [--database-url URL] [--config PATH]

Publishes a new signing key, which every machine starts signing with 10 minutes later
(--now: at once, for a key thought compromised); the previous key stays published until the
tokens it signed have expired.
`,
}

// databaseSettings ends databaseHelp.
const databaseSettings = `
It uses only PORTAL_DATABASE_URL (--database-url, or database_url in the --config file), and
nothing else is needed, in production too. Other settings are read as portal serve reads them,
so a value that does not parse is still refused; see portal help for them all.
`

// run is main without the process: tests call it in-process. Asking for
// help (portal help, --help, -h after any command) prints it and succeeds.
func run(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) error {
	err := command(ctx, args, getenv, environ, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func command(ctx context.Context, args []string, getenv func(string) string, environ []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	help := func() {
		if h, ok := databaseHelp[cmd]; ok {
			fmt.Fprint(stdout, h, databaseSettings)
			return
		}
		fmt.Fprint(stdout, commands, config.Usage())
	}
	loadWith := func(load func([]string, func(string) string, []string) (*config.Config, error)) func([]string) (*config.Config, error) {
		return func(args []string) (*config.Config, error) {
			c, err := load(args, getenv, environ)
			if errors.Is(err, flag.ErrHelp) {
				help()
			}
			return c, err
		}
	}
	// serve checks the whole configuration; the commands that only use the
	// database check only its URL, so that they run where only it is set
	// (a migration job in production has no SMTP server or secrets).
	load := loadWith(config.Load)
	loadDB := loadWith(func(args []string, getenv func(string) string, environ []string) (*config.Config, error) {
		named := "portal " + cmd
		if cmd == "keys" {
			named = "portal keys rotate"
		}
		return config.LoadDatabase(named, args, getenv, environ)
	})
	// backup and keys take a word before their flags: --help in its place
	// is a request for help too, not a missing FILE or subcommand.
	if (cmd == "backup" || cmd == "keys") && len(args) > 0 && slices.Contains([]string{"-h", "-help", "--help"}, args[0]) {
		help()
		return nil
	}
	switch cmd {
	case "serve":
		cfg, err := load(args)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, getenv, stderr)
	case "migrate":
		cfg, err := loadDB(args)
		if err != nil {
			return err
		}
		st, err := store.Open(ctx, cfg.DatabaseURL) // Open applies the migrations
		if err != nil {
			return err
		}
		defer st.Close()
		if db, known := st.Newer(); db != 0 {
			fmt.Fprintf(stdout, "warning: %s\n", newerDatabase(db, known))
		}
		if applied := st.Applied(); len(applied) > 0 {
			fmt.Fprintf(stdout, "applied %d migrations to the %s database:\n  %s\n", len(applied), st.Dialect(),
				strings.Join(applied, "\n  "))
		} else {
			fmt.Fprintf(stdout, "the %s database is up to date: no migrations to apply\n", st.Dialect())
		}
		return nil
	case "backup":
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return errors.New("usage: portal backup FILE [flags] (a consistent copy of the SQLite database, while portals run)")
		}
		to := args[0]
		cfg, err := loadDB(args[1:])
		if err != nil {
			return err
		}
		if err := store.Backup(ctx, cfg.DatabaseURL, to); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "backup written to", to)
		return nil
	case "keys":
		if len(args) == 0 || args[0] != "rotate" {
			return errors.New("usage: portal keys rotate [--now] [flags]")
		}
		now := slices.Contains(args[1:], "--now")
		cfg, err := loadDB(slices.DeleteFunc(slices.Clone(args[1:]), func(a string) bool { return a == "--now" }))
		if err != nil {
			return err
		}
		// Only the keys: building the whole portal would also bring the
		// deployment in line with this command's configuration (the
		// PORTAL_WEBHOOK_URL endpoint), which need not be the serving one.
		st, err := store.OpenExisting(ctx, cfg.DatabaseURL) // not one it would make
		if err != nil {
			return err
		}
		defer st.Close()
		signer, err := token.NewSigner(ctx, st.Q, clockwork.NewRealClock(), cfg.SessionTokenTTL)
		if err != nil {
			return fmt.Errorf("signing keys: %w", err)
		}
		if now { // a key thought compromised: sign with a new one at once
			kid, err := signer.Rotate(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "new signing key %s is active now (machines already running switch to it within a minute); the previous key stays published until its tokens expire\n", kid)
			return nil
		}
		kid, at, err := signer.Stage(ctx, token.StageAhead)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new signing key %s is published now and signs from %s (in %v), on every machine; "+
			"the previous key stays published until its tokens expire (--now switches at once)\n",
			kid, at.UTC().Format(time.RFC3339), token.StageAhead)
		return nil
	case "help":
		fmt.Fprint(stdout, commands, config.Usage())
		return nil
	case "version":
		fmt.Fprintln(stdout, currentVersion())
		return nil
	}
	return fmt.Errorf("unknown command %q (try: portal help)", cmd)
}

func serve(ctx context.Context, cfg *config.Config, getenv func(string) string, logw io.Writer) error {
	p, err := app.Build(ctx, cfg, app.Options{Log: logw})
	if err != nil {
		return err
	}
	defer p.Close()
	hashBytes, cgroupMax := int64(p.Hasher.Params().Memory)<<10, cgroupMemoryMax()
	pace := planGC(getenv, p.Hasher.Slots(), hashBytes, cgroupMax)
	pace.apply()
	l, err := p.Listen()
	if err != nil {
		return err
	}
	second, unwatch := secondSignal(ctx)
	defer unwatch()
	if hangupMeans() == hangupWarns {
		hups := make(chan os.Signal, 1)
		signal.Notify(hups, syscall.SIGHUP)
		defer signal.Stop(hups)
		go func() {
			for {
				select {
				case <-hups:
					p.Log.Warn("SIGHUP received and ignored: the portal reads its configuration only as it starts, " +
						"so nothing was reloaded; restart it to apply a change (systemctl restart, not reload)")
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	p.EndDelayOn(second)
	// Start-up (migrations, catalogs, themes, templates) leaves garbage
	// the runtime would return to the OS only slowly; hand it back now, so
	// an idle portal stays small. Listening already, so /readyz answers.
	go debug.FreeOSMemory()
	p.Log.Info("portal is ready", append([]any{"open", cfg.BaseURL + "/sign-in", "listen", l.Addr().String(),
		"env", cfg.Env, "database", p.Store.Dialect(), "database_at", p.Store.Where()}, currentVersion().attrs()...)...)
	if pk := cfg.PublishableKey(); pk != "" {
		p.Log.Info("publishable key for Clerk's SDKs in relying apps", "publishable_key", pk)
	}
	if pace != (gcPace{}) {
		tick := time.NewTicker(time.Minute)
		defer tick.Stop()
		go returnWhenIdle(ctx, tick.C, p.Hasher.Computations)
		follow := time.NewTicker(10 * time.Second)
		defer follow.Stop()
		go followLive(ctx, follow.C, limitFollower{planned: pace.Limit,
			hashes: int64(p.Hasher.Slots()) * hashBytes, cgroupMax: cgroupMax})
		p.Log.Debug("garbage collector paced for password hashing; GOGC or GOMEMLIMIT in the environment leave it to Go",
			"gogc", pace.Percent, "memory_limit_mib", pace.Limit>>20)
	}
	if cfg.Dev() {
		if cfg.SMTPURL == "" {
			p.Log.Info("development instance: emails are captured at "+cfg.BaseURL+"/dev/outbox",
				"secret_key", p.SecretKey)
		} else { // /dev/outbox is not served: mail goes to the SMTP server
			p.Log.Info("development instance", "secret_key", p.SecretKey)
		}
		if hint := elsewhere(cfg.BaseURL, l.Addr()); hint != "" {
			p.Log.Warn(hint)
		}
	}
	return p.Serve(ctx)
}

// What SIGHUP does to a portal.
const (
	hangupIgnored = iota // started with it ignored (nohup): it stays so
	hangupStops          // a terminal's hangup: stop as on SIGINT
	hangupWarns          // anything else (kill -HUP, a reload): keep serving, say so
)

// hangupMeans decides what SIGHUP does. Portal has no configuration to
// reload, and the signal has two senders: a terminal that closes (the
// window of a foreground make run) tells its processes so with it, and
// there the portal should stop, not linger without a terminal holding its
// port; a service manager's reload (systemd's ExecReload=kill -HUP) or an
// operator's kill -HUP means "reload", and stopping the portal for it
// would turn a harmless reload into an outage. A process with a
// controlling terminal (one /dev/tty opens) has the first sender; one
// without, as under systemd, Docker without -t or Kubernetes, the second.
func hangupMeans() int {
	if signal.Ignored(syscall.SIGHUP) {
		return hangupIgnored
	}
	if tty, err := os.Open("/dev/tty"); err == nil {
		tty.Close()
		return hangupStops
	}
	return hangupWarns
}

// secondSignal returns a channel closed when the process has received
// SIGINT or SIGTERM twice: the first (the one main turns into ctx ending)
// begins shutting down, and a second, sent during PORTAL_SHUTDOWN_DELAY,
// ends the delay (a person pressing Ctrl-C again, an orchestrator that
// will not wait). A ctx already ended counts as the first. unwatch stops
// watching.
func secondSignal(ctx context.Context) (second <-chan struct{}, unwatch func()) {
	seen := 0
	if ctx.Err() != nil { // before watching: that signal is not among sigs
		seen = 1
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	c, done := make(chan struct{}), make(chan struct{})
	go func() {
		for {
			select {
			case <-sigs:
				if seen++; seen == 2 {
					close(c)
					return
				}
			case <-done:
				return
			}
		}
	}()
	return c, func() {
		signal.Stop(sigs)
		close(done)
	}
}

// elsewhere warns when a development portal's base URL names this machine
// but not the port it listens on (PORTAL_ADDR changed, PORTAL_BASE_URL
// left at its default): the URL to open, and every link in its emails,
// would lead to nothing or to another portal. It returns "" when they agree.
func elsewhere(base string, listen net.Addr) string {
	u, err := url.Parse(base)
	tcp, ok := listen.(*net.TCPAddr)
	if err != nil || !ok {
		return ""
	}
	switch u.Hostname() {
	case "localhost", "127.0.0.1", "::1":
	default:
		return ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if port == strconv.Itoa(tcp.Port) {
		return ""
	}
	want := *u
	want.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(tcp.Port))
	return fmt.Sprintf("PORTAL_BASE_URL is %s but this portal listens on port %d: pages, redirects and emailed links "+
		"lead to %s; set PORTAL_BASE_URL=%s", base, tcp.Port, u.Host, want.String())
}

// newerDatabase says what it means that a newer Portal migrated the
// database this one runs on.
func newerDatabase(db, known int64) string {
	return fmt.Sprintf("the database has migrations up to %05d, this portal knows them up to %05d: a newer Portal "+
		"has migrated it. Fine while a rolling upgrade is under way; after a rollback, restore the backup taken "+
		"before the upgrade, or run the newer Portal again", db, known)
}
