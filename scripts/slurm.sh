#!/usr/bin/env bash
# A throwaway one-node Slurm cluster for tests: munged, slurmctld and slurmd from Debian's
# slurm-wlm and munge, all state, logs and the munge socket in one folder, the node being this
# host with all its CPUs (one task per CPU: SelectType=select/cons_tres, CR_CPU).
#
#   scripts/slurm.sh start DIR   write DIR/slurm.conf, start the daemons, wait for the node to be
#                                idle; prints the path of slurm.conf (export SLURM_CONF=that path
#                                before sbatch, squeue, scancel)
#   scripts/slurm.sh stop DIR    stop the daemons (the folder stays; rm -rf it to drop all)
#
# Needs root (slurmd starts jobs as their users; munged runs as the munge user) and Debian's
# slurm-wlm and munge (scripts/setup.sh --slurm). Ports: SLURM_PORT (default 6817) and the next.
set -euo pipefail

cmd=${1:-}; dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
for program in munged slurmctld slurmd sinfo; do
  command -v "$program" >/dev/null || PATH=$PATH:/usr/sbin
  command -v "$program" >/dev/null || { echo "slurm.sh: $program is not installed (run scripts/setup.sh --slurm)" >&2; exit 3; }
done
[[ $(id -u) == 0 ]] || { echo "slurm.sh: needs root (slurmd runs jobs as their users)" >&2; exit 3; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/slurm.conf
port=${SLURM_PORT:-6817}

stop_pid() { # PIDFILE NAME
  [[ -f "$1" ]] || return 0
  local pid; pid=$(cat "$1")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "slurm.sh: $2 did not stop in 5 s; killing it" >&2
  kill -9 "$pid" 2>/dev/null || true
}

case "$cmd" in
  start)
    host=$(hostname -s)
    cpus=$(nproc)
    mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
    chmod go+x "$dir"   # munged (the munge user) must reach its socket folder, even in a mktemp -d folder
    chown munge:munge "$dir/munge"; chmod 0711 "$dir/munge"
    cat > "$conf" <<EOF
ClusterName=fatnn-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
KillWait=30
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    runuser -u munge -- munged --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
      --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
      || { echo "slurm.sh: munged did not start; see $dir/munge/munged.log" >&2; exit 1; }
    export SLURM_CONF=$conf
    slurmctld -f "$conf" || { echo "slurm.sh: slurmctld did not start; see $dir/slurmctld.log" >&2; exit 1; }
    slurmd -f "$conf" || { echo "slurm.sh: slurmd did not start; see $dir/slurmd.log" >&2; exit 1; }
    for _ in $(seq 150); do
      state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
      [[ "$state" == idle ]] && { echo "$conf"; exit 0; }
      sleep 0.2
    done
    echo "slurm.sh: the node is not idle after 30 s (state '${state:-none}'); see $dir/slurmctld.log and $dir/slurmd.log" >&2
    exit 1
    ;;
  stop)
    stop_pid "$dir/slurmd.pid" slurmd
    stop_pid "$dir/slurmctld.pid" slurmctld
    stop_pid "$dir/munge/munged.pid" munged
    ;;
  *) echo "slurm.sh: unknown command '$cmd' (start or stop)" >&2; exit 2 ;;
esac
