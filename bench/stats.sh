# Figures over rounds, for run.sh and warm-split.sh (sourced): each reads numbers separated
# by spaces or newlines on stdin, and prints - for none.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
minmax() { # [FORMAT]: lowest-highest, each printed with FORMAT (default %.2f)
  tr ' ' '\n' | grep -v '^$' | sort -g | awk -v f="${1:-%.2f}" 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf f "-" f, lo, hi; else print "-" }'
}
maxof() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ hi = $1 } END { print NR ? hi : "-" }'; }
