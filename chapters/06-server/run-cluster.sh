#!/bin/sh
# run-cluster.sh starts a three-member etcd cluster on loopback, one process per member, and
# stops it on Ctrl-C. The flags are those of etcd's Procfile: members infra1, infra2 and infra3,
# cluster token etcd-cluster-1, clients on 2379, 22379 and 32379, peers on 2380, 22380 and
# 32380. (The Procfile gives infra1 the peer port 12380, and adds --enable-pprof, which
# etcdwalk does not support.) `make run` runs it with chapter 06's etcdwalk. With
# BIN=path/to/etcd it starts real etcd v3.6 with the same flags.
#
# Usage, from the repository root:
#
#	chapters/06-server/run-cluster.sh [MEMBER...] [FLAG...]
#
# MEMBER is infra1, infra2 or infra3: start only those (all three if none is named). A member
# started alone joins the members that another run of the script started.
# FLAG is an etcd flag for every member, such as --log-level=debug.
#
# Environment:
#
#	BIN        the binary of a member (default .bin/etcdwalk, which `make run` builds)
#	RUN_DIR    where the members keep their data directories, RUN_DIR/infra1.etcd and so on
#	           (default .run). A member that finds its data there restarts from it, and the
#	           --initial-* flags count for nothing, as in etcd. RUN_DIR/infra1.pid has its pid.
#	ENDPOINTS  the client URLs of infra1, infra2 and infra3, comma-separated. A member's peer
#	           URL is its client URL with the port plus one.
#
# Each member's log lines come with its name in front. If a member exits on its own, the script
# says which one and with what status, and stops the others: a cluster that goes on with a
# member missing would hide the failure.

bin=${BIN:-.bin/etcdwalk}
dir=${RUN_DIR:-.run}
endpoints=${ENDPOINTS:-http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379}

say() { echo "run-cluster: $*"; }
die() {
	say "$*" >&2
	exit 2
}

# The members to start, then the flags for all of them. The flags that differ from one member
# to the next are the script's to set.
members=
while [ $# -gt 0 ]; do
	case $1 in
	infra1 | infra2 | infra3) members="$members $1" ;;
	*) break ;;
	esac
	shift
done
members=${members:-infra1 infra2 infra3}
for flag; do
	f=${flag#-}
	f=${f#-}
	case ${f%%=*} in
	name | data-dir | listen-client-urls | advertise-client-urls | listen-peer-urls | \
		initial-advertise-peer-urls | initial-cluster)
		die "$flag: the script sets it for each member (client URLs go in ENDPOINTS)" ;;
	esac
done
command -v "$bin" >/dev/null || die "$bin: no such binary (make run builds it)"

# peer_url URL: the client URL with the port plus one: http://127.0.0.1:2379 gives :2380.
peer_url() {
	port=${1##*:}
	case $port in
	'' | *[!0-9]*) die "$1: a client URL ends with its port, as http://127.0.0.1:2379" ;;
	esac
	echo "${1%:*}:$((port + 1))"
}

IFS=, read -r client1 client2 client3 more <<EOF
$endpoints
EOF
if [ -z "$client3" ] || [ -n "$more" ]; then
	die "ENDPOINTS: three client URLs, comma-separated, not $endpoints"
fi
peer1=$(peer_url "$client1") || exit 2
peer2=$(peer_url "$client2") || exit 2
peer3=$(peer_url "$client3") || exit 2
cluster=infra1=$peer1,infra2=$peer2,infra3=$peer3
for name in $members; do
	if [ -f "$dir/$name.pid" ] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then
		die "$name runs already, pid $(cat "$dir/$name.pid") ($dir/$name.pid)"
	fi
done
mkdir -p "$dir" && fifos=$(mktemp -d) || exit 2

# start NAME CLIENT_URL PEER_URL FLAG...: one member, in the background, with etcd's flags. Its
# output goes through a named pipe to a loop that puts its name in front of each line.
started=
start() {
	name=$1 client=$2 peer=$3
	shift 3
	mkfifo "$fifos/$name" || exit 2
	while IFS= read -r line || [ -n "$line" ]; do
		printf '%s | %s\n' "$name" "$line"
	done <"$fifos/$name" &
	"$bin" --name "$name" --data-dir "$dir/$name.etcd" \
		--listen-client-urls "$client" --advertise-client-urls "$client" \
		--listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
		--initial-cluster "$cluster" \
		--initial-cluster-token etcd-cluster-1 \
		--initial-cluster-state new \
		"$@" >"$fifos/$name" 2>&1 &
	echo $! >"$dir/$name.pid"
	started="$started $name:$!"
	say "$name: pid $!, client $client, peer $peer, data $dir/$name.etcd"
}

# alive: the members still running, by name.
alive() {
	for m in $started; do
		if kill -0 "${m#*:}" 2>/dev/null; then printf ' %s' "${m%:*}"; fi
	done
}

# stop WHY: say why, then send SIGINT to every member still running, as Ctrl-C would, and wait
# for each. etcd stops cleanly on it (etcdwalk exits 0; etcd kills itself with the signal, 130).
# A member that has not set up its signal handler yet ignores SIGINT (a script's background
# commands start so), and one still running 10 s later is killed.
dead='' sleeper=''
stop() {
	trap '' INT TERM
	kill "$sleeper" 2>/dev/null
	left=$(alive)
	say "$1${left:+: stopping$left}"
	for m in $started; do kill -INT "${m#*:}" 2>/dev/null; done
	i=0
	while [ -n "$(alive)" ]; do
		i=$((i + 1))
		if [ "$i" -gt 10 ]; then
			say "$(alive): still running 10 s after SIGINT: SIGKILL"
			for m in $started; do kill -KILL "${m#*:}" 2>/dev/null; done
		fi
		sleep 1
	done
	status=0
	for m in $started; do
		name=${m%:*}
		if [ "$name" != "$dead" ]; then
			wait "${m#*:}"
			s=$?
			say "$name: exited with status $s"
			case $s in 0 | 130) ;; *) status=1 ;; esac
		fi
		rm -f "$dir/$name.pid"
	done
	wait # the log loops: each ends with its member's output
	rm -rf "$fifos"
	[ -z "$dead" ] || status=1
	exit "$status"
}

trap 'stop Ctrl-C' INT
trap 'stop SIGTERM' TERM
for name in $members; do
	case $name in
	infra1) start infra1 "$client1" "$peer1" "$@" ;;
	infra2) start infra2 "$client2" "$peer2" "$@" ;;
	infra3) start infra3 "$client3" "$peer3" "$@" ;;
	esac
done

# Wait for Ctrl-C, and look every second for a member that has exited on its own.
while :; do
	for m in $started; do
		if ! kill -0 "${m#*:}" 2>/dev/null; then
			dead=${m%:*}
			wait "${m#*:}"
			s=$?
			if [ "$s" -gt 128 ]; then why="killed by signal $((s - 128))"; else why="with status $s"; fi
			stop "$dead (pid ${m#*:}) exited on its own, $why"
		fi
	done
	sleep 1 &
	sleeper=$!
	wait "$sleeper"
done
