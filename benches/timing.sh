# Shared by benches/compare.sh and benches/memory.sh (sourced): run a command under
# /usr/bin/time -v and read wall seconds, CPU seconds (user + sys) and peak RSS from its report.
# Needs $work (a directory) set by the caller; sourcing it creates $work, builds the release
# binary and the perf example, and sets $bin to the examples' folder.
time_v() { /usr/bin/time -v "$@" 2> "$work/time.txt" > /dev/null; }
secs() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time.txt"; }
cpu() { awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$work/time.txt"; }
rss() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$work/time.txt"; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1e6 / (s > 0 ? s : 1e-9) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1e-9) }'; }
mkdir -p "$work"
cargo build --release --quiet --bin s3conn --example perf
bin=target/release/examples
