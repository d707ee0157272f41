# shellcheck shell=bash
# lib.sh -- helpers shared by the harness scripts (sourced, not run).
#
# Processes are tracked by pid files inside the harness directory; before we
# signal a pid we check that it is still the program we started (pids get
# reused), and a zombie counts as dead (our parent may not reap it quickly).

# shellcheck disable=SC2034 # used by the scripts that source this file
KZ_HARNESS_BIN=$(cd "$(dirname "$0")" && pwd)

kz_die() {
    echo "harness: $*" >&2
    exit 1
}

kz_note() {
    echo "harness: $*" >&2
}

# kz_tail FILE: show the end of a log for an error message.
kz_tail() {
    if [ -s "$1" ]; then
        echo "---- last lines of $1 ----" >&2
        tail -n "${2:-40}" "$1" >&2
        echo "----" >&2
    else
        echo "(log $1 is empty or missing)" >&2
    fi
}

# kz_alive PID [COMM]: true when PID runs (not a zombie) and, if COMM is
# given, its executable name starts with COMM.
kz_alive() {
    _pid=$1
    [ -n "$_pid" ] && [ -r "/proc/$_pid/stat" ] || return 1
    _state=$(sed 's/^.*) //' "/proc/$_pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ "$_state" != Z ] && [ "$_state" != X ] && [ -n "$_state" ] || return 1
    if [ $# -ge 2 ]; then
        _comm=$(cat "/proc/$_pid/comm" 2>/dev/null) || return 1
        case "$_comm" in "$2"*) ;; *) return 1 ;; esac
    fi
    return 0
}

# kz_stop_pid PID COMM GRACE_SECONDS: SIGTERM, wait, then SIGKILL.
kz_stop_pid() {
    _pid=$1 _comm=$2 _grace=$3
    kz_alive "$_pid" "$_comm" || return 0
    kill -TERM "$_pid" 2>/dev/null || true
    _i=0
    while kz_alive "$_pid" "$_comm"; do
        if [ "$_i" -ge $((_grace * 10)) ]; then
            kz_note "$_comm (pid $_pid) ignored SIGTERM for ${_grace}s; sending SIGKILL"
            kill -KILL "$_pid" 2>/dev/null || true
            _j=0
            while kz_alive "$_pid" "$_comm" && [ "$_j" -lt 50 ]; do
                sleep 0.1
                _j=$((_j + 1))
            done
            break
        fi
        sleep 0.1
        _i=$((_i + 1))
    done
    ! kz_alive "$_pid" "$_comm" || kz_die "could not stop $_comm (pid $_pid)"
}

# kz_log_mark LOG1 LOG2: print the current sizes of two logs (a start mark),
# so that after a restart we look only at what this run wrote.
kz_log_mark() {
    echo "$(stat -c %s "$1" 2>/dev/null || echo 0) $(stat -c %s "$2" 2>/dev/null || echo 0)"
}

# kz_new_log_has "MARK" PATTERN LOG1 LOG2: true when PATTERN occurs in what was
# appended to LOG1 or LOG2 since kz_log_mark printed MARK.
kz_new_log_has() {
    _m1=${1%% *} _m2=${1##* }
    { tail -c "+$((_m1 + 1))" "$3" 2>/dev/null; tail -c "+$((_m2 + 1))" "$4" 2>/dev/null; } |
        grep -q -- "$2"
}

# kz_absdir DIR: create DIR if needed and print its absolute path.
kz_absdir() {
    [ -n "$1" ] || kz_die "missing directory argument"
    mkdir -p "$1" || kz_die "cannot create $1"
    (cd "$1" && pwd)
}
