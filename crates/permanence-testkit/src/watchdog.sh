# The watchdog of a test cluster: stops it once no test process has held users.lock for
# IDLE_SECONDS in a row, then removes what the server owned (and, for a private cluster, the
# whole folder). Runs detached from the tests, in its own process group, so that neither the
# end of a test process nor a Ctrl-C in the terminal ends it before the cluster is stopped.
#
# $1 FOLDER  $2 IDLE_SECONDS  $3 keep|remove (the folder itself)  $4... the stop command
folder="$1"
idle_limit="$2"
folder_after="$3"
shift 3
trap '' HUP INT

# One watchdog per cluster. The wait covers a test process that is asking, at this moment,
# whether a watchdog is alive.
exec 8>>"$folder/watchdog.lock" || exit 1
flock -x -w 10 8 || exit 0

idle=0
while sleep 1; do
    # Its owner removed the cluster (a private cluster's Drop): nothing left to watch.
    [ -d "$folder/cluster" ] || exit 0
    if flock -n -x "$folder/users.lock" true; then
        idle=$((idle + 1))
    else
        idle=0
    fi
    [ "$idle" -ge "$idle_limit" ] || continue

    # Test processes register under setup.lock: ask again while holding it, so none can
    # start using the cluster between the last look and the stop.
    exec 9>>"$folder/setup.lock" || exit 1
    flock -x 9
    if flock -n -x "$folder/users.lock" true; then
        "$@"
        rm -rf "$folder/cluster"
        if [ "$folder_after" = remove ]; then
            rm -rf "$folder"
        fi
        # Let go of watchdog.lock before setup.lock: a process waiting for setup.lock must
        # find no watchdog, and start a new one with the new cluster.
        exec 8>&-
        exit 0
    fi
    exec 9>&-
    idle=0
done
