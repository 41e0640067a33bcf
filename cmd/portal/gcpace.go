package main

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// gcPace is how the garbage collector runs in a serving portal.
type gcPace struct {
	Percent int   // GOGC; 0 leaves the runtime's value
	Limit   int64 // soft memory limit in bytes; 0 leaves the runtime's value
}

// gcBaseBytes is what a portal holds besides the hashes in flight (the
// store's caches, catalogs, templates, open connections) with room to spare.
const gcBaseBytes = 48 << 20

// planGC chooses the collector's pace for a portal with slots argon2id
// computations of hashBytes each at once, unless the operator chose one with
// GOGC or GOMEMLIMIT (then the runtime's own reading of them stands).
//
// Every password hash allocates argon2id's work area (19 MiB by default;
// x/crypto allocates it inside IDKey) and drops it at the end, so under
// sign-in load the live heap is little more than the hashes in flight, and
// with Go's default GOGC=100 a collection runs every two or three hashes;
// each one also hands freed pages back to the kernel for the next hash to
// fault in again. Collecting at three times the live heap (GOGC=200) halves
// that; `go run ./internal/bench -only password` measures the gain (README,
// Performance). A soft memory limit then keeps the peak near where the
// default had it when hundreds of attempts arrive at once: three work areas
// per slot plus gcBaseBytes, which is above the live heap of any ordinary
// load, so the limit is not something the collector chases. In a container
// with less memory than that (cgroupMax > 0, from cgroupMemoryMax), the
// limit is nine tenths of the container's.
func planGC(getenv func(string) string, slots int, hashBytes, cgroupMax int64) gcPace {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return gcPace{}
	}
	limit := gcBaseBytes + 3*int64(max(slots, 1))*hashBytes
	if cgroupMax > 0 {
		limit = min(limit, cgroupMax/10*9)
	}
	return gcPace{Percent: 200, Limit: limit}
}

// limitFollower keeps the soft memory limit above what the portal holds
// besides its hashes, re-read every 10 s. planGC's limit assumes that is under gcBaseBytes; a
// portal that outgrows it (rate-limit counters for a flood of addresses,
// thousands of slow requests open at once) would otherwise make the
// collector chase the limit, at up to half the CPU, just when it is busiest.
type limitFollower struct {
	planned   int64 // planGC's limit, the floor
	hashes    int64 // slots × one work area: the most hashes hold at once
	cgroupMax int64 // the container's memory, 0 for none
}

// limitFor is the soft limit for a portal holding held bytes (heldBytes).
// What it holds besides hashes is taken as held less every slot's work
// area (the least it can be), and gets twice its size plus three work
// areas per slot, rounded up to 8 MiB so small changes leave the limit as
// it is; never less than planned, and never more than nine tenths of the
// container's memory.
func (f limitFollower) limitFor(held int64) int64 {
	const step = 8 << 20
	others := max(held-f.hashes, 0)
	want := (2*others + 3*f.hashes + step - 1) / step * step
	limit := max(f.planned, want)
	if f.cgroupMax > 0 {
		limit = min(limit, max(f.planned, f.cgroupMax/10*9))
	}
	return limit
}

// heldMetrics are what heldBytes reads.
var heldMetrics = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
}

// heldBytes is the memory a collection cannot give back: the heap the
// last one found alive, and what the runtime holds outside the heap
// (goroutine stacks, its own metadata), which the memory limit counts too
// — thousands of open connections hold as much in stacks as in heap. 0
// when the runtime does not report them.
func heldBytes() int64 {
	samples := make([]metrics.Sample, len(heldMetrics))
	for i, name := range heldMetrics {
		samples[i].Name = name
	}
	metrics.Read(samples)
	v := make([]int64, len(samples))
	for i, s := range samples {
		if s.Value.Kind() != metrics.KindUint64 {
			return 0
		}
		v[i] = int64(s.Value.Uint64())
	}
	live, total, objects, unused, free, released := v[0], v[1], v[2], v[3], v[4], v[5]
	return live + max(total-objects-unused-free-released, 0)
}

// followLive re-reads what the portal holds on every tick until ctx ends
// and moves the soft limit to f.limitFor it when that differs.
func followLive(ctx context.Context, tick <-chan time.Time, f limitFollower) {
	current := f.planned
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		held := heldBytes()
		if held == 0 {
			return // not reported by this runtime
		}
		if want := f.limitFor(held); want != current {
			debug.SetMemoryLimit(want)
			current = want
		}
	}
}

// apply sets p in the runtime.
func (p gcPace) apply() {
	if p.Percent != 0 {
		debug.SetGCPercent(p.Percent)
	}
	if p.Limit != 0 {
		debug.SetMemoryLimit(p.Limit)
	}
}

// cgroupMemoryMax reads the memory limit of the cgroup this process runs in
// (version 2, else version 1); 0 when there is none or it cannot be read.
func cgroupMemoryMax() int64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		return parseCgroupMax(string(b))
	}
	return 0
}

// parseCgroupMax reads a cgroup memory limit file's content: a byte count,
// or "max" (version 2) or a value near MaxInt64 (version 1) for none.
func parseCgroupMax(s string) int64 {
	s = strings.TrimSpace(s)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n >= 1<<62 {
		return 0
	}
	return n
}

// idleReturn decides when to hand memory back to the OS. Under the pace
// above, a spell of password hashing leaves the heap near its soft limit,
// and Go returns it only over the next collections, which an idle portal
// makes one every two minutes; so once a whole minute has passed without a
// hash after a busy one, serve returns it at once (debug.FreeOSMemory: one
// collection).
type idleReturn struct {
	seen uint64 // hashes computed, at the last tick
	busy bool   // some were computed since the last return
}

// step takes the count of hashes computed so far at a tick and reports
// whether to return memory now.
func (r *idleReturn) step(hashes uint64) bool {
	defer func() { r.seen = hashes }()
	switch {
	case hashes != r.seen:
		r.busy = true
	case r.busy:
		r.busy = false
		return true
	}
	return false
}

// returnWhenIdle runs r on every tick until ctx ends.
func returnWhenIdle(ctx context.Context, tick <-chan time.Time, hashes func() uint64) {
	r := idleReturn{seen: hashes()}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		if r.step(hashes()) {
			debug.FreeOSMemory()
		}
	}
}
