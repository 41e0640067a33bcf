package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, which Linux fixes at 100 on every architecture Go
// supports, so /proc/PID/stat times are in hundredths of a second.
const clockTicks = 100

// cpuSample is the CPU time used so far by the server and by this program.
type cpuSample struct {
	server, self, machine time.Duration
}

// cpuUse is the share of the machine each side took during a window.
type cpuUse struct {
	server, self, others float64 // cores busy on average
}

func (u cpuUse) String() string {
	s := fmt.Sprintf("CPU: server %.2f cores, generator %.2f cores", u.server, u.self)
	if u.others >= 0.05 {
		s += fmt.Sprintf(", OTHER LOAD %.2f cores (figures are depressed by it)", u.others)
	}
	return s
}

func sampleCPU(s *server) cpuSample {
	var out cpuSample
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		out.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	out.machine = machineBusy()
	if s == nil {
		return out
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return out
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the whole line.
	rest := string(b)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return out
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	out.server = time.Duration(ut+st) * time.Second / clockTicks
	return out
}

func (s cpuSample) since(before cpuSample, window time.Duration) cpuUse {
	w := window.Seconds()
	u := cpuUse{server: (s.server - before.server).Seconds() / w, self: (s.self - before.self).Seconds() / w}
	u.others = max(0, (s.machine-before.machine).Seconds()/w-u.server-u.self)
	return u
}

// machineBusy is the non-idle CPU time of the whole machine from /proc/stat,
// so a figure taken while other processes ran can say so.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		// idle and iowait (the 4th and 5th columns) are not work; guest time
		// is already counted in user.
		if i == 3 || i == 4 || i >= 8 {
			continue
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks
}

// waitQuiet waits, up to limit, until processes other than the server and
// this program have used under 0.1 cores for a whole second, so figures
// are not taken while, say, a compiler runs. It returns the others' load
// when it stopped waiting.
func waitQuiet(s *server, limit time.Duration) (others float64, waited time.Duration) {
	start := time.Now()
	for {
		before := sampleCPU(s)
		time.Sleep(time.Second)
		others = sampleCPU(s).since(before, time.Second).others
		if others < 0.1 || time.Since(start) >= limit {
			return others, time.Since(start)
		}
	}
}
