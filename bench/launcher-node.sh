# The node command line the launchers start the tools with, read from a launcher's #! line
# (sourced by run.sh and warm-split.sh): the bench's own Node scripts start the same way, so
# that a launcher's options, changed, reach every row that is compared with it.
launcher_node() { # LAUNCHER -> "env ARGS" for its "#!/usr/bin/env -S ARGS"
  local args
  args=$(sed -n '1s|^#!/usr/bin/env -S ||p' "$1")
  [ -n "$args" ] || { echo "launcher_node: $1 does not start with #!/usr/bin/env -S" >&2; return 1; }
  echo "env $args"
}
