#!/bin/sh
# iot-micro-agent PAM hook (Login_UsePAM=true), run by pam_exec.so; see pam-lines.conf.
# Appends one line per open_session, close_session and failed auth:
#   <utc time>,<epoch s>,<pid>,<pam type>,<service>,<user>,<rhost>,<tty>,<code 0|1|2>
# The four text fields are percent-encoded bytes, because PAM_USER, PAM_RHOST and PAM_TTY come
# from the network: they are only ever read through awk's ENVIRON, never expanded by the shell.
# Usage: pam_exec.so quiet type=<type> /usr/lib/iot-micro-agent/pam/pam-login-hook.sh [LOG_FILE]
# The log path is an argument from the (root-owned) PAM stack, never from the environment.
LOG_FILE=${1:-/var/lib/iot-micro-agent/pam.log}
PATH=/usr/bin:/bin
LC_ALL=C
export LC_ALL PATH

case "${PAM_TYPE:-}" in
  open_session) code=0 ;;
  close_session) code=1 ;;
  auth) code=2 ;;
  *) exit 0 ;;
esac

HOOK_TIME=$(date -u +%Y-%m-%dT%H:%M:%SZ)
HOOK_EPOCH=$(date -u +%s)
HOOK_PID=$PPID
HOOK_CODE=$code
export HOOK_TIME HOOK_EPOCH HOOK_PID HOOK_CODE

umask 077
# one awk printf is one write(2) to an O_APPEND file: lines from concurrent logins do not interleave
awk 'function enc(s,   out, i, c) {
       s = substr(s, 1, 512)
       out = ""
       for (i = 1; i <= length(s); i++) {
         c = substr(s, i, 1)
         if (c ~ /[A-Za-z0-9._:@\/+=-]/) out = out c
         else out = out sprintf("%%%02X", ord[c])
       }
       return out
     }
     BEGIN {
       for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i
       printf "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", ENVIRON["HOOK_TIME"], ENVIRON["HOOK_EPOCH"], ENVIRON["HOOK_PID"] + 0,
         ENVIRON["PAM_TYPE"], enc(ENVIRON["PAM_SERVICE"]), enc(ENVIRON["PAM_USER"]),
         enc(ENVIRON["PAM_RHOST"]), enc(ENVIRON["PAM_TTY"]), ENVIRON["HOOK_CODE"]
     }' >> "$LOG_FILE" 2>/dev/null
# never fail the login because the agent's log is unwritable
exit 0
