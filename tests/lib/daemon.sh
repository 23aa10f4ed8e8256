# daemon.sh: sourced by the tests that run devmgr -d on real kernel
# uevents (daemon.t, publish.t), after tap.sh and tap_small_etc, with
# $work, $tools, $devmgr, $exe (its resolved path) and $kpath set.
#
# Every daemon runs in its own private mount, network and pid namespaces
# (unshare -m -n -p -f --mount-proc) as the child of a small bash init
# that first mounts fresh tmpfs over /dev and /run: the daemon manages
# that /dev and keeps its udev database in that /run, and the test looks
# at them through /proc/INIT/root, or runs clients in there with
# ns_exec.  Loop devices added with loop_add are removed again by
# cleanup, also on failure.

upids=()	# unshare processes started (each the parent of one namespace)
loops=()	# loop device numbers added (removed again by cleanup)
others=()	# other processes to kill at the end (daemons run with nsenter)

# children PID: PID's child processes
children() {
	local c=
	if [ -e "/proc/$1/task/$1/children" ]; then
		read -r c 2>/dev/null <"/proc/$1/task/$1/children"
		echo "$c"
	else	# a kernel without CONFIG_PROC_CHILDREN
		pgrep -P "$1" | tr '\n' ' '
	fi
}

loop_exists() { [ -e "/sys/block/loop$1" ]; }
# loop_free N: the first loop number >= N that no device has
loop_free() {
	local n=$1
	while loop_exists "$n" || [ -e "/dev/loop$n" ]; do n=$((n + 1)); done
	echo "$n"
}
loop_add() {
	loops+=("$1")
	"$tools/loopctl" add "$1" >/dev/null
}
# loop_del N: remove loop N; retried (EBUSY while something has it open)
loop_try_del() {
	loop_exists "$1" || return 0
	"$tools/loopctl" remove "$1" 2>/dev/null
	! loop_exists "$1"
}
loop_del() { wait_for 5 loop_try_del "$1"; }
# loop_add_timed DEV N: adds loop N and sets MS to the milliseconds until
# DEV/loopN is a block node, timed from before LOOP_CTL_ADD and polled
# without forking ($EPOCHREALTIME is bash's own clock, in microseconds
# once the point is dropped); gives up after 2 s. Not for $(...): loop_add
# records N where cleanup sees it.
loop_add_timed() {
	local t0 t
	t0=${EPOCHREALTIME/[.,]/}
	loop_add "$2"
	while :; do
		t=${EPOCHREALTIME/[.,]/}
		[ -b "$1/loop$2" ] || [ $((t - t0)) -gt 2000000 ] && break
	done
	MS=$(((t - t0) / 1000))
}

# kill_tree PID: PID and everything below it. A function run in the
# background ("ns_exec client &") is a subshell whose command is its
# child: killing $! alone would leave the command running.
kill_tree() {
	local c
	for c in $(children "$1"); do kill_tree "$c"; done
	kill -KILL "$1" 2>/dev/null
}

bg=()	# clients started with client(): ended by stop_clients, and at cleanup
stop_clients() {
	local p
	for p in "${bg[@]}"; do kill_tree "$p"; done
	for p in "${bg[@]}"; do wait "$p" 2>/dev/null; done
	bg=()
}
# client NAME CMD...: CMD (udevclient or nlrecv, with -r READY) in the
# daemon's namespaces, output to $work/NAME.out; returns once listening
client() {
	local name=$1
	shift
	rm -f "$work/$name.ready"
	ns_exec "$@" -r "$work/$name.ready" >"$work/$name.out" 2>&1 &
	bg+=("$!")
	wait_for 5 test -e "$work/$name.ready"
}

cleanup() {
	local u i n
	stop_clients
	for u in "${others[@]}"; do
		kill_tree "$u"
		wait "$u" 2>/dev/null
	done
	for u in "${upids[@]}"; do
		kill -0 "$u" 2>/dev/null || continue
		i=$(children "$u")
		# SIGKILL to a namespace's init ends every process in it
		kill -KILL "${i%% *}" 2>/dev/null || kill -KILL "$u" 2>/dev/null
		wait "$u" 2>/dev/null
	done
	for n in "${loops[@]}"; do
		if ! loop_del "$n"; then
			echo "# could not remove loop$n: remove it with: $tools/loopctl remove $n"
		fi
	done
	tap_cleanup
}
trap cleanup EXIT

absent() {
	local f
	for f; do
		[ -e "$f" ] || [ -L "$f" ] && return 1
	done
	return 0
}
nonzero() { [ -n "$1" ] && [ "$1" != 0 ]; }
at_most() { [ -n "$1" ] && [ "$1" -gt 0 ] && [ "$1" -le "$2" ]; }
# stopped: the daemon is stopped (SIGSTOP)
stopped() { [ "$(awk '{ print $3 }' "/proc/$DPID/stat" 2>/dev/null)" = T ]; }
mode_is() { [ "$(stat -c %a -- "$1" 2>/dev/null)" = "$2" ]; }
mode_not() { [ -c "$1" ] && [ "$(stat -c %a -- "$1")" != "$2" ]; }
ino() { stat -c %i -- "$1" 2>&1; }
link() { readlink -- "$1" || echo absent; }
uevent() { echo "$2" >"/sys/class/mem/$1/uevent"; }

# The namespace's init: a fresh tmpfs over /dev, then CMD in the
# background (stdin: the outside /dev/null, opened before the mount), its
# exit status into STATUSFILE.
nsinit=$work/nsinit
cat >"$nsinit" <<'EOF'
#!/bin/bash
exec 5<>/dev/null
mount -t tmpfs -o mode=0755 devmgr-daemon-test /dev || exit 99
mount -t tmpfs -o mode=0755 devmgr-daemon-test /run || exit 99
st=$1
shift
"$@" <&5 5<&- &
wait $!
echo $? >"$st"
EOF
chmod +x "$nsinit"

# ns_launch NAME CMD...: CMD in new namespaces under $nsinit, in the
# background; sets UPID, LOG (its stdout and stderr), STATUS
ns_launch() {
	local name=$1
	shift
	LOG=$work/$name.log STATUS=$work/$name.status
	rm -f "$STATUS"
	unshare -m -n -p -f --mount-proc -- "$nsinit" "$STATUS" "$@" </dev/null >"$LOG" 2>&1 &
	UPID=$!
	upids+=("$UPID")
}
# ns_found: INIT (the namespace's init) and DPID (devmgr, its child) exist
ns_found() {
	INIT=$(children "$UPID")
	INIT=${INIT%% *}
	[ -n "$INIT" ] || return 1
	DPID=$(children "$INIT")
	DPID=${DPID%% *}
	[ -n "$DPID" ] && [ "$(readlink "/proc/$DPID/exe")" = "$exe" ]
}

# daemon_start NAME RULES [ARGS...]: devmgr -d -f -v -D 3 in new
# namespaces; returns once it wrote its ready newline.  Sets DEV (its /dev
# as seen from here), DPID, INIT, LOG, STATUS.
daemon_start() {
	local name=$1 rules=$2
	shift 2
	READY=$work/$name.ready
	: >"$READY"
	INIT= DPID= DEV=/nonexistent
	ns_launch "$name" env -i PATH=$kpath "$devmgr" -d -f -D 3 -v --config "$empty" \
	    --etc "$etc" --rules "$rules" "$@" 3>"$READY"
	wait_for 5 ns_found || return 1
	wait_for 10 test -s "$READY" || return 1
	DEV=/proc/$INIT/root/dev
	RUN=/proc/$INIT/root/run
}

# ns_exec CMD...: CMD in the running daemon's mount, network and pid
# namespaces (it sees that /dev and /run, and its published events); a
# client left running there dies with the namespace's init at cleanup.
# Where INIT shares our pid namespace (faults.t's holders), nsenter execs
# CMD, so that a background CMD's $! is CMD itself, for the test to kill.
ns_exec() {
	if [ "$(readlink "/proc/$INIT/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]; then
		nsenter -t "$INIT" -m -n -p -- "$@"
	else
		nsenter -t "$INIT" -m -n -- "$@"
	fi
}
# has NAME PATTERN: a client's output, $work/NAME.out, has a line matching
has() { grep -qs -e "$2" "$work/$1.out"; }
# daemon_stop [SIGNAL]: stop it (TERM), wait for its namespace to end
daemon_stop() {
	[ -n "$DPID" ] && kill -"${1:-TERM}" "$DPID" 2>/dev/null
	if ! wait_for 5 test -s "$STATUS"; then
		kill -KILL "$INIT" 2>/dev/null
	fi
	wait "$UPID" 2>/dev/null
}

log_has() {
	if grep -qF -e "$2" "$LOG"; then
		pass "$1"
	else
		fail "$1"
		{ echo "no '$2' in the log:"; cat "$LOG"; } | diag
	fi
}
log_count() { grep -cF -e "$1" "$LOG"; }

# sentinel: proof that the daemon has handled every event sent before, and
# finished the batch they were in (node removals are held back until a
# batch is done): a real "remove" of urandom, seen carried out, then a
# real "add", seen carried out.  The removal can only happen at the end
# of the batch holding it, and the add then comes in a later batch.
sentinel() {
	[ -c "$DEV/urandom" ] || return 1
	uevent urandom remove
	wait_for 5 absent "$DEV/urandom" || return 1
	uevent urandom add
	wait_for 5 test -c "$DEV/urandom"
}

