#!/usr/bin/env bash
# A real one-node Slurm cluster on this Debian/Ubuntu machine, to try `cgan grade --executor slurm`
# before grading day:
#   bash scripts/slurm-local.sh up     # installs slurm-wlm and munge with apt when missing, starts them
#   bash scripts/slurm-local.sh down   # stops them and leaves the machine as it was
# It needs root (or sudo). What `up` changed (packages it installed, a slurm.conf it replaced) is
# recorded under $STATE so that `down` undoes exactly that.
set -euo pipefail

STATE=/var/lib/cgan-slurm-local
CONF_DIR=/etc/slurm
NODE=$(hostname -s)
PARTITION=${CGAN_SLURM_PARTITION:-debug}

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "slurm-local.sh: needs root or sudo" >&2; exit 2; }
  exec sudo -E bash "$0" "$@"
fi

say() { echo "slurm-local: $*"; }

packages() { dpkg-query -W -f '${Package} ${Status}\n' 2>/dev/null | awk '$NF == "installed" {print $1}' | sort; }

install() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then
    return
  fi
  command -v apt-get >/dev/null || { echo "slurm-local.sh: slurm is missing and there is no apt-get" >&2; exit 2; }
  packages > "$STATE/packages.before"
  say "installing slurm-wlm and munge with apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
  packages > "$STATE/packages.after"
  comm -13 "$STATE/packages.before" "$STATE/packages.after" > "$STATE/installed"
  say "installed $(wc -l < "$STATE/installed") packages"
}

write_conf() {
  mkdir -p "$CONF_DIR" "$STATE/spool/ctld" "$STATE/spool/d" "$STATE/log"
  if [ -e "$CONF_DIR/slurm.conf" ] && [ ! -e "$STATE/slurm.conf.before" ]; then
    cp -a "$CONF_DIR/slurm.conf" "$STATE/slurm.conf.before"
  fi
  local mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
  # No cgroup plugins (containers often lack them) and no accounting daemon: the grader asks squeue
  # and scontrol for states, never sacct.
  cat > "$CONF_DIR/slurm.conf" <<EOF
ClusterName=cgan-local
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=3600
MaxArraySize=10001
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$NODE CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    (command -v mungekey >/dev/null && mungekey --create --keyfile=/etc/munge/munge.key) \
      || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    touch "$STATE/munge.key.created"
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
  if ! munge -n >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged
    touch "$STATE/munged.started"
  fi
}

up() {
  mkdir -p "$STATE"
  install
  write_conf
  start_munge
  [ -s "$STATE/slurmctld.pid" ] && kill -0 "$(cat "$STATE/slurmctld.pid")" 2>/dev/null || slurmctld
  [ -s "$STATE/slurmd.pid" ] && kill -0 "$(cat "$STATE/slurmd.pid")" 2>/dev/null || slurmd
  for _ in $(seq 60); do
    state=$(sinfo -h -N -n "$NODE" -o %T 2>/dev/null || true)
    if [ "$state" = idle ]; then
      say "node $NODE idle in partition $PARTITION ($(nproc) CPUs)"
      return
    fi
    [ "$state" = down ] || [ "$state" = drained ] && scontrol update nodename="$NODE" state=resume 2>/dev/null || true
    sleep 1
  done
  echo "slurm-local.sh: the node never became idle (state '${state:-none}'); logs in $STATE/log" >&2
  exit 1
}

stop_pidfile() {
  local f=$1
  [ -s "$f" ] || return 0
  local pid; pid=$(cat "$f")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}

down() {
  [ -d "$STATE" ] || { say "nothing to stop"; return; }
  command -v scancel >/dev/null && scancel --user=root 2>/dev/null || true
  stop_pidfile "$STATE/slurmd.pid"
  stop_pidfile "$STATE/slurmctld.pid"
  if [ -e "$STATE/munged.started" ]; then
    stop_pidfile /run/munge/munged.pid
  fi
  if [ -e "$STATE/slurm.conf.before" ]; then
    cp -a "$STATE/slurm.conf.before" "$CONF_DIR/slurm.conf"
  else
    rm -f "$CONF_DIR/slurm.conf"
  fi
  [ -e "$STATE/munge.key.created" ] && rm -f /etc/munge/munge.key
  if [ -s "$STATE/installed" ]; then
    say "removing the $(wc -l < "$STATE/installed") packages 'up' installed"
    # shellcheck disable=SC2046
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $(cat "$STATE/installed") >/dev/null
  fi
  rm -rf "$STATE"
  say "stopped; the machine is as before"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
